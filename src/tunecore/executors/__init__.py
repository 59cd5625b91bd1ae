"""Executors: where trials run (in process, in a local process pool, on Dask)."""

from typing import Any

from tunecore.errors import UnpicklableError
from tunecore.executors.base import Executor
from tunecore.executors.inprocess import InProcessExecutor
from tunecore.executors.process import ProcessPoolExecutor
from tunecore.executors.runner import ReportChannel, TrialOutcome, TrialRunner
from tunecore.plugins import get_plugin_manager

__all__ = [
    "Executor", "InProcessExecutor", "ProcessPoolExecutor", "ReportChannel", "TrialOutcome", "TrialRunner",
    "UnpicklableError", "available", "create",
]


def available() -> list[str]:
    """Names of the installed executors."""
    return get_plugin_manager().executors.names()


def create(executor: Any = None, max_parallel_trials: int | None = None, **options: Any) -> Executor:
    """An executor from an instance, a registered name, or None (in process).

    With a name, ``max_parallel_trials`` and ``options`` go to its factory; a
    factory may also accept an object it recognises (e.g. a Dask client, or a
    scheduler address such as ``"tcp://host:8786"``).
    """
    if isinstance(executor, Executor):
        return executor
    if executor is None:
        if max_parallel_trials and max_parallel_trials > 1:
            executor = "process"
        else:
            return InProcessExecutor()
    if isinstance(executor, str) and "://" not in executor:  # not an address
        factory = get_plugin_manager().executors.get(executor)
        if max_parallel_trials is not None:
            options["max_workers"] = max_parallel_trials
        return factory(**options)
    return _from_object(executor, max_parallel_trials, options)


def _from_object(obj: object, max_parallel_trials: int | None, options: dict[str, Any]) -> Executor:
    registry = get_plugin_manager().executors
    for name in registry.names():
        factory = registry.get(name)
        accepts = getattr(factory, "accepts", None)
        if accepts is not None and accepts(obj):
            return factory(obj, max_workers=max_parallel_trials, **options)
    raise TypeError(
        f"executor must be an Executor, a name in {registry.names()} or an object an "
        f"installed executor accepts; got {obj!r}."
    )
