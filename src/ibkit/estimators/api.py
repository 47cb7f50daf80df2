r"""One entry point for every estimator: :func:`estimate_mi` and :func:`estimate_entropy`.

Methods (``method=``):

- discrete samples: ``"plugin"``, ``"miller-madow"``, ``"grassberger"`` (Grassberger 2003);
- continuous samples binned first: ``"binned"`` (options ``bins``, ``strategy``, ``estimator``);
- k-NN: ``"ksg"`` / ``"ksg1"``, ``"ksg2"`` (Kraskov et al. 2004), entropy ``"kl"``
  (Kozachenko–Leonenko); options ``k``, ``standardize``, ``jitter``, ``seed``, ``workers``;
- neural bounds (need torch; :mod:`ibkit.estimators.neural`): ``"mine"``, ``"dv"``, ``"nwj"``,
  ``"infonce"``, ``"smile"``, ``"js"``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._validation import check_base, check_choice, check_int, check_positive
from ..exceptions import InvalidParameterError
from ._result import EntropyEstimate, MIEstimate, normal_ci
from ._samples import as_samples, check_k, check_paired, to_base
from .binning import bin_samples
from .discrete import DISCRETE_METHODS, discrete_entropy_nats, discrete_mi_nats
from .knn import kl_entropy_nats, ksg_mi_nats, prepare, warn_if_high_dim

__all__ = ["ENTROPY_METHODS", "MI_METHODS", "NEURAL_METHODS", "estimate_entropy", "estimate_mi"]

KNN_METHODS = ("ksg", "ksg1", "ksg2")
NEURAL_METHODS = ("mine", "dv", "nwj", "infonce", "smile", "js")
MI_METHODS = (*DISCRETE_METHODS, "binned", *KNN_METHODS, *NEURAL_METHODS)
ENTROPY_METHODS = (*DISCRETE_METHODS, "binned", "kl")

_KNN_DEFAULTS = {"k": 3, "standardize": True, "jitter": 1e-10, "seed": 0, "workers": -1}
_BIN_DEFAULTS = {"bins": "fd", "strategy": "uniform", "estimator": "miller-madow"}


def _options(method: str, given: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise InvalidParameterError(
            f"unknown option(s) {', '.join(unknown)} for method {method!r}; "
            f"accepted: {', '.join(sorted(defaults)) or 'none'}"
        )
    return {**defaults, **given}


def _check_jitter(jitter: Any) -> float:
    """Tie-breaking noise amplitude (relative to each feature's scale): finite and >= 0."""
    if isinstance(jitter, numbers.Real) and not isinstance(jitter, bool) and jitter == 0:
        return 0.0
    return check_positive(jitter, "jitter")


def _knn_options(method: str, given: dict[str, Any], n: int) -> dict[str, Any]:
    opts = _options(method, given, _KNN_DEFAULTS)
    opts["k"] = check_k(opts["k"], n)
    opts["jitter"] = _check_jitter(opts["jitter"])
    if not isinstance(opts["standardize"], (bool, np.bool_)):
        got = opts["standardize"]
        raise InvalidParameterError(f"standardize must be True or False; got {got!r}")
    check_int(opts["seed"], "seed")
    workers = opts["workers"]
    if workers != -1:
        check_int(workers, "workers", minimum=1)
    return opts


def _binned_options(given: dict[str, Any]) -> dict[str, Any]:
    opts = _options("binned", given, _BIN_DEFAULTS)
    check_choice(opts["estimator"], "estimator", DISCRETE_METHODS)
    return opts


def estimate_mi(
    x: Any, y: Any, *, method: str = "ksg", base: float = 2.0, **options: Any
) -> MIEstimate:
    r"""Estimate the mutual information :math:`I(X;Y)` from paired samples.

    .. math:: I(X;Y) = \mathbb E_{p(x,y)} \log \frac{p(x,y)}{p(x)\,p(y)}

    Parameters
    ----------
    x : array_like, shape ``(n,)`` or ``(n, d_x)``
        Samples of X (numbers; for discrete methods each distinct row is a symbol).
    y : array_like, shape ``(n,)`` or ``(n, d_y)``
        Samples of Y, paired row by row with ``x``.
    method : str
        One of :data:`MI_METHODS` (see the module docstring). Default ``"ksg"`` (KSG algorithm 1).
    base : float
        Logarithm base of the result: 2 for bits (default), ``np.e`` for nats.
    **options
        Method options. k-NN: ``k=3``, ``standardize=True`` (unit variance per feature),
        ``jitter=1e-10`` (uniform noise relative to each feature's scale, seeded by ``seed=0``),
        ``workers=-1`` (k-d tree threads). ``"binned"``: ``bins="fd"`` (int or a NumPy rule),
        ``strategy="uniform"`` or ``"quantile"``, ``estimator="miller-madow"``. Neural methods:
        see :func:`ibkit.estimators.neural.neural_mi`.

    Returns
    -------
    MIEstimate
        ``value`` and ``stderr`` in units of ``base``, the method, and diagnostics; ``ci`` is the
        asymptotic 95 % interval ``value ± 1.96 stderr`` for the plug-in family (delta method)
        and the neural bounds (spread over held-out batches), ``None`` for k-NN methods, whose
        ``stderr`` (spread of the per-sample terms) is only a rough scale.

    Raises
    ------
    ShapeMismatchError
        ``x`` and ``y`` differ in their number of samples.
    DataFormatError
        Non-numeric, complex, NaN or infinite samples.
    InvalidParameterError
        Unknown method or option, ``k`` out of range or fewer than ``k + 1`` samples.

    References
    ----------
    Kraskov, Stögbauer & Grassberger (2004), "Estimating mutual information".
    Grassberger (2003), "Entropy estimates from insufficient samplings".
    """
    check_choice(method, "method", MI_METHODS)
    base = check_base(base)
    xs, ys = check_paired(x, y)
    n = xs.shape[0]
    if method in NEURAL_METHODS:
        from .neural import neural_mi

        return neural_mi(xs, ys, method=method, base=base, **options)
    if method in DISCRETE_METHODS:
        _options(method, options, {})
        value, stderr, diag = discrete_mi_nats(xs, ys, method)
    elif method == "binned":
        opts = _binned_options(options)
        bx = bin_samples(xs, bins=opts["bins"], strategy=opts["strategy"])
        by = bin_samples(ys, bins=opts["bins"], strategy=opts["strategy"])
        value, stderr, diag = discrete_mi_nats(bx, by, opts["estimator"])
        diag.update(bins=opts["bins"], strategy=opts["strategy"], estimator=opts["estimator"])
    else:
        opts = _knn_options(method, options, n)
        warn_if_high_dim(xs.shape[1] + ys.shape[1], n)
        rng = np.random.default_rng(opts["seed"])
        px = prepare(xs, standardize=opts["standardize"], jitter=opts["jitter"], rng=rng)
        py = prepare(ys, standardize=opts["standardize"], jitter=opts["jitter"], rng=rng)
        algorithm = 2 if method == "ksg2" else 1
        value, stderr, diag = ksg_mi_nats(px, py, k=opts["k"], algorithm=algorithm,
                                          workers=opts["workers"])
    value, stderr = to_base(value, base), to_base(stderr, base)
    # The delta-method interval of the plug-in family; KSG's stderr is only a rough scale.
    ci = normal_ci(value, stderr) if method in (*DISCRETE_METHODS, "binned") else None
    return MIEstimate(
        value=value, stderr=stderr, method=method, base=base, n_samples=n, ci=ci,
        diagnostics=diag,
    )


def estimate_entropy(
    x: Any, *, method: str = "kl", base: float = 2.0, **options: Any
) -> EntropyEstimate:
    r"""Estimate the entropy of X from samples: discrete :math:`H(X)` or differential :math:`h(X)`.

    .. math:: H(X) = -\mathbb E \log p(X)

    ``"kl"`` (Kozachenko–Leonenko, options ``k=3``, ``metric="chebyshev"`` or ``"euclidean"``,
    ``jitter=0``, ``seed=0``, ``workers=-1``) estimates the differential entropy; ``"plugin"``,
    ``"miller-madow"``, ``"grassberger"`` the entropy of discrete samples; ``"binned"`` the
    discrete entropy of the binned samples (options as in :func:`estimate_mi`; it grows with the
    number of bins and is not a differential entropy).

    Parameters
    ----------
    x : array_like, shape ``(n,)`` or ``(n, d)``
    method : one of :data:`ENTROPY_METHODS`; default ``"kl"``.
    base : 2 for bits (default), ``np.e`` for nats.

    Returns
    -------
    EntropyEstimate

    References
    ----------
    Kozachenko & Leonenko (1987); Miller (1955); Grassberger (2003).
    """
    check_choice(method, "method", ENTROPY_METHODS)
    base = check_base(base)
    xs = as_samples(x, "x")
    n = xs.shape[0]
    if method in DISCRETE_METHODS:
        _options(method, options, {})
        value, stderr, diag = discrete_entropy_nats(xs, method)
    elif method == "binned":
        opts = _binned_options(options)
        codes = bin_samples(xs, bins=opts["bins"], strategy=opts["strategy"])
        value, stderr, diag = discrete_entropy_nats(codes, opts["estimator"])
    else:
        defaults = {"k": 3, "metric": "chebyshev", "jitter": 0.0, "seed": 0, "workers": -1}
        opts = _options(method, options, defaults)
        k = check_k(opts["k"], n)
        metric = check_choice(opts["metric"], "metric", ("chebyshev", "euclidean"))
        jitter = _check_jitter(opts["jitter"])
        warn_if_high_dim(xs.shape[1], n)
        rng = np.random.default_rng(check_int(opts["seed"], "seed"))
        px = prepare(xs, standardize=False, jitter=float(jitter), rng=rng)
        value, stderr, diag = kl_entropy_nats(px, k=k, metric=metric, workers=opts["workers"])
    return EntropyEstimate(
        value=to_base(value, base),
        stderr=to_base(stderr, base),
        method=method,
        base=base,
        n_samples=n,
        diagnostics=diag,
    )
