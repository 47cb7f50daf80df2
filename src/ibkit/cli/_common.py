"""Helpers shared by the command handlers: progress bars and one-line warnings."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["progress_callback", "report_warnings"]


def _make_bar(desc: str, total: int | None, quiet: bool) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm comes with the plot extra; without it there is no bar
        return None
    return tqdm(
        total=total,
        desc=desc,
        unit="β",
        file=sys.stderr,
        disable=True if quiet else None,
        leave=False,
        dynamic_ncols=True,
    )


@contextlib.contextmanager
def progress_callback(
    desc: str, *, total: int | None = None, quiet: bool
) -> Iterator[Callable[[int, int, Any], None]]:
    """Yield a ``callback(index, total, solution)`` that drives a tqdm bar on stderr.

    The bar is shown from the start (with ``total`` points, corrected by the first
    callback if the sweep has another length); it is off with ``quiet``, when stderr is
    not a terminal, and when tqdm is not installed.
    """
    bar = _make_bar(desc, total, quiet)

    def callback(index: int, total: int, solution: Any = None) -> None:
        if bar is None:
            return
        if bar.total != total:
            bar.total = total
        if solution is not None and hasattr(solution, "rate"):
            bar.set_postfix(beta=f"{solution.beta:.3g}", R=f"{solution.rate:.3g}", refresh=False)
        bar.update(index + 1 - bar.n)

    try:
        yield callback
    finally:
        if bar is not None:
            bar.close()


@contextlib.contextmanager
def report_warnings(messages: list[str]) -> Iterator[None]:
    """Collect warnings raised inside the block into ``messages`` (deduplicated, one line each).

    Warnings that the active filters turn into errors still raise; the caller decides where
    the collected lines go (``summary.json`` and ``ibkit: warning: ...`` on stderr).
    """
    with warnings.catch_warnings(record=True) as caught:
        yield
    for item in caught:
        line = f"{item.category.__name__}: {' '.join(str(item.message).split())}"
        if line not in messages:
            messages.append(line)


def print_warnings(messages: list[str], *, limit: int = 3) -> None:
    """Print at most ``limit`` collected warnings as ``ibkit: warning: ...`` lines on stderr."""
    for line in messages[:limit]:
        print(f"ibkit: warning: {line}", file=sys.stderr)
    if len(messages) > limit:
        print(
            f"ibkit: warning: ... and {len(messages) - limit} more (see summary.json)",
            file=sys.stderr,
        )
