"""The cross-validating scikit-learn tuner and search estimator for tunecore.

``Sklearn`` (alias ``SklearnTuner``) is Keras Tuner's cross-validating tuner;
``TunecoreSearchCV`` is a scikit-learn search estimator driven by a tunecore
oracle. Both are imported on first access, so that loading the plugin does not
import scikit-learn.
"""

import importlib
from typing import Any

_EXPORTS = {
    "Sklearn": "tunecore_sklearn.tuner",
    "SklearnTuner": "tunecore_sklearn.tuner",
    "TunecoreSearchCV": "tunecore_sklearn.search_cv",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tunecore_sklearn' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    return getattr(module, name)
