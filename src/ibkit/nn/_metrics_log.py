"""``metrics.csv`` (and optional TensorBoard events) kept in step with the checkpoints.

Rows live in memory and the whole CSV is rewritten atomically (temp file + ``os.replace``): at
every evaluation, before every checkpoint, at the end, and otherwise at most every
``interval`` seconds. The file on disk is therefore always complete and always holds every row up
to the last checkpoint. On resume, rows after the checkpoint step are dropped (the resumed run
writes them again), so the file has neither duplicated nor missing rows.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from .._io import write_csv
from ..exceptions import DataFormatError, IBKitError

__all__ = ["MetricsLog"]


class MetricsLog:
    """Rows ``{"step", "split", name: value, ...}`` → ``run_dir/metrics.csv`` (+ TensorBoard).

    Columns are the union of the rows' keys in order of first appearance; a row lacking a
    column leaves its cell empty. ``enabled=False`` (ranks other than 0) makes every call a no-op.
    """

    def __init__(self, run_dir: Path, *, enabled: bool = True, tensorboard: bool = False,
                 interval: float = 2.0) -> None:
        self.run_dir, self.enabled, self.interval = Path(run_dir), enabled, interval
        self.csv_path = self.run_dir / "metrics.csv"
        self.rows: list[dict[str, Any]] = []
        self._written = 0.0
        self._cost = 0.0  # seconds the last rewrite took
        self._dirty = False
        self._writer: Any = None
        self._summary_writer_cls = _summary_writer() if tensorboard else None

    def start(self) -> None:
        """Begin a fresh run: an empty CSV with no rows."""
        self.rows = []
        self._open_tensorboard(purge_step=None)
        self._dirty = True
        self.flush(force=True)

    def resume(self, step: int) -> None:
        """Reload the rows of an interrupted run, keeping those with ``row["step"] <= step``."""
        self.rows = [r for r in self._read() if int(r["step"]) <= step]
        self._open_tensorboard(purge_step=step + 1)
        self._dirty = True
        self.flush(force=True)

    def add(self, row: dict[str, Any]) -> None:
        """Append one row (written at the next :meth:`flush`)."""
        if not self.enabled:
            return
        self.rows.append(row)
        self._dirty = True
        if self._writer is not None:
            split = row.get("split", "train")
            for key, value in row.items():
                if key not in ("step", "split") and isinstance(value, (int, float)):
                    self._writer.add_scalar(f"{split}/{key}", value, int(row["step"]))
        self.flush(force=False)

    def flush(self, *, force: bool) -> None:
        """Rewrite the CSV atomically if rows changed (and ``interval`` passed, unless forced)."""
        if not self.enabled or not self._dirty:
            return
        now = time.monotonic()
        if not force and now - self._written < max(self.interval, 20.0 * self._cost):
            return
        columns: dict[str, list[Any]] = {}
        for name in _column_order(self.rows) or ["step", "split"]:
            columns[name] = [row.get(name) for row in self.rows]
        write_csv(self.csv_path, columns)
        if self._writer is not None:
            self._writer.flush()
        # Unforced rewrites are spaced by at least 20x their own cost, so the whole-file
        # rewrite stays below ~5 % of the run however many rows a long run accumulates.
        self._written, self._dirty = time.monotonic(), False
        self._cost = self._written - now

    def close(self) -> None:
        """Write what is pending and close TensorBoard."""
        self.flush(force=True)
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def last(self, split: str) -> dict[str, float]:
        """Numeric values of the last row of ``split`` (``{}`` when there is none)."""
        for row in reversed(self.rows):
            if row.get("split") == split:
                return {k: float(v) for k, v in row.items()
                        if k not in ("step", "split") and v is not None}
        return {}

    def _read(self) -> list[dict[str, Any]]:
        if not self.enabled or not self.csv_path.exists():
            return []
        try:
            with self.csv_path.open(newline="", encoding="utf-8") as fh:
                # every header column in every row, so the column order survives the rewrite
                return [
                    {k: (None if v == "" else v) for k, v in row.items()}
                    for row in csv.DictReader(fh)
                ]
        except (OSError, csv.Error, UnicodeDecodeError) as err:
            raise DataFormatError(f"{str(self.csv_path)!r} cannot be read: {err}") from None

    def _open_tensorboard(self, purge_step: int | None) -> None:
        if self.enabled and self._summary_writer_cls is not None:
            self._writer = self._summary_writer_cls(
                log_dir=str(self.run_dir / "tensorboard"), purge_step=purge_step
            )


def _column_order(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _summary_writer() -> Any:
    """``torch.utils.tensorboard.SummaryWriter``, or a clear error when the extra is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise IBKitError(
            "tensorboard=True needs the TensorBoard package; install it with "
            "pip install 'ibkit[tensorboard]' (or set tensorboard=False)"
        ) from None
    return SummaryWriter
