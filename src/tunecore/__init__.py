"""tunecore: hyperparameter tuning with Keras Tuner's API, on a plugin core.

Keras Tuner code runs with ``import tunecore as kt``. The Keras tuners
(``kt.RandomSearch``, ``kt.Hyperband``...), the scikit-learn tuner and the
Bayesian oracles come from plugins, resolved by name when first used.
"""

from importlib.metadata import PackageNotFoundError, version

from tunecore import callbacks, errors, executors, integrations, oracles, pruners, results, tuners
from tunecore.errors import MissingDependencyError, PluginNotFoundError, TrialStopped
from tunecore.hypermodel import HyperModel
from tunecore.hyperparameters import HyperParameters
from tunecore.objective import Constraint, Objective, Pareto
from tunecore.oracles import Oracle
from tunecore.oracles.synchronized import synchronized
from tunecore import plugins
from tunecore.plugins import hookimpl
from tunecore.project import Project, load
from tunecore.trial import Trial, TrialStatus
from tunecore.tuners import BaseTuner, FunctionTuner, tune
from tunecore.tuners.outcome import RunningTrial

try:
    __version__ = version("tunecore")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "BaseTuner", "Constraint", "FunctionTuner", "HyperModel", "HyperParameters", "Objective", "Oracle", "Pareto", "Project",
    "RunningTrial", "Trial", "TrialStatus", "TrialStopped", "callbacks", "errors", "executors", "hookimpl",
    "integrations", "load", "oracles", "pruners", "results", "synchronized", "tune", "tuners",
]


class _MissingComponent(PluginNotFoundError, AttributeError):
    pass


def __getattr__(name):
    """Plugin-provided tuners by Keras Tuner's names: ``Tuner``, ``RandomSearch``..."""
    if name.startswith("_"):
        raise AttributeError(name)
    if name == "applications":  # Keras Tuner's module, from tunecore-keras: Keras on first use only
        try:
            import tunecore.applications as applications

            return applications
        except MissingDependencyError as exc:
            raise _MissingComponent(str(exc)) from None
    try:
        return tuners.get(name)
    except PluginNotFoundError as exc:
        if name[:1].isupper() or name in plugins.KNOWN_PROVIDERS["tuner"]:
            raise _MissingComponent(str(exc)) from None
        raise AttributeError(f"module 'tunecore' has no attribute {name!r}") from None
