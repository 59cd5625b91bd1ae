"""Any tunecore search as an Optuna study, so that Optuna's tools read it.

:func:`to_study` takes a project path, a :class:`tunecore.Project`, a tuner, an
oracle (or an Optuna study, returned as is) and copies its trials into a new
study in memory. Nothing is written to the project and its lock is never
taken: a path is read with :func:`tunecore.load`, which a running search
does not notice.

Each trial becomes one Optuna trial, numbered in creation order:

* **params**: its active hyperparameters, with the distributions of
  :mod:`tunecore_optuna.space` (``Fixed`` ones and ``tuner/...`` scheduling
  values are left out; an inactive conditional hyperparameter is absent);
* **state**: COMPLETED -> COMPLETE, FAILED and INVALID -> FAIL, STOPPED ->
  PRUNED, RUNNING -> RUNNING (a COMPLETED trial whose score is NaN is FAIL,
  as Optuna itself records it);
* **values**: its score (the objective's best value; for Keras Tuner's list
  of objectives, their weighted sum, minimised); for a ``tunecore.Pareto``
  objective, one value per objective, read at the trial's ``best_step``, and
  the study has one direction per objective;
* **intermediate values**: the objective at each reported step;
* **user attrs**: ``trial_id``, ``tuner_id``, ``attempts``, ``score`` and
  ``message`` (why it failed), those that are set;
* **datetime_start / datetime_complete**: when it last started and ended.
"""

import datetime
import logging
import math
import os
import warnings
from typing import Any, cast

import optuna
from optuna.exceptions import ExperimentalWarning
from optuna.study import StudyDirection
from optuna.trial import TrialState

import tunecore
from tunecore import schedule
from tunecore.errors import InvalidArgumentError
from tunecore.objective import MultiObjective, Objective
from tunecore.oracles import Oracle
from tunecore.project import Project
from tunecore.trial import Trial, TrialStatus
from tunecore_optuna.space import distribution

#: tunecore's trial states in Optuna's terms.
STATES = {
    TrialStatus.COMPLETED: TrialState.COMPLETE,
    TrialStatus.FAILED: TrialState.FAIL,
    TrialStatus.INVALID: TrialState.FAIL,
    TrialStatus.STOPPED: TrialState.PRUNED,
    TrialStatus.RUNNING: TrialState.RUNNING,
    TrialStatus.IDLE: TrialState.WAITING,
}

_STORAGE_LOGGER = "optuna.storages._in_memory"


def to_study(source: object, study_name: str | None = None) -> optuna.Study:
    """A new in-memory :class:`optuna.Study` holding the trials of ``source``.

    Args:
        source: A project path (``directory/project_name``), a
            :class:`tunecore.Project`, a tuner, an oracle, or an
            :class:`optuna.Study` (returned unchanged).
        study_name: The study's name (default: the project's folder name).

    Raises:
        ProjectError: ``source`` is a path that holds no tunecore project.
        InvalidArgumentError: ``source`` is none of the above.
    """
    if isinstance(source, optuna.Study):
        return source
    record, name = resolve(source)
    storage = optuna.storages.InMemoryStorage()
    study = new_study(storage, record.objective, study_name or name)
    study.add_trials(frozen_trial(trial, record.objective) for trial in record.trials.values())
    return study


def resolve(source: object) -> tuple[Project | Oracle, str]:
    """``(record, name)``: what holds the trials (a Project or an oracle) and a name for it.

    ``record`` has ``objective``, ``trials`` and ``hyperparameters``.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        return tunecore.load(path), _folder_name(path)
    if isinstance(source, tunecore.Project):
        return source, _folder_name(source.path)
    if isinstance(source, tunecore.Oracle):
        return source, "tunecore"
    oracle = getattr(source, "oracle", None)
    if isinstance(oracle, tunecore.Oracle):  # a tuner, Keras Tuner's or a scikit-learn search
        return oracle, getattr(source, "project_name", None) or "tunecore"
    raise InvalidArgumentError(
        f"Expected a project path, a tunecore.Project, a tuner, an oracle or an optuna.Study; "
        f"got {source!r} of type {type(source).__name__}."
    )


def new_study(storage: optuna.storages.BaseStorage, objective: Objective, name: str,
              sampler: optuna.samplers.BaseSampler | None = None) -> optuna.Study:
    """An empty study in ``storage`` with ``objective``'s direction(s)."""
    create_study_id(storage, objective, name)
    return optuna.study.Study(study_name=name, storage=storage, sampler=sampler)


