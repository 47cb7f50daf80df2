"""Errors and warnings raised by ibkit.

Every error ibkit raises on bad input is an :class:`IBKitError`, a subclass of
:class:`ValueError`, so ``except ValueError`` keeps working for callers that do
not know ibkit. The message always names the offending argument and value.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DataFormatError",
    "IBKitError",
    "InvalidDistributionError",
    "InvalidParameterError",
    "ShapeMismatchError",
]


class IBKitError(ValueError):
    """Base class of every error ibkit raises on bad input or bad configuration."""


class InvalidDistributionError(IBKitError):
    """A pmf or joint pmf is negative, non-finite, not normalised or of the wrong rank."""


class InvalidParameterError(IBKitError):
    """A scalar option is out of range (β < 0, tol ≤ 0, …) or an option name is unknown."""


class ShapeMismatchError(IBKitError):
    """Two arrays that must agree in shape do not."""


class DataFormatError(IBKitError):
    """A file cannot be read as the data ibkit expects (corrupt, wrong format, wrong content)."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at ``max_iter`` before meeting its tolerance."""
