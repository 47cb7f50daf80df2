"""Shared test fixtures: the array backends every measure must support."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np
import pytest


@dataclass(frozen=True)
class Backend:
    """An array library under test: how to build its arrays and recognise its results."""

    name: str
    asarray: Callable[[Any], Any]  # NumPy array or nested list -> float64 array of this library
    is_own: Callable[[Any], bool]  # whether a result is an array of this library

    def __repr__(self) -> str:
        return self.name


def _numpy_asarray(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _is_strict(value: Any) -> bool:
    try:
        xp = array_api_compat.array_namespace(value)
    except TypeError:
        return False
    return array_api_compat.is_array_api_strict_namespace(xp)


def _backends() -> list[Backend]:
    out = [Backend("numpy", _numpy_asarray, array_api_compat.is_numpy_array)]
    try:
        import array_api_strict as xps

        out.append(
            Backend(
                "array_api_strict",
                lambda v: xps.asarray(np.asarray(v, dtype=np.float64).tolist(), dtype=xps.float64),
                _is_strict,
            )
        )
    except ImportError:  # pragma: no cover - a test dependency
        pass
    try:
        import torch

        out.append(
            Backend(
                "torch",
                lambda v: torch.tensor(np.asarray(v, dtype=np.float64), dtype=torch.float64),
                array_api_compat.is_torch_array,
            )
        )
    except ImportError:  # pragma: no cover - the optional [torch] extra
        pass
    return out


BACKENDS = _backends()


@pytest.fixture(params=BACKENDS, ids=[b.name for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each array backend in turn: numpy, array_api_strict, torch (CPU, float64)."""
    return request.param