def create_study_id(storage: optuna.storages.BaseStorage, objective: Objective, name: str) -> int:
    """Create an empty study in ``storage``, without Optuna's INFO line; returns its id.

    A study is made for every plot and every optuna oracle: a line for each
    would bury the search's own output.
    """
    quieted = logging.getLogger(_STORAGE_LOGGER)
    level = quieted.level
    quieted.setLevel(max(level, logging.WARNING))
    try:
        study_id = storage.create_new_study(directions(objective), study_name=name)
    finally:
        quieted.setLevel(level)
    with warnings.catch_warnings():  # set_metric_names is experimental in some Optuna versions
        warnings.simplefilter("ignore", ExperimentalWarning)
        # Plots and optuna-dashboard then say "loss" rather than "Objective 0".
        optuna.study.Study(study_name=name, storage=storage).set_metric_names(
            [part.name for part in objectives(objective)]
        )
    return study_id


def directions(objective: Objective) -> list[StudyDirection]:
    """Optuna's directions of a tunecore objective: one per objective of a MultiObjective."""
    return [
        StudyDirection.MAXIMIZE if part.direction == "max" else StudyDirection.MINIMIZE
        for part in objectives(objective)
    ]


def is_multi_objective(objective: Objective) -> bool:
    return len(objectives(objective)) > 1


def params(trial: Trial) -> tuple[dict[str, Any], dict[str, optuna.distributions.BaseDistribution]]:
    """``(params, distributions)`` of a tunecore trial's active hyperparameters."""
    hps = trial.hyperparameters
    found: dict[str, Any] = {}
    dists: dict[str, optuna.distributions.BaseDistribution] = {}
    for name, value in schedule.user_values(hps.values).items():
        dist = distribution(hps.get_hyperparameter(name))
        if dist is not None:
            found[name], dists[name] = value, dist
    return found, dists


def values(trial: Trial, objective: Objective) -> list[float] | None:
    """The trial's objective value(s) as Optuna records them, or None if it has none.

    One value (its score), or one per objective of a Pareto objective, read at
    the trial's ``best_step``.
    """
    if trial.score is None or math.isnan(trial.score):
        return None
    parts = objectives(objective)
    if len(parts) == 1:
        return [trial.score]
    metrics = trial.metrics.at_step(trial.best_step)  # type: ignore[arg-type]  # a scored trial has a best_step
    found = [metrics.get(part.name) for part in parts]
    if any(value is None or math.isnan(value) for value in found):
        return None
    return cast("list[float]", found)  # no None left


def intermediate_values(trial: Trial, objective: Objective) -> dict[int, float]:
    """``{step: value}`` of the objective at each step the trial reported it."""
    found: dict[int, float] = {}
    for step in trial.metrics.steps():
        metrics = trial.metrics.at_step(step)
        if objective.has_value(metrics):
            value = objective.get_value(metrics)
            if not math.isnan(value):
                found[step] = value
    return found


def user_attrs(trial: Trial) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "trial_id": trial.trial_id,
        "tuner_id": trial.tuner_id,
        "attempts": trial.attempts,
        "score": trial.score,
        "message": trial.message,
    }
    return {key: value for key, value in attrs.items() if value is not None}


def state(trial: Trial, objective: Objective) -> TrialState:
    """The Optuna state of a tunecore trial (a finished trial without a value is FAIL)."""
    found = STATES.get(trial.status, TrialState.FAIL)
    if found == TrialState.COMPLETE and values(trial, objective) is None:
        return TrialState.FAIL
    return found


def frozen_trial(trial: Trial, objective: Objective) -> optuna.trial.FrozenTrial:
    """A tunecore trial as an :class:`optuna.trial.FrozenTrial`, ready for ``add_trial``."""
    found_state = state(trial, objective)
    found_params, dists = params(trial)
    frozen = optuna.trial.create_trial(
        state=found_state,
        values=values(trial, objective) if found_state in (TrialState.COMPLETE, TrialState.PRUNED) else None,
        params=found_params,
        distributions=dists,
        user_attrs=user_attrs(trial),
        intermediate_values=intermediate_values(trial, objective),
    )
    started = trial.started_at or trial.created_at
    if started is not None and found_state != TrialState.WAITING:
        frozen.datetime_start = _datetime(started)
    if trial.ended_at is not None and found_state.is_finished():
        frozen.datetime_complete = max(_datetime(trial.ended_at), frozen.datetime_start)
    return frozen


def objectives(objective: Objective) -> list[Objective]:
    """The objectives the study optimises: each one of a Pareto objective; else just ``objective``.

    Keras Tuner's list of objectives (a :class:`~tunecore.objective.MultiObjective`)
    is one objective, their weighted sum, which tunecore ranks trials by; it
    stays one here.
    """
    if isinstance(objective, MultiObjective):
        return [objective]
    return list(getattr(objective, "objectives", None) or [objective])


def _datetime(timestamp: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp)


def _folder_name(path: str) -> str:
    return os.path.basename(os.path.normpath(path)) or "tunecore"
