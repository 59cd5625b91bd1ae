"""The search space: hyperparameter definitions and the `HyperParameters` container."""

from tunecore.hyperparameters.base import HyperParameter, Parent, deserialize, serialize
from tunecore.hyperparameters.discrete import Boolean, Choice, Fixed
from tunecore.hyperparameters.numerical import Float, Int
from tunecore.hyperparameters.space import HyperParameters

__all__ = [
    "HyperParameters",
    "HyperParameter",
    "Int",
    "Float",
    "Choice",
    "Boolean",
    "Fixed",
    "Parent",
    "serialize",
    "deserialize",
]
