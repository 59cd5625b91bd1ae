"""Optuna's plots of a tunecore search (``tunecore.visualization``).

Each function takes a project path, a :class:`tunecore.Project`, a tuner or an
oracle, converts it with :func:`tunecore_optuna.to_study` and calls the Optuna
function of the same name: ``optuna.visualization`` (a plotly ``Figure``) by
default, ``optuna.visualization.matplotlib`` (matplotlib ``Axes``) with
``backend="matplotlib"``. Other keyword arguments go to Optuna's function.

For a Pareto search, where Optuna needs a ``target``, the default target is
tunecore's score: the first objective.
"""

import warnings
from types import ModuleType
from typing import Any

import optuna
from optuna.exceptions import ExperimentalWarning
from optuna.study import StudyDirection

from tunecore.errors import InvalidArgumentError, MissingDependencyError
from tunecore_optuna import study as studies

__all__ = [
    "plot_contour", "plot_intermediate_values", "plot_optimization_history",
    "plot_parallel_coordinate", "plot_param_importances", "plot_slice",
]

BACKENDS = ("plotly", "matplotlib")


def plot_optimization_history(source: object, *, backend: str = "plotly", **kwargs: Any) -> Any:
    """Each trial's objective value, and the best so far, in trial order."""
    return _plot("plot_optimization_history", source, backend, kwargs)


def plot_param_importances(source: object, *, backend: str = "plotly", **kwargs: Any) -> Any:
    """How much each hyperparameter explains the objective (see :func:`tunecore.importance.get_param_importances`)."""
    return _plot("plot_param_importances", source, backend, kwargs)


def plot_parallel_coordinate(source: object, *, backend: str = "plotly", **kwargs: Any) -> Any:
    """Every completed trial as a line through its hyperparameter values to its objective value."""
    return _plot("plot_parallel_coordinate", source, backend, kwargs)


def plot_slice(source: object, *, backend: str = "plotly", **kwargs: Any) -> Any:
    """The objective value against each hyperparameter, one panel per hyperparameter."""
    return _plot("plot_slice", source, backend, kwargs)


def plot_contour(source: object, *, backend: str = "plotly", **kwargs: Any) -> Any:
    """The objective value over pairs of hyperparameters (``params=[a, b]`` picks a pair)."""
    return _plot("plot_contour", source, backend, kwargs)


def plot_intermediate_values(source: object, *, backend: str = "plotly", **kwargs: Any) -> Any:
    """Each trial's objective at each reported step (epochs, rungs): learning curves."""
    return _plot("plot_intermediate_values", source, backend, kwargs, takes_target=False)


def _plot(name: str, source: object, backend: str, kwargs: dict[str, Any], takes_target: bool = True) -> Any:
    module = _backend(backend)
    study = studies.to_study(source)
    with warnings.catch_warnings():
        # Optuna marks its matplotlib plots experimental; choosing the backend is choosing that.
        warnings.simplefilter("ignore", ExperimentalWarning)
        if takes_target:
            kwargs = with_default_target(study, kwargs, importance=name == "plot_param_importances")
        try:
            return getattr(module, name)(study, **kwargs)
        except ImportError as exc:
            raise _missing(backend, exc) from exc


def with_default_target(study: optuna.Study, kwargs: dict[str, Any], importance: bool = False) -> dict[str, Any]:
    """``kwargs`` with the objective's name as ``target_name`` and, for a
    multi-objective (Pareto) study, tunecore's score, the first objective, as ``target``.

    With ``importance=True`` a maximised first objective is negated, as
    Optuna's importance evaluators look for low targets. Call it inside
    ``warnings.catch_warnings()``: it silences Optuna's reminder of that.
    """
    names = study.metric_names or [f"Objective {i}" for i in range(len(study.directions))]
    if kwargs.get("target") is not None:
        return kwargs
    if len(study.directions) == 1:  # Optuna knows the direction: say "accuracy", not "Objective Value"
        return {"target_name": names[0], **kwargs}
    warnings.filterwarnings("ignore", message="PedAnovaImportanceEvaluator computes the importances")
    sign = -1.0 if importance and study.directions[0] == StudyDirection.MAXIMIZE else 1.0
    return {"target": lambda trial: sign * trial.values[0], "target_name": names[0], **kwargs}


def _backend(backend: str) -> ModuleType:
    if backend not in BACKENDS:
        raise InvalidArgumentError(f"backend must be one of {BACKENDS}; got {backend!r}.")
    try:
        if backend == "matplotlib":
            import matplotlib  # noqa: F401  (Optuna's module imports without it, then fails late)
            import optuna.visualization.matplotlib as module
        else:
            import plotly  # noqa: F401
            import optuna.visualization as module
    except ImportError as exc:
        raise _missing(backend, exc) from exc
    return module


def _missing(backend: str, exc: ImportError) -> MissingDependencyError:
    fix = "pip install matplotlib" if backend == "matplotlib" else "pip install 'tunecore[optuna]'"
    return MissingDependencyError(
        f"backend={backend!r} needs {backend}, which is not installed ({exc}). Install it with: {fix}"
    )
