"""Built-in data: rate–distortion sources (more data sets arrive with later modules)."""

from .sources import RDSource, binary_source, gaussian_source

__all__ = ["RDSource", "binary_source", "gaussian_source"]
