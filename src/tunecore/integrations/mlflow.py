"""MLflow tracking for one search: a parent run, and a child run per trial.

A per-search callback rather than a plugin hook, so that tracking is on for
the searches given it and off everywhere else in the process. It talks to
MLflow through an explicit ``MlflowClient``: it neither needs nor changes the
fluent API's active run (a search started inside ``mlflow.start_run()``
nests under that run). ``pip install 'tunecore[mlflow]'`` (``mlflow-skinny``;
a ``sqlite:///`` store also needs ``sqlalchemy`` and ``alembic``, which the
full ``mlflow`` package brings).
"""

import math
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tunecore.callbacks import Callback
from tunecore.optional import optional_import
from tunecore.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from tunecore.oracles.base import Oracle
    from tunecore.tuners.base_tuner import BaseTuner

_STATUS = {
    TrialStatus.COMPLETED: "FINISHED",
    TrialStatus.STOPPED: "FINISHED",
    TrialStatus.FAILED: "FAILED",
    TrialStatus.INVALID: "FAILED",
}
_MAX_TAG = 5000
_INVALID_KEY = re.compile(r"[^\w./\- :]")


class MLflowCallback(Callback):
    """Log a search to MLflow.

    The search's parent run has the objective, the oracle and ``max_trials``
    as params, and a ``best_score`` metric (a step per ended trial). Each
    trial's child run (tags ``mlflow.parentRunId``, ``tunecore.trial_id``,
    ``tunecore.status``) has its hyperparameters as params, every metric it
    reports at its step (as it runs, also from a process pool or Dask worker),
    its final ``score`` and, if it failed, its message. A retried trial gets a
    new child run. Hyperparameter and metric names that MLflow refuses have
    their other characters replaced by ``_``.

    Example:
        ```python
        tuner.search(..., callbacks=[tunecore.integrations.MLflowCallback(
            tracking_uri="sqlite:///mlflow.db", experiment_name="my-search")])
        ```

    Args:
        tracking_uri: Where MLflow records (default: MLflow's own, from
            ``MLFLOW_TRACKING_URI`` or ``./mlruns``).
        experiment_name: The MLflow experiment (created if needed; default:
            MLflow's default experiment).
        run_name: The parent run's name (default: the tuner's project name).
        tags: More tags for the parent run.

    Attributes:
        parent_run_id: The parent run's id, once the search began.
        trial_run_ids: ``{trial_id: run_id}`` of each trial's (latest) child run.

    Raises:
        MissingDependencyError: MLflow is not installed (when the search begins).
    """

    def __init__(self, tracking_uri: str | None = None, experiment_name: str | None = None,
                 run_name: str | None = None, tags: Mapping[str, Any] | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.run_name = run_name
        self.tags = dict(tags or {})
        self.parent_run_id: str | None = None
        self.trial_run_ids: dict[str, str] = {}
        self._client: Any = None
        self._entities: Any = None
        self._experiment_id: str | None = None
        self._open: set[str] = set()
        self._best: float | None = None
        self._ended = 0

    def on_search_begin(self, tuner: "BaseTuner") -> None:
        mlflow = optional_import("mlflow", "mlflow")
        self._entities = optional_import("mlflow.entities", "mlflow")
        self._client = mlflow.MlflowClient(tracking_uri=self.tracking_uri)
        self._experiment_id = self._experiment()
        oracle = tuner.oracle
        tags = {"tunecore.project_dir": str(getattr(tuner, "project_dir", "")), **self.tags}
        active = mlflow.active_run()
        if active is not None and self.tracking_uri in (None, mlflow.get_tracking_uri()):
            tags["mlflow.parentRunId"] = active.info.run_id
        run = self._client.create_run(
            self._experiment_id, tags=tags,
            run_name=self.run_name or getattr(tuner, "project_name", None),
        )
        self.parent_run_id = run.info.run_id
        self.trial_run_ids = {}
        self._best, self._ended = _best_score(oracle), 0
        params = {
            "objective": oracle.objective.name,
            "direction": oracle.objective.direction,
            "oracle": type(oracle).__name__,
            "max_trials": oracle.max_trials,
        }
        self._log(self.parent_run_id, params=params)

    def on_trial_begin(self, tuner: "BaseTuner", trial: Trial) -> None:
        run = self._client.create_run(
            self._experiment_id,
            run_name=f"trial {trial.trial_id}",
            start_time=_ms(trial.started_at),
            tags={
                "mlflow.parentRunId": self.parent_run_id,
                "tunecore.trial_id": trial.trial_id,
                "tunecore.attempt": str(trial.attempts),
            },
        )
        self.trial_run_ids[trial.trial_id] = run.info.run_id
        self._open.add(run.info.run_id)

    def on_trial_report(
        self, tuner: "BaseTuner", trial: Trial, step: int, metrics: dict[str, float]
    ) -> None:
        run_id = self.trial_run_ids.get(trial.trial_id)
        if run_id is not None:
            self._log(run_id, metrics=metrics, step=step)

    def on_trial_end(self, tuner: "BaseTuner", trial: Trial) -> None:
        run_id = self.trial_run_ids.get(trial.trial_id)
        if run_id is None:
            return
        metrics: dict[str, float] = {} if trial.score is None else {"score": trial.score}
        tags = {"tunecore.status": trial.status}
        if trial.message:
            tags["tunecore.message"] = trial.message[-_MAX_TAG:]
        self._log(run_id, params=trial.hyperparameters.values, metrics=metrics,
                  step=trial.best_step or 0, tags=tags)
        self._client.set_terminated(run_id, status=_STATUS.get(trial.status, "FINISHED"),
                                    end_time=_ms(trial.ended_at))
        self._open.discard(run_id)
        self._ended += 1
        score, tags = trial.score, {}
        if trial.status == TrialStatus.COMPLETED and score is not None and not math.isnan(score):
            if self._best is None or tuner.oracle.objective.better_than(score, self._best):
                self._best, tags = score, {"tunecore.best_trial_id": trial.trial_id}
        if self._best is not None:
            self._log(self.parent_run_id, metrics={"best_score": self._best}, step=self._ended, tags=tags)

    def on_search_end(self, tuner: "BaseTuner") -> None:
        if self.parent_run_id is None:
            return
        for run_id in sorted(self._open):  # interrupted trials: they run again on resume
            self._client.set_terminated(run_id, status="KILLED")
        self._open.clear()
        self._client.set_terminated(self.parent_run_id, status="FINISHED")

    def _experiment(self) -> str:
        if self.experiment_name is None:
            return "0"  # MLflow's default experiment
        experiment = self._client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            return experiment.experiment_id
        return self._client.create_experiment(self.experiment_name)

    def _log(self, run_id: str | None, params: Mapping[str, Any] | None = None,
             metrics: Mapping[str, float] | None = None, step: int = 0,
             tags: Mapping[str, str] | None = None) -> None:
        entities = self._entities
        now = _ms(None)
        self._client.log_batch(
            run_id,
            metrics=[entities.Metric(_key(k), float(v), now, int(step)) for k, v in (metrics or {}).items()],
            params=[entities.Param(_key(k), str(v)[:6000]) for k, v in (params or {}).items()],
            tags=[entities.RunTag(k, str(v)) for k, v in (tags or {}).items()],
        )


def _key(name: object) -> str:
    return _INVALID_KEY.sub("_", str(name))


def _ms(seconds: float | None) -> int:
    return int(round((time.time() if seconds is None else seconds) * 1000))


def _best_score(oracle: "Oracle") -> float | None:
    best = oracle.get_best_trials(1)
    return best[0].score if best else None
