r"""β-independent preparation of a distortion matrix, and the kernel operators CNM uses.

A curve solves the same distortion matrix at many β, so the row-shifted distance
:math:`d(x, \hat x) - \min_{\hat x'} d(x, \hat x')` and any detected structure are computed once
(:func:`prepare`). Per β, CNM needs three operations of the kernel
:math:`K = e^{-\beta (d - \min_{\hat x} d)}` (row maximum 1):

* ``columns(idx)`` — the columns :math:`K_{:, \text{idx}}` on the current support, shape
  ``(n_x, m)`` (for Z = K q, the Newton Hessian and the exact gradient on the support);
* ``gradient(v)`` — :math:`v^\top K` for every x̂, shape ``(n_xhat,)``, with a bound on its
  absolute error;
* ``dist_columns(idx)`` — the shifted distances, for the log-domain fallback.

**Toeplitz structure.** On a uniform grid a distortion that depends only on x − x̂
(squared or absolute error on a discretised continuous source) is a Toeplitz matrix,
:math:`d_{ij} = t_{i - j + n_{\hat x} - 1}`. It is detected to rounding (the deviation δ is
kept and added, as :math:`4\beta\delta`, to the certified gap), and then
:math:`v^\top K` is one real FFT correlation, :math:`O(n \log n)` instead of :math:`n^2`, and no
:math:`n^2` exponentials are computed per β. FFT errors are absolute, not relative: with
:math:`u` the unit roundoff and N the transform length,

.. math:: |\widehat{c} - c|_\infty \le 20\, u \log_2 N\, \|v\|_1 \|t\|_1,

(three FFTs of error :math:`\le 5 u \log_2 N` each in the 2-norm). CNM only uses the FFT values
to find candidate points and an *upper* bound on :math:`\max c` (the bound is added), and
recomputes c exactly on the support; when the bound is too large for the requested tolerance
it switches to the dense kernel (:class:`DenseOps`) built from the same shifted distances.

References
----------
Golub & Van Loan (2013), *Matrix Computations*, §4.7 (Toeplitz), §1.4 (FFT). Higham (2002),
*Accuracy and Stability of Numerical Algorithms*, §24.1 (error of the FFT).
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat
import numpy as np
import scipy.fft

from .._array import Array

__all__ = ["DenseOps", "Prepared", "ToeplitzOps", "kernel_ops", "prepare", "spaced_start"]

_MIN_TOEPLITZ_SIZE = 128 * 128  # smaller matrices: the dense kernel is as cheap
_TOEPLITZ_RTOL = 64 * np.finfo(np.float64).eps  # deviation allowed, relative to max |d|
_MAX_ROW_SHIFT = 30.0  # β (min_row d - min d) above this: rows would underflow in T
_FFT_ERROR = 20.0 * np.finfo(np.float64).eps  # per log2 N, see the module docstring


class Prepared:
    """The β-independent part of a rate–distortion problem.

    ``dist`` (d minus its row minima, shape ``(n_x, n_xhat)``) is computed on first use; for a
    Toeplitz d, ``generator`` holds t (shape ``(n_x + n_xhat - 1,)``), ``row_min`` the row
    minima (shape ``(n_x,)``) and ``deviation`` the largest |d_ij - t_{i-j+n_xhat-1}|.
    """

    def __init__(
        self,
        d: Array,
        xp: Any,
        generator: np.ndarray | None = None,
        row_min: np.ndarray | None = None,
        deviation: float = 0.0,
    ) -> None:
        self.d, self.xp = d, xp
        self.generator, self.row_min, self.deviation = generator, row_min, deviation
        self._dist: Array | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.d.shape[0]), int(self.d.shape[1])

    @property
    def dist(self) -> Array:
        if self._dist is None:
            self._dist = self.d - self.minima[:, None]  # (n_x, n_xhat)
        return self._dist

    @property
    def minima(self) -> Array:
        """min_x̂ d(x, x̂) ``(n_x,)``, the shift of every row of the kernel."""
        if self.row_min is None:
            self.row_min = self.xp.min(self.d, axis=1)  # (n_x,)
        return self.row_min


def _max_deviation(d: np.ndarray, toeplitz: np.ndarray, rows: int = 64) -> float:
    """max |d - toeplitz| in blocks of rows (no n_x · n_xhat temporary)."""
    buffer = np.empty((rows, d.shape[1]))
    worst = 0.0
    for start in range(0, d.shape[0], rows):
        block = buffer[: min(rows, d.shape[0] - start)]
        np.subtract(d[start : start + rows], toeplitz[start : start + rows], out=block)
        worst = max(worst, float(np.max(np.abs(block, out=block))))
    return worst


def toeplitz_view(generator: np.ndarray, n_x: int, n_h: int) -> np.ndarray:
    """The (n_x, n_h) Toeplitz matrix t_{i-j+n_h-1} as a read-only strided view."""
    return np.lib.stride_tricks.sliding_window_view(generator[::-1], n_h)[::-1][:n_x]


def toeplitz_generator(d: np.ndarray) -> tuple[np.ndarray, float] | None:
    """t and max |d_ij - t_{i-j+n_xhat-1}| if d is Toeplitz to rounding, else None."""
    n_x, n_h = d.shape
    if n_x * n_h < _MIN_TOEPLITZ_SIZE or n_x < 2 or n_h < 2:
        return None
    generator = np.concatenate((d[0, ::-1], d[1:, 0]))  # t_k, k = i - j + n_h - 1
    toeplitz = toeplitz_view(generator, n_x, n_h)  # (n_x, n_h)
    allowed = _TOEPLITZ_RTOL * max(float(np.max(np.abs(generator))), 1e-300)
    probe = np.linspace(0, n_x - 1, 8).astype(int)  # a cheap early exit for general d
    if float(np.max(np.abs(d[probe] - toeplitz[probe]))) > allowed:
        return None
    deviation = _max_deviation(d, toeplitz)
    return (generator, deviation) if deviation <= allowed else None


def prepare(d: Array, xp: Any) -> Prepared:
    """Detect Toeplitz structure in d (NumPy float64 input only); the shifted d is lazy."""
    if not array_api_compat.is_numpy_namespace(xp) or d.dtype != np.float64:
        return Prepared(d, xp)
    found = toeplitz_generator(d)
    if found is None:
        return Prepared(d, xp)
    return Prepared(d, xp, found[0], np.min(d, axis=1), found[1])


class DenseOps:
    """The kernel K = exp(-β dist) held as a dense matrix (n_x · n_xhat exponentials per β)."""

    exact = True

    def __init__(self, prepared: Prepared, beta: float, xp: Any) -> None:
        self.xp, self.beta, self.dist = xp, beta, prepared.dist
        self.kernel = xp.exp(-beta * prepared.dist)  # (n_x, n_xhat)
        self.gradient_flops = 2.0 * prepared.shape[0] * prepared.shape[1]  # one v @ K

    def columns(self, idx: Array) -> Array:
        return self.xp.take(self.kernel, idx, axis=1)  # (n_x, m)

    def dist_columns(self, idx: Array) -> Array:
        return self.xp.take(self.dist, idx, axis=1)  # (n_x, m)

    def gradient(self, v: Array) -> tuple[Array, float]:
        return v @ self.kernel, 0.0  # (n_xhat,)


class ToeplitzOps:
    r"""K = diag(e^{β(min_row d - min t)}) T with T_{ij} = e^{-β (t_{i-j+n_xhat-1} - min t)}:
    columns by gathering from the generator, :math:`v^\top K` by one real FFT correlation."""

    exact = False

    def __init__(self, prepared: Prepared, beta: float, xp: Any) -> None:
        generator, row_min = prepared.generator, prepared.row_min
        assert generator is not None and row_min is not None
        self.xp, self.beta = xp, beta
        self.n_x, self.n_h = int(row_min.shape[0]), generator.shape[0] - row_min.shape[0] + 1
        floor = float(generator.min())
        self.shifted = generator - floor  # (n_x + n_h - 1,)
        self.taps = np.exp(-beta * self.shifted)  # T's generator, maximum 1
        self.row_shift = row_min - floor  # (n_x,) ≥ 0
        self.row_scale = np.exp(beta * self.row_shift)  # (n_x,) ≥ 1
        self.size = scipy.fft.next_fast_len(self.shifted.shape[0], real=True)
        self.taps_hat = scipy.fft.rfft(self.taps[::-1], self.size)  # (size // 2 + 1,)
        self.error_scale = _FFT_ERROR * math.log2(self.size) * float(np.sum(self.taps))
        self.matrix = toeplitz_view(self.taps, self.n_x, self.n_h)  # (n_x, n_h) strided view
        self.scaled_rows = bool(np.any(self.row_shift > 0))
        # two real FFTs (≈ 2.5 N log2 N each), the spectral product, the row scaling
        self.gradient_flops = 5.0 * self.size * math.log2(self.size) + 3.0 * self.size + self.n_x

    @staticmethod
    def usable(prepared: Prepared, beta: float) -> bool:
        """Whether the row scaling stays far from overflow/underflow at this β."""
        if prepared.generator is None or prepared.row_min is None:
            return False
        spread = float(prepared.row_min.max()) - float(prepared.generator.min())
        return beta * spread <= _MAX_ROW_SHIFT

    def columns(self, idx: Array) -> np.ndarray:
        cols = self.matrix[:, np.asarray(idx)]  # (n_x, m)
        return cols * self.row_scale[:, None] if self.scaled_rows else cols

    def dist_columns(self, idx: Array) -> np.ndarray:
        view = toeplitz_view(self.shifted, self.n_x, self.n_h)  # (n_x, n_h)
        return view[:, np.asarray(idx)] - self.row_shift[:, None]  # (n_x, m)

    def gradient(self, v: Array) -> tuple[np.ndarray, float]:
        """:math:`c_j = \\sum_i v_i K_{ij}` by FFT, and the bound on its absolute error."""
        scaled = np.asarray(v) * self.row_scale  # (n_x,)
        product = scipy.fft.rfft(scaled, self.size) * self.taps_hat
        full = scipy.fft.irfft(product, self.size)  # (size,)
        c = full[self.n_x - 1 : self.n_x - 1 + self.n_h]  # (n_h,)
        return c, self.error_scale * float(np.sum(np.abs(scaled)))


def spaced_start(prepared: Prepared, beta: float) -> np.ndarray | None:
    r"""A cold start for CNM on a Toeplitz d: uniform mass on every k-th x̂, with k the
    kernel's half width :math:`\max\{|j| : \beta (t_{j} - \min t) \le 1\}` (offsets j
    from the generator's minimum), or None when one kernel covers the whole grid.

    CNM prunes a support in one NNLS step but grows it by a few local maxima of c per
    iteration, so starting from points one kernel width apart (instead of the single
    zero-rate point) saves the iterations that would only add points. Returns
    ``(n_xhat,)`` weights summing to 1.
    """
    generator = prepared.generator
    if generator is None or prepared.row_min is None or beta <= 0.0:
        return None
    n_h = generator.shape[0] - prepared.row_min.shape[0] + 1
    centre = int(np.argmin(generator))
    within = np.flatnonzero(beta * (generator - generator[centre]) <= 1.0)  # (w,)
    width = int(max(centre - within.min(), within.max() - centre))
    if width < 1 or 2 * width >= n_h:
        return None
    start = np.zeros(n_h)
    start[width // 2 :: width] = 1.0
    return start / start.sum()


def kernel_ops(prepared: Prepared, beta: float, xp: Any) -> DenseOps | ToeplitzOps:
    """The Toeplitz/FFT operator where d has that structure and β allows it, else dense."""
    if ToeplitzOps.usable(prepared, beta):
        return ToeplitzOps(prepared, beta, xp)
    return DenseOps(prepared, beta, xp)
