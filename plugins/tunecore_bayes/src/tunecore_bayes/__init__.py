"""Gaussian-process Bayesian optimization and Hyperband oracles for tunecore."""

from tunecore_bayes.asha import ASHA
from tunecore_bayes.hyperband import Hyperband

__all__ = ["ASHA", "Hyperband"]
