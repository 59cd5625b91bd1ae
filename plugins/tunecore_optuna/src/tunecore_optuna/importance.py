"""Hyperparameter importances of a tunecore search (``tunecore.importance``), by Optuna."""

import warnings
from typing import Any

from optuna import importance

from tunecore_optuna import study as studies
from tunecore_optuna.visualization import with_default_target

__all__ = ["get_param_importances"]


def get_param_importances(source: object, **kwargs: Any) -> dict[str, float]:
    """How much each hyperparameter explains the objective, most important first.

    Args:
        source: A project path, a :class:`tunecore.Project`, a tuner or an oracle.
        **kwargs: For :func:`optuna.importance.get_param_importances`:
            ``evaluator`` (default: Optuna's, PED-ANOVA in Optuna 5, which also
            weighs conditional hyperparameters), ``params``, ``target``,
            ``normalize``. A Pareto search's default target is its first
            objective (tunecore's score).

    Returns:
        ``{name: importance}``, sorted by decreasing importance (summing to 1
        when normalised).
    """
    study = studies.to_study(source)
    with warnings.catch_warnings():
        kwargs = with_default_target(study, kwargs, importance=True)
        kwargs.pop("target_name", None)
        return importance.get_param_importances(study, **kwargs)
