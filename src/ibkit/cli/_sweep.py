"""``ibkit sweep-beta``: see :func:`ibkit.cli._train.run_sweep`."""

from __future__ import annotations

from ._train import run_sweep as run

__all__ = ["run"]
