"""``ibkit measure FILE``: every information measure that applies to a pmf or joint pmf."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from .. import measures
from .._validation import as_pmf
from ..exceptions import InvalidDistributionError
from ..experiment.config import MeasureConfig
from ..experiment.io import load_array
from ..plotting.rd import unit_label

__all__ = ["compute_measures", "run"]

VARIABLES = ("X", "Y", "Z")


def _validate(arr: np.ndarray, cfg: MeasureConfig) -> np.ndarray:
    if arr.ndim > 3:
        raise InvalidDistributionError(
            f"{cfg.file!r} must hold a pmf (1-D), a joint p[x,y] (2-D) or p[x,y,z] (3-D); "
            f"got shape {arr.shape}"
        )
    try:
        pmf, _ = as_pmf(
            arr, name=repr(cfg.file), event_ndim=arr.ndim, batch=False, normalize=cfg.normalize
        )
    except InvalidDistributionError as err:
        raise InvalidDistributionError(str(err).replace("normalize=True", "--normalize")) from None
    return np.asarray(pmf)


def compute_measures(p: np.ndarray, *, base: float = 2.0) -> dict[str, float]:
    """Named measures of a validated pmf: 1-D → H(X); 2-D → the six of eq. 6; 3-D adds Z."""
    out: dict[str, Any] = {}
    for axis, var in enumerate(VARIABLES[: p.ndim]):
        marginal = p.sum(axis=tuple(a for a in range(p.ndim) if a != axis))
        out[f"H({var})"] = measures.entropy(marginal, base=base)
    if p.ndim >= 2:
        pxy = p.sum(axis=2) if p.ndim == 3 else p
        out["H(X,Y)"] = measures.joint_entropy(pxy, base=base)
        out["H(Y|X)"] = measures.conditional_entropy(pxy, base=base)
        out["H(X|Y)"] = measures.conditional_entropy(pxy.T, base=base)
        out["I(X;Y)"] = measures.mutual_information(pxy, base=base)
    if p.ndim == 3:
        out["H(X,Y,Z)"] = measures.entropy(p.reshape(-1), base=base)
        out["I(X;Y|Z)"] = measures.conditional_mutual_information(p, base=base)
    return {k: float(v) for k, v in out.items()}


def _table(values: dict[str, float], header: str, unit: str) -> str:
    width = max(len("measure"), *(len(k) for k in values))
    lines = [header, f"{'measure':<{width}}  value [{unit}]"]
    lines += [f"{k:<{width}}  {v:.6f}" for k, v in values.items()]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    cfg = MeasureConfig(file=args.file, base=args.base, normalize=args.normalize)
    p = _validate(load_array(cfg.file, name="input"), cfg)
    values = compute_measures(p, base=cfg.base)
    unit = unit_label(cfg.base)
    if args.json:
        doc = {
            "file": cfg.file,
            "shape": list(p.shape),
            "base": cfg.base,
            "unit": unit,
            "normalized": cfg.normalize,
            "measures": values,
        }
        print(json.dumps(doc, indent=2))
    else:
        header = f"{cfg.file}: shape {p.shape}" + (" (normalised counts)" if cfg.normalize else "")
        print(_table(values, header, unit))
    return 0
