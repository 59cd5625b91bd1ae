"""Keras Tuner's ready-made hypermodels: ``kt.applications.HyperResNet``...

The same classes, constructor arguments, hyperparameter names and defaults as
``keras_tuner.applications`` (Keras Tuner 1.4), built on Keras 3 layers and
``keras.applications``. Importing this package imports Keras; discovering the
tunecore-keras plugin does not import it.
"""

# Keras first through the backend check, so that a missing backend names its extra.
from tunecore_keras import backend  # noqa: F401
from tunecore_keras.applications.augment import HyperImageAugment
from tunecore_keras.applications.efficientnet import HyperEfficientNet
from tunecore_keras.applications.resnet import HyperResNet
from tunecore_keras.applications.xception import HyperXception

__all__ = ["HyperEfficientNet", "HyperImageAugment", "HyperResNet", "HyperXception"]
