"""Neural bottlenecks [torch]: encoders/decoders, priors, VAE family, VIB, trainer.

Importing this package needs the ``torch`` extra (``pip install ibkit[torch]``).
"""

from __future__ import annotations

from .terms import LossTerms

__all__ = ["LossTerms"]
