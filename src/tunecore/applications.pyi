# tunecore.applications as type checkers see it: Keras Tuner's hypermodels, which
# the module forwards from tunecore-keras at run time. Without that plugin the
# import is unresolved and the names unknown. tests/test_typing.py keeps this
# file in step with applications.py.

# tunecore-keras (pip install 'tunecore[keras]')
from tunecore_keras.applications import (
    HyperEfficientNet as HyperEfficientNet,
    HyperImageAugment as HyperImageAugment,
    HyperResNet as HyperResNet,
    HyperXception as HyperXception,
)

__all__ = ["HyperEfficientNet", "HyperImageAugment", "HyperResNet", "HyperXception"]
