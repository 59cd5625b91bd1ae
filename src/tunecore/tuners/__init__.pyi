# tunecore.tuners as type checkers see it: __init__.py's names, plus the tuners
# that plugins register, each under its real class (the plugin registry resolves
# them at run time, on first use). A plugin that is not installed leaves its
# import unresolved and its names unknown. tests/test_typing.py keeps this file
# in step with __init__.py and the plugins' registrations.

from collections.abc import Callable
from typing import Any

from tunecore.tuners.base_tuner import BaseTuner as BaseTuner
from tunecore.tuners.function_tuner import FunctionTuner as FunctionTuner, tune as tune

# tunecore-keras (pip install 'tunecore[keras]')
from tunecore_keras.hyperband import Hyperband as Hyperband
from tunecore_keras.tuner import Tuner as Tuner
from tunecore_keras.tuners import (
    BayesianOptimization as BayesianOptimization,
    GridSearch as GridSearch,
    RandomSearch as RandomSearch,
)

# tunecore-sklearn (pip install 'tunecore[sklearn]')
from tunecore_sklearn.search_cv import TunecoreSearchCV as TunecoreSearchCV
from tunecore_sklearn.tuner import Sklearn as Sklearn

SklearnTuner = Sklearn

__all__ = ["BaseTuner", "FunctionTuner", "tune", "get", "available"]

def get(name: str) -> Callable[..., Any]: ...
def available() -> list[str]: ...

# A tuner registered by a third-party plugin.
def __getattr__(name: str) -> Any: ...
