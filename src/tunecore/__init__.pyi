# The public API as type checkers see it: __init__.py's names, plus the tuners
# that plugins provide, each under its real class. At run time these names
# resolve through the plugin registry on first use (no plugin is imported by
# `import tunecore`); here they are plain imports, which a checker reads without
# running them. Where a plugin is not installed its import is unresolved and its
# names are unknown (Any), the way a checker treats any missing package.
# tests/test_typing.py keeps this file in step with __init__.py and the plugins.

from collections.abc import Callable
from typing import Any, TypeVar

from tunecore import (
    applications as applications,
    callbacks as callbacks,
    errors as errors,
    executors as executors,
    integrations as integrations,
    oracles as oracles,
    plugins as plugins,
    pruners as pruners,
    results as results,
    tuners as tuners,
)
from tunecore.errors import TrialStopped as TrialStopped
from tunecore.hypermodel import HyperModel as HyperModel
from tunecore.hyperparameters import HyperParameters as HyperParameters
from tunecore.objective import Constraint as Constraint, Objective as Objective, Pareto as Pareto
from tunecore.oracles import Oracle as Oracle
from tunecore.plugins import hookimpl as hookimpl
from tunecore.project import Project as Project, load as load
from tunecore.trial import Trial as Trial, TrialStatus as TrialStatus
from tunecore.tuners import BaseTuner as BaseTuner, FunctionTuner as FunctionTuner, tune as tune
from tunecore.tuners.outcome import RunningTrial as RunningTrial

# Tuners that plugins provide (tunecore.tuners types them).
from tunecore.tuners import (
    BayesianOptimization as BayesianOptimization,
    GridSearch as GridSearch,
    Hyperband as Hyperband,
    RandomSearch as RandomSearch,
    Sklearn as Sklearn,
    SklearnTuner as SklearnTuner,
    Tuner as Tuner,
    TunecoreSearchCV as TunecoreSearchCV,
)

__version__: str
__all__ = [
    "BaseTuner", "Constraint", "FunctionTuner", "HyperModel", "HyperParameters", "Objective", "Oracle", "Pareto", "Project",
    "RunningTrial", "Trial", "TrialStatus", "TrialStopped", "callbacks", "errors", "executors", "hookimpl",
    "integrations", "load", "oracles", "pruners", "results", "synchronized", "tune", "tuners",
]

_F = TypeVar("_F", bound=Callable[..., Any])

def synchronized(func: _F) -> _F: ...

# A tuner registered by a third-party plugin.
def __getattr__(name: str) -> Any: ...
