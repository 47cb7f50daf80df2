"""Optional numba JIT for ibkit's few hand-written loops (``pip install ibkit[fast]``).

Every jitted kernel has a NumPy/SciPy/scikit-learn path that gives the same result; callers
pick the kernel only when :data:`HAVE_NUMBA` is true. ``IBKIT_DISABLE_NUMBA=1`` forces the
fallback paths (the tests use it to check both).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

try:  # pragma: no cover - depends on the environment
    import numba as _numba
except ImportError:  # pragma: no cover
    _numba = None

HAVE_NUMBA: bool = _numba is not None and os.environ.get("IBKIT_DISABLE_NUMBA", "") != "1"

__all__ = ["HAVE_NUMBA", "njit", "prange"]


def njit(**options: Any) -> Callable[[F], F]:
    """``numba.njit(cache=True, nogil=True, **options)`` when numba is there, else identity.

    Without numba the decorated function stays plain Python (correct but slow); callers
    should test :data:`HAVE_NUMBA` and take their vectorised fallback instead.
    """

    def decorate(func: F) -> F:
        if _numba is None:
            return func
        return _numba.njit(cache=True, nogil=True, **options)(func)

    return decorate


prange = _numba.prange if _numba is not None else range
