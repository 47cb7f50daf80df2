r"""Compiled pieces of a CNM iteration (numba; NumPy float64 host arrays only).

Each kernel fuses a few NumPy passes over an ``(n_x, m)`` block or an ``(n_xhat,)`` vector
into one loop, and has a NumPy twin in :mod:`._cnm`, :mod:`._nnls` or :mod:`._structure`
with the same result (:func:`candidates` bit for bit; :func:`scaled_block` to the last
bit of one ``exp`` per row). CNM takes them only when
:data:`ibkit._jit.HAVE_NUMBA` is true and the problem's arrays are NumPy float64 in host
memory; every other input (array-API arrays, torch tensors, other dtypes) keeps the
array-API path.

* :func:`scaled_block` — the Newton system's rows
  :math:`a_{x k} = \sqrt{p(x)}\, e^{-\log Z(x)} K_{x k}` and, per block of rows, the band
  of columns holding an entry above :math:`10^{-14} \max_k a_{xk} / m` (see
  :func:`._nnls.gram`);
* :func:`candidates` — the support plus the index-local maxima of log c above 0 and the
  global maximum, sorted;
* :func:`expected_distortion` — :math:`\sum_x p(x) \sum_k p(\hat x_k|x)\, d(x, \hat x_k)`
  reading d only where the encoder is non-zero (a banded kernel leaves most of it zero).

References
----------
Wang (2007), "On fast computation of the non-parametric maximum likelihood estimate of a
mixing distribution", J. R. Stat. Soc. B 69(2).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

__all__ = ["candidates", "expected_distortion", "scaled_block"]


def scaled_block(
    cols: np.ndarray, px: np.ndarray, log_z: np.ndarray, block_rows: int
) -> tuple[np.ndarray, bool, np.ndarray, np.ndarray]:
    r"""A = diag(√p · e^{-log Z}) K ``(n_x, m)`` for a finite K ≥ 0, whether A is finite,
    and per block of ``block_rows`` rows the half-open column band [low, high) of the
    entries above :math:`10^{-14} \max_k a_{xk} / m` (low ≥ high: the block has none).

    Row maxima come from K: :math:`\max_k s K_{xk} = s \max_k K_{xk}` exactly for s ≥ 0
    (rounding is monotone), and non-negative doubles order like their bit patterns, so the
    maximum is an integer reduction (vectorised; a NaN's pattern exceeds inf's, which marks
    A as not finite). A is finite iff every row's s · max K is.
    """
    if cols.flags.f_contiguous and not cols.flags.c_contiguous:  # Toeplitz gathers: (m, n_x)
        cols_t = cols.T
        a_t, finite, low, high = _scaled_block_t(
            cols_t, cols_t.view(np.int64), px, log_z, block_rows
        )
        return a_t.T, finite, low, high  # (n_x, m), Fortran-ordered
    cols = np.ascontiguousarray(cols, dtype=np.float64)  # (n_x, m)
    return _scaled_block(cols, cols.view(np.int64), px, log_z, block_rows)


@njit()
def _scaled_block(
    cols: np.ndarray, bits: np.ndarray, px: np.ndarray, log_z: np.ndarray, block_rows: int
) -> tuple[np.ndarray, bool, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    n, m = cols.shape
    blocks = (n + block_rows - 1) // block_rows
    a = np.empty((n, m))
    low = np.full(blocks, m, np.int64)
    high = np.zeros(blocks, np.int64)
    finite = True
    ratio = 1e-14 / m
    for x in range(n):
        s = np.sqrt(px[x]) * np.exp(-log_z[x])
        peak = 0
        for k in range(m):
            a[x, k] = s * cols[x, k]
            peak = max(peak, bits[x, k])
        top = s * np.int64(peak).view(np.float64)
        if not np.isfinite(top):
            finite = False
        cut = ratio * top
        first, last = m, 0
        for k in range(m):  # branch-free, so that it vectorises
            kept = a[x, k] > cut
            first = min(first, k if kept else m)
            last = max(last, k + 1 if kept else 0)
        b = x // block_rows
        low[b] = min(low[b], first)
        high[b] = max(high[b], last)
    return a, finite, low, high


@njit()
def _scaled_block_t(
    cols_t: np.ndarray, bits_t: np.ndarray, px: np.ndarray, log_z: np.ndarray, block_rows: int
) -> tuple[np.ndarray, bool, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """:func:`_scaled_block` on Kᵀ ``(m, n_x)``, returning Aᵀ: every loop runs along x."""
    m, n = cols_t.shape
    scale = np.sqrt(px) * np.exp(-log_z)  # (n,)
    peak = np.zeros(n, np.int64)
    a_t = np.empty((m, n))
    for k in range(m):
        for x in range(n):
            a_t[k, x] = scale[x] * cols_t[k, x]
            peak[x] = max(peak[x], bits_t[k, x])
    cut = np.empty(n)
    finite = True
    ratio = 1e-14 / m
    for x in range(n):
        top = scale[x] * np.int64(peak[x]).view(np.float64)
        if not np.isfinite(top):
            finite = False
        cut[x] = ratio * top
    first = np.full(n, m, np.int64)
    last = np.zeros(n, np.int64)
    for k in range(m):
        for x in range(n):
            kept = a_t[k, x] > cut[x]
            first[x] = min(first[x], k if kept else m)
            last[x] = max(last[x], k + 1 if kept else 0)
    blocks = (n + block_rows - 1) // block_rows
    low = np.full(blocks, m, np.int64)
    high = np.zeros(blocks, np.int64)
    for x in range(n):
        b = x // block_rows
        low[b] = min(low[b], first[x])
        high[b] = max(high[b], last[x])
    return a_t, finite, low, high


@njit()
def candidates(log_c: np.ndarray, idx: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Sorted union of ``idx``, the index-local maxima of ``log_c`` above 0 (ties count,
    the ends compare with -inf) and its first global maximum."""
    n = log_c.shape[0]
    mark = np.zeros(n, np.bool_)
    for i in idx:
        mark[i] = True
    mark[np.argmax(log_c)] = True
    for i in range(n):
        v = log_c[i]
        if v > 0.0 and (i == 0 or v >= log_c[i - 1]) and (i == n - 1 or v >= log_c[i + 1]):
            mark[i] = True
    return np.flatnonzero(mark)


@njit()
def expected_distortion(
    px: np.ndarray, encoder: np.ndarray, d: np.ndarray, support: np.ndarray
) -> float:  # pragma: no cover - compiled
    r""":math:`D = \sum_x p(x) \sum_k e_{xk}\, d_{x, j_k}` for the encoder's columns
    ``(n_x, m)`` on the support ``j`` ``(m,)`` of d ``(n_x, n_xhat)``; entries with
    :math:`e_{xk} = 0` contribute exactly 0 (d is finite), so d is read only elsewhere."""
    n, m = encoder.shape
    total = 0.0
    for x in range(n):
        row = 0.0
        for k in range(m):
            e = encoder[x, k]
            if e != 0.0:
                row += e * d[x, support[k]]
        total += px[x] * row
    return total
