"""Tuners: the search loop and the ready-made tuners that plugins provide.

``tunecore.tuners.Sklearn`` / ``SklearnTuner`` and the Keras tuners resolve
through the plugin registry, so they work once their plugin is installed.
"""

from tunecore.errors import PluginNotFoundError
from tunecore.plugins import get_plugin_manager
from tunecore.tuners.base_tuner import BaseTuner
from tunecore.tuners.function_tuner import FunctionTuner, tune

__all__ = ["BaseTuner", "FunctionTuner", "tune", "get", "available"]


def get(name):
    """The tuner class registered as ``name`` (e.g. ``"sklearn"``)."""
    return get_plugin_manager().tuners.get(name)


def available():
    """Names of the installed tuners."""
    return get_plugin_manager().tuners.names()


class _MissingTuner(PluginNotFoundError, AttributeError):
    pass


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    try:
        return get(name)
    except PluginNotFoundError as exc:
        raise _MissingTuner(str(exc)) from None
