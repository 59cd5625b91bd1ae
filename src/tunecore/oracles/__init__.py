"""Oracles: what suggests the next configuration.

``tunecore.oracles.get(name)`` returns the class registered under ``name`` by
tunecore or an installed plugin; ``available()`` lists the names. Keras Tuner's
class names (``BayesianOptimizationOracle``...) resolve as attributes.
"""

import inspect
from typing import Any

from tunecore.errors import PluginNotFoundError, TooManyFailedTrialsError
from tunecore.oracles.base import Oracle
from tunecore.oracles.grid import GridSearch
from tunecore.oracles.random import RandomSearch
from tunecore.plugins import get_plugin_manager

RandomSearchOracle = RandomSearch
GridSearchOracle = GridSearch

__all__ = [
    "Oracle", "RandomSearch", "RandomSearchOracle", "GridSearch", "GridSearchOracle",
    "TooManyFailedTrialsError", "get", "available", "create", "ORACLE_ARGUMENTS",
    "pop_oracle_arguments",
]

#: The constructor arguments every oracle shares (those of :class:`Oracle`).
ORACLE_ARGUMENTS = tuple(inspect.signature(Oracle.__init__).parameters)[1:]


def pop_oracle_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Remove the shared oracle arguments from ``kwargs`` and return them.

    For tuners that build their oracle, as Keras Tuner's ``RandomSearch(...)``
    does: the rest of ``kwargs`` goes to the tuner.
    """
    return {name: kwargs.pop(name) for name in ORACLE_ARGUMENTS if name in kwargs}


def get(name: str) -> Any:
    """The oracle class registered as ``name`` (e.g. ``"random"``, ``"bayesian"``).

    Raises:
        PluginNotFoundError: no installed plugin provides it; the message says
            which ``pip install 'tunecore[...]'`` does.
    """
    return get_plugin_manager().oracles.get(name)


def available() -> list[str]:
    """Names of the installed oracles."""
    return get_plugin_manager().oracles.names()


def create(oracle: Any, **kwargs: Any) -> Oracle:
    """An oracle instance from an instance, a class or a registered name."""
    if isinstance(oracle, Oracle):
        return oracle
    if isinstance(oracle, str):
        oracle = get(oracle)
    return oracle(**kwargs)


class _MissingOracle(PluginNotFoundError, AttributeError):
    pass


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(name)
    try:
        return get(name)
    except PluginNotFoundError as exc:
        raise _MissingOracle(str(exc)) from None
