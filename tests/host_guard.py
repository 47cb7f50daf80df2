"""A trap for host copies of torch tensors: shows on CPU what a GPU run would do.

Inside :func:`host_guard`, ``Tensor.__array__``, ``.numpy``, ``.tolist``, ``.cpu`` and
``.__dlpack__`` raise (every way to reach host memory), and synchronising scalar reads
(``.item``, ``float``, ``int``, ``bool``, ``index``) are counted; with ``meta_default``,
``meta`` becomes torch's default device, so a tensor made without the data's ``device=``
fails against the data's tensors, as a CPU tensor next to CUDA data would.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import torch

__all__ = ["host_guard"]

_COPIES = ("__array__", "numpy", "tolist", "cpu", "__dlpack__")
_READS = ("item", "__float__", "__int__", "__bool__", "__index__")


@contextlib.contextmanager
def host_guard(meta_default: bool = False) -> Iterator[Counter[str]]:
    """Refuse host copies of tensors, count host reads, and make ``meta`` the default device."""
    counts: Counter[str] = Counter()
    saved = {name: getattr(torch.Tensor, name) for name in (*_COPIES, *_READS)}

    def refuse(name: str) -> Any:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"Tensor.{name}() inside the solver: a copy to the host")

        return method

    depth = [0]  # the default-device mode re-dispatches a read through the patched method

    def count(name: str) -> Any:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[name] += depth[0] == 0
            depth[0] += 1
            try:
                return saved[name](self, *args, **kwargs)
            finally:
                depth[0] -= 1

        return method

    try:
        for name in _COPIES:
            setattr(torch.Tensor, name, refuse(name))
        for name in _READS:
            setattr(torch.Tensor, name, count(name))
        if meta_default:
            torch.set_default_device("meta")
        yield counts
    finally:
        torch.set_default_device(None)
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)
