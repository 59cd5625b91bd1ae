"""The trials of a search as a table: one row per trial, for pandas.

``tunecore.load(path).trials_dataframe()``, ``tuner.results_dataframe()`` and
``tunecore export`` all build it here, from any :class:`TrialSource`: an object
with ``.trials`` and ``.hyperparameters`` (an oracle or a loaded
:class:`~tunecore.Project`). pandas is optional: ``pip install 'tunecore[pandas]'``.

Columns, in this order (the names follow Optuna's ``trials_dataframe``, so
``df.filter(like="params_")`` selects the hyperparameters):

| column | what it holds |
|---|---|
| ``trial_id`` | The trial's id (a string: ``"00"``, ``"01"``...). |
| ``status`` | ``COMPLETED``, ``STOPPED``, ``FAILED``, ``INVALID`` or ``RUNNING``. |
| ``score`` | The objective's best value over the trial's steps (NaN if none). |
| ``best_step`` | The step at which ``score`` was reached (``<NA>`` if none). |
| ``params_<name>`` | Each hyperparameter of the space, in definition order, then values the tuner fixed (``params_tuner/epochs``). Empty (NaN, ``<NA>``) where the hyperparameter was inactive in that trial (a conditional one whose parent took another value). Int and Boolean hyperparameters keep their type (pandas' nullable ``Int64`` and ``boolean``). |
| ``<metric>_best`` | Each reported metric's best value over the trial's steps, in the metric's direction (the objective's, or the one its name implies). |
| ``<metric>_last`` | The value at its last reported step. |
| ``started_at`` | When the trial (its last attempt) started: UTC timestamps. |
| ``ended_at`` | When it ended (NaT while it runs). |
| ``duration_s`` | ``ended_at - started_at`` in seconds (a float). |
| ``attempts`` | How many times it ran (retries included). |
| ``tuner_id`` | The tuner that ran it. |
| ``message`` | Why it failed (its traceback), if it did. |

A CSV file loses the types: read it back with
``pd.read_csv(path, dtype={"trial_id": str}, parse_dates=["started_at", "ended_at"])``.
Parquet (``pyarrow``) keeps them.
"""

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from tunecore.hyperparameters import Boolean, Choice, Fixed, HyperParameter, HyperParameters, Int
from tunecore.optional import optional_import
from tunecore.trial import Trial

if TYPE_CHECKING:
    import pandas

#: The columns every table has, in order; hyperparameters and metrics go between.
LEADING_COLUMNS = ("trial_id", "status", "score", "best_step")
TRAILING_COLUMNS = ("started_at", "ended_at", "duration_s", "attempts", "tuner_id", "message")
PARAMS_PREFIX = "params_"
BEST_SUFFIX, LAST_SUFFIX = "_best", "_last"


class TrialSource(Protocol):
    """What a table is built from: an :class:`~tunecore.Oracle` or a loaded :class:`~tunecore.Project`."""

    @property
    def trials(self) -> Mapping[str, Trial]:
        """``{trial_id: Trial}``."""
        ...

    @property
    def hyperparameters(self) -> HyperParameters:
        """The search space."""
        ...


def trials_dataframe(source: TrialSource) -> "pandas.DataFrame":
    """One row per trial of ``source``, columns as the module docstring lists them.

    Args:
        source: An object with ``trials`` (``{trial_id: Trial}``) and
            ``hyperparameters`` (the search space): an :class:`~tunecore.Oracle`,
            a tuner's ``oracle``, or a loaded :class:`~tunecore.Project`.

    Returns:
        A ``pandas.DataFrame`` (empty, with the fixed and hyperparameter
        columns, when there is no trial).

    Raises:
        MissingDependencyError: pandas is not installed; ``pip install 'tunecore[pandas]'``.
    """
    pd = optional_import("pandas", "pandas")
    trials = list(source.trials.values())
    params = _param_names(source.hyperparameters, trials)
    metrics = _metric_names(trials)
    rows = [_row(trial, params, metrics) for trial in trials]
    columns = [
        *LEADING_COLUMNS,
        *(PARAMS_PREFIX + name for name in params),
        *(name + suffix for name in metrics for suffix in (BEST_SUFFIX, LAST_SUFFIX)),
        *TRAILING_COLUMNS,
    ]
    clashes = sorted({c for c in columns if columns.count(c) > 1})
    if clashes:
        raise ValueError(
            f"The trials' metric and hyperparameter names give the same column(s) {clashes}: "
            f"metrics {metrics}, hyperparameters {params}. Rename one of them."
        )
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame = frame.astype({"score": "float64", "best_step": "Int64", "attempts": "Int64",
                          "duration_s": "float64"})
    for name in ("started_at", "ended_at"):  # recorded to the millisecond
        frame[name] = pd.to_datetime(frame[name].astype("float64").mul(1000).round(), unit="ms", utc=True)
    for name, dtype in _param_dtypes(source.hyperparameters, params).items():
        frame[PARAMS_PREFIX + name] = frame[PARAMS_PREFIX + name].astype(dtype)
    for name in metrics:
        for suffix in (BEST_SUFFIX, LAST_SUFFIX):
            frame[name + suffix] = frame[name + suffix].astype("float64")
    return frame


def _param_names(space: HyperParameters, trials: list[Trial]) -> list[str]:
    names = dict.fromkeys(hp.name for hp in space.space)
    for trial in trials:
        names.update(dict.fromkeys(trial.hyperparameters.values))
    return list(names)


def _metric_names(trials: list[Trial]) -> list[str]:
    names: dict[str, None] = {}
    for trial in trials:
        names.update(dict.fromkeys(trial.metrics.metrics))
    return list(names)


def _row(trial: Trial, params: list[str], metrics: list[str]) -> dict[str, Any]:
    values = trial.hyperparameters.values
    tracker = trial.metrics
    row: dict[str, Any] = {
        "trial_id": trial.trial_id,
        "status": trial.status,
        "score": _float(trial.score),
        "best_step": trial.best_step,
        "started_at": trial.started_at,
        "ended_at": trial.ended_at,
        "duration_s": (
            round(trial.ended_at - trial.started_at, 3)
            if trial.started_at is not None and trial.ended_at is not None else None
        ),
        "attempts": trial.attempts,
        "tuner_id": trial.tuner_id,
        "message": trial.message,
    }
    for name in params:
        row[PARAMS_PREFIX + name] = values.get(name)
    for name in metrics:
        reported = tracker.exists(name)
        row[name + BEST_SUFFIX] = _float(tracker.get_best_value(name)) if reported else None
        row[name + LAST_SUFFIX] = _float(tracker.get_last_value(name)) if reported else None
    return row


def _param_dtypes(space: HyperParameters, params: list[str]) -> dict[str, str | None]:
    """Nullable dtypes for hyperparameters whose every definition is an int or a bool."""
    kinds: dict[str, set[str | None]] = {}
    for hp in space.space:
        kinds.setdefault(hp.name, set()).add(_kind(hp))
    return {
        name: kind.pop() for name, kind in kinds.items()
        if name in params and len(kind) == 1 and None not in kind
    }


def _kind(hp: HyperParameter) -> str | None:
    if isinstance(hp, Boolean):
        return "boolean"
    if isinstance(hp, Int):
        return "Int64"
    values = hp.values if isinstance(hp, Choice) else [hp.value] if isinstance(hp, Fixed) else []
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Int64"
    return None


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)
