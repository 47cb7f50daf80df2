"""The ``ibkit`` command line: ``ibkit measure``, ``ibkit rd``, ``ibkit figures``.

Only :mod:`argparse` is imported up front; each command imports what it needs when it runs,
so ``ibkit measure`` and ``ibkit rd`` never import torch. Every error ibkit knows about
(:class:`~ibkit.exceptions.IBKitError`, an unwritable path, a bad option) ends as one line
``ibkit: error: ...`` on stderr and exit status 2, with no traceback and no partial output.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from ..exceptions import IBKitError
from ._parser import build_parser

__all__ = ["build_parser", "main"]

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

_HANDLERS = {"measure": "._measure", "rd": "._rd", "ib": "._ib", "figures": "._figures",
    "train": "._train", "sweep-beta": "._sweep", "diffusion": "._diffusion",
    "mi-benchmark": "._mi", "grid": "._grid", "collect": "._collect",
    "evaluate": "._evaluate", "infoplane": "._infoplane"}


def _one_line(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror and err.filename:
        text = f"{err.strerror}: {str(err.filename)!r}"
    else:
        text = str(err) or type(err).__name__
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ibkit`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    try:
        args = build_parser().parse_args(None if argv is None else list(argv))
        module = importlib.import_module(_HANDLERS[args.command], __name__)
        return int(module.run(args) or 0)
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except ImportError as err:
        if (err.name or "").split(".")[0] == "ibkit":
            raise  # a bug in ibkit itself deserves its traceback
        print(f"ibkit: error: {_one_line(err)}", file=sys.stderr)  # a missing optional extra
        return EXIT_ERROR
    except (IBKitError, OSError) as err:
        print(f"ibkit: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("ibkit: error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
