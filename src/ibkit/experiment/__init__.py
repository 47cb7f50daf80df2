"""Experiment plumbing: configs, run folders, atomic writes and data loading.

Nothing here imports torch or matplotlib; the CLI builds on these pieces.
"""

from .config import Config, FiguresConfig, MeasureConfig, RDConfig
from .io import atomic_open, load_array, write_bytes, write_csv, write_json, write_text
from .runs import check_destination, create_run_dir, default_run_dir, staged_dir

__all__ = [
    "Config",
    "FiguresConfig",
    "MeasureConfig",
    "RDConfig",
    "atomic_open",
    "check_destination",
    "create_run_dir",
    "default_run_dir",
    "load_array",
    "staged_dir",
    "write_bytes",
    "write_csv",
    "write_json",
    "write_text",
]
