"""Built-in data, all offline: rate–distortion sources, joints for the IB, scikit-learn's digits,
a procedural dSprites, and loading the user's own ``.npy`` / ``.npz`` arrays."""

from .digits import DigitsData, digits_cooccurrence, digits_images
from .dsprites import ProceduralDSprites
from .joints import clustered_joint, dirichlet_joint
from .sources import RDSource, binary_source, gaussian_source
from .toy2d import TOY2D, gaussian_mixture_2d, toy2d, two_moons
from .user_data import ArrayDataset, array_dataset, load_dataset

__all__ = [
    "TOY2D",
    "ArrayDataset",
    "DigitsData",
    "ProceduralDSprites",
    "RDSource",
    "array_dataset",
    "binary_source",
    "clustered_joint",
    "digits_cooccurrence",
    "digits_images",
    "dirichlet_joint",
    "gaussian_mixture_2d",
    "gaussian_source",
    "load_dataset",
    "toy2d",
    "two_moons",
]
