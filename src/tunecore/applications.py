"""Keras Tuner's ready-made hypermodels (``kt.applications.HyperResNet``...).

They are Keras models, so they live in the tunecore-keras plugin
(``pip install 'tunecore[keras,jax]'``, or another Keras backend); this module forwards Keras Tuner's import
path to it. Importing it imports Keras; ``import tunecore`` does not.
"""

from tunecore.optional import optional_import

_applications = optional_import("tunecore_keras.applications", "keras")

HyperEfficientNet = _applications.HyperEfficientNet
HyperImageAugment = _applications.HyperImageAugment
HyperResNet = _applications.HyperResNet
HyperXception = _applications.HyperXception

__all__ = ["HyperEfficientNet", "HyperImageAugment", "HyperResNet", "HyperXception"]
