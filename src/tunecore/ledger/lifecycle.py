"""The trial ledger's life cycle: trials created, reported, stopped, ended, retried, replayed.

See :mod:`tunecore.ledger` for what the ledger keeps; scoring is in
:mod:`tunecore.ledger.scoring`, the events' shapes in :mod:`tunecore.ledger.events`.
"""

import contextlib
import logging
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tunecore.errors import ProjectError, TooManyFailedTrialsError, TrialStateError, TunecoreError
from tunecore.hyperparameters import HyperParameters
from tunecore.hyperparameters.walk import values_hash
from tunecore.ledger import events
from tunecore.ledger.records import TrialRecord
from tunecore.ledger.replay import LifeCycle, LifeCycleError
from tunecore.ledger.scoring import Scorer
from tunecore.objective import Constraint, Objective
from tunecore.storage import InMemoryStorage, Storage, paths
from tunecore.trial import Trial, TrialStatus

logger = logging.getLogger("tunecore")


class TrialLedger:
    """The trials of one search (see :mod:`tunecore.ledger`).

    Args:
        objective: The :class:`~tunecore.Objective` that scores trials.
        storage: A :class:`~tunecore.storage.Storage`; in memory by default.
        constraints: :class:`~tunecore.objective.Constraint` objects; best
            trials are feasible ones. Recorded in the storage's header.

    Attributes:
        trials: ``{trial_id: Trial}``, in creation order.
        ongoing: ``{trial_id: Trial}`` of the RUNNING trials, in the order they started.
        consecutive_failures: FAILED trials since the last COMPLETED one.
        space: The search space as the storage recorded it (after :meth:`open`).
        oracle_state: The oracle's last recorded state (after :meth:`open`), or None.
        queued: Values enqueued to run before new suggestions (see :meth:`enqueue`).
        scorer: The :class:`~tunecore.ledger.scoring.Scorer` of the objective and constraints.
    """

    def __init__(self, objective: Objective, storage: Storage | None = None,
                 constraints: Iterable[Constraint] = ()) -> None:
        self.scorer = Scorer(objective, constraints)
        self.queued: list[dict[str, Any]] = []
        self.storage = storage if storage is not None else InMemoryStorage()
        self.trials: dict[str, Trial] = {}
        self.ongoing: dict[str, Trial] = {}
        self.consecutive_failures = 0
        self.space = HyperParameters()
        self.oracle_state: Any = None
        self._records: dict[str, TrialRecord] = {}
        self._retry_queue: list[str] = []
        self._tried: set[str] = set()
        self._space_config: dict[str, Any] | None = None
        self._last_tuner_id: str | None = None
        self._finalising: str | None = None
        self._said_infeasible = False

    @property
    def objective(self) -> Objective:
        return self.scorer.objective

    @objective.setter
    def objective(self, objective: Objective) -> None:
        self.scorer.objective = objective

    @property
    def constraints(self) -> list[Constraint]:
        return self.scorer.constraints

    # Storage -----------------------------------------------------------------

    def open(self, storage: Storage, header: dict[str, Any], overwrite: bool = False) -> None:
        """Keep the trials in ``storage`` from now on, replaying what it holds.

        Raises:
            ProjectError: the storage refuses, or an event cannot be replayed
                (the message names its journal line).
        """
        self.storage = storage
        if self.constraints:
            header = {**header, "constraints": [c.get_config() for c in self.constraints]}
        self._replay(storage.open(header, overwrite=overwrite))

    def close(self) -> None:
        """Release the storage (the journal file); a later event opens it again."""
        for record in self._records.values():  # trials that never ended: keep their final reports
            if record.final is not None:
                self._append(record.final)
                record.final = None
        self.storage.close()

    def record_space(self, hyperparameters: HyperParameters) -> None:
        """Record the search space, if it differs from the one recorded last."""
        config = hyperparameters.get_config()
        if config != self._space_config:
            self._space_config = config
            self.space = hyperparameters.copy()
            self._append({"event": "space", "hyperparameters": config})

    # The life of a trial -----------------------------------------------------

    def new_trial_id(self, max_trials: int | None = None) -> str:
        width = max(2, len(str((max_trials or 100) - 1)))
        return str(len(self.trials)).zfill(width)

    def enqueue(self, values: Mapping[str, Any]) -> None:
        """Queue ``values`` (already checked) to run before new suggestions; recorded for resume."""
        self.queued.append(dict(values))
        self._append({"event": "enqueue", "values": dict(values)})

    def next_enqueued(self) -> dict[str, Any] | None:
        """The first queued configuration's values (removed from the queue), or None."""
        return self.queued.pop(0) if self.queued else None

    def next_retry(self) -> str | None:
        """The id of a trial waiting to run again, or None."""
        return self._retry_queue.pop(0) if self._retry_queue else None

    def create(self, trial_id: str, hyperparameters: HyperParameters, tuner_id: str | None,
               oracle_state: Any) -> Trial:
        """Add a new RUNNING trial with ``hyperparameters``.

        Raises:
            TrialStateError: ``trial_id`` exists or is not a valid id.
        """
        if trial_id in self.trials or not paths.is_trial_id(trial_id):
            raise TrialStateError(f"Cannot create trial {trial_id!r}: the id exists or is not valid.")
        # No status until the record's transition (Trial's annotation does not admit None).
        trial = Trial(hyperparameters, trial_id=trial_id, status=None, tuner_id=tuner_id)  # type: ignore[arg-type]
        record = self._records[trial_id] = TrialRecord(trial)
        record.transition(TrialStatus.RUNNING)
        trial.attempts = 1
        values = hyperparameters.values
        self._tried.add(values_hash(values))
        self.trials[trial_id] = self.ongoing[trial_id] = trial
        trial.created_at = trial.started_at = self._append_start(record, values, oracle_state)
        return trial

    def restart(self, trial_id: str, tuner_id: str | None, oracle_state: Any) -> Trial:
        """Run a FAILED (or interrupted) trial again with the same values."""
        record = self._records[trial_id]
        trial = record.trial
        record.transition(TrialStatus.RUNNING)
        record.forget_run()
        trial.tuner_id = tuner_id
        trial.attempts += 1
        trial.metrics.clear()
        trial.score = trial.best_step = trial.message = trial.ended_at = None
        trial.retryable = True
        self.ongoing[trial_id] = trial
        trial.started_at = self._append_start(record, trial.hyperparameters.values, oracle_state)
        return trial

    def running(self, trial_id: str) -> Trial:
        """The RUNNING trial ``trial_id``.

        Raises:
            TrialStateError: it does not exist or is not running.
        """
        return self._running(trial_id).trial

    @contextlib.contextmanager
    def final_result(self, trial_id: str) -> Iterator[None]:
        """Within the block, what ``trial_id`` reports is its final result: the
        final value of each metric it names (replacing, not averaged with, what
        was reported at that step), written with its ``end`` event."""
        self._finalising = trial_id
        try:
            yield
        finally:
            self._finalising = None

    def record(self, trial_id: str, step: int, metrics: Mapping[str, Any]) -> Trial:
        """Record the ``metrics`` a running trial reported at ``step``.

        Raises:
            TrialStateError: the trial is not running.
            TypeError: a metric is not a number.
        """
        record = self._running(trial_id)
        metrics = {name: _number(trial_id, name, value) for name, value in metrics.items()}
        final = trial_id == self._finalising
        self._track(record.trial, metrics, step, final=final)
        event = events.metrics_event(trial_id, step, metrics)
        if record.final is not None:  # a final result followed by more: it was not the last
            self._append(record.final)
        record.final = event if final else None
        if not final:
            self._append(event)
        return record.trial

    def request_stop(self, trial_id: str, reason: str | None = None, status: str = TrialStatus.STOPPED) -> None:
        """Ask a running trial to stop: its reports answer STOPPED from now on.

        Args:
            reason: Why, kept as the trial's message when it ends.
            status: How it ends if it then ends normally: STOPPED (a pruner,
                the oracle) or FAILED (over ``trial_timeout``; retryable). The
                first request wins.
        """
        record = self._running(trial_id)
        if record.stop is None:
            record.stop = (status, reason)

    def stop_requested(self, trial_id: str) -> bool:
        return self.stop_request(trial_id) is not None

    def stop_request(self, trial_id: str) -> tuple[str, str | None] | None:
        """``(status, reason)`` of the stop requested for the running ``trial_id``, or None."""
        record = self._records.get(trial_id)
        return None if record is None else record.stop

    def set_deadline(self, trial_id: str, seconds: float) -> None:
        """Stop ``trial_id`` (FAILED, retryable) at its first report ``seconds`` from now."""
        self._running(trial_id).deadline = (time.monotonic() + seconds, seconds)

    def overdue(self, trial_id: str) -> float | None:
        """The limit in seconds that the running ``trial_id`` exceeded, or None."""
        record = self._records.get(trial_id)
        deadline = None if record is None else record.deadline
        return deadline[1] if deadline is not None and time.monotonic() > deadline[0] else None

    def propose_end(self, trial_id: str, status: str, message: str | None = None, retryable: bool = True) -> Trial:
        """Set the status a running trial will end with (what Keras Tuner's ``end_trial`` reads).

        The trial shows it at once; :meth:`end` makes it its recorded status.

        Raises:
            TrialStateError: the trial is not running, or ``status`` is not a final one.
        """
        trial = self.running(trial_id)
        if status not in TrialStatus.FINISHED:
            raise TrialStateError(
                f"Trial {trial_id} must end with one of {list(TrialStatus.FINISHED)}; got {status!r}."
            )
        trial.status, trial.message, trial.retryable = status, message, retryable
        return trial

    def end(self, trial_id: str, status: str | None = None, max_retries: int = 0,
            max_consecutive_failures: int | None = None) -> bool:
        """End a running trial with ``status`` (default: the one it shows); score it; maybe retry it.

        A COMPLETED or STOPPED trial whose objective was never reported (or NaN
        at every step) becomes FAILED, without retry.

        Returns:
            Whether the trial will run again.

        Raises:
            TrialStateError: the trial is not running, or its status is not a final one.
            TooManyFailedTrialsError: ``max_consecutive_failures`` reached.
        """
        record = self._running(trial_id)
        trial = record.trial
        status = status or trial.status
        if status not in TrialStatus.FINISHED:
            raise TrialStateError(f"Trial {trial_id} has no final status to end with; it is {status}.")
        if status in (TrialStatus.COMPLETED, TrialStatus.STOPPED):
            best = self.scorer.best_of(trial)
            if best is None:
                status, trial.message, trial.retryable = TrialStatus.FAILED, self.scorer.unscored(trial), False
            else:
                trial.score, trial.best_step = best
        record.transition(status)
        self._tried.add(values_hash(trial.hyperparameters.values))  # with what it declared as it ran
        del self.ongoing[trial_id]
        record.stop = record.deadline = None
        retry = status == TrialStatus.FAILED and trial.retryable and trial.attempts <= max_retries
        if retry:
            self._retry_queue.append(trial_id)
            logger.info("Trial %s failed; retrying (attempt %d).", trial_id, trial.attempts + 1)
        trial.ended_at = self._append_end(record, retry)
        if retry:
            return True
        if status == TrialStatus.FAILED:
            self.consecutive_failures += 1
            if max_consecutive_failures is not None and self.consecutive_failures >= max_consecutive_failures:
                raise TooManyFailedTrialsError(
                    f"Number of consecutive failures exceeded the limit of {max_consecutive_failures}. "
                    f"{self.consecutive_failures} trials failed in a row "
                    f"(max_consecutive_failed_trials={max_consecutive_failures}). "
                    f"The last one, trial {trial_id}, failed with:\n{trial.message}"
                )
        elif status == TrialStatus.COMPLETED:
            self.consecutive_failures = 0
            self._say_feasibility(trial)
        return False

    def _say_feasibility(self, trial):
        if not self.constraints:
            return
        if self.is_feasible(trial):
            if self._said_infeasible:
                logger.info("Trial %s is the first feasible trial.", trial.trial_id)
                self._said_infeasible = False
            return
        if not self._said_infeasible and not any(self.is_feasible(t) for t in self.scored()):
            self._said_infeasible = True
            logger.warning(
                "No feasible trial yet: trial %s breaks %s. Infeasible trials are never best trials.",
                trial.trial_id, self.describe_violation(trial),
            )

    def requeue_running(self, trial_ids: Iterable[str] | None = None) -> None:
        """Queue RUNNING trials to run again, as a resume does: those an interrupted
        search left running, or only ``trial_ids`` (asked for, never started)."""
        for trial_id in list(self.ongoing) if trial_ids is None else list(trial_ids):
            if trial_id not in self._retry_queue:
                self._retry_queue.append(trial_id)
            del self.ongoing[trial_id]
            record = self._records[trial_id]
            record.stop = record.deadline = None

    # Questions ---------------------------------------------------------------

    def is_tried(self, values: Mapping[str, Any]) -> bool:
        """Whether a configuration with these active values was suggested already."""
        return values_hash(values) in self._tried

    def scored(self) -> list[Trial]:
        """The COMPLETED trials with a score, feasible or not, in creation order."""
        return [
            t for t in self.trials.values()
            if t.status == TrialStatus.COMPLETED and t.score is not None and not math.isnan(t.score)
        ]

    def best(self, num_trials: int | None = 1) -> list[Trial]:
        """The best feasible COMPLETED trials (``num_trials`` at most; None: no limit).

        See :meth:`Scorer.best <tunecore.ledger.scoring.Scorer.best>`. Trials
        that break a constraint are never best. An empty list while trials
        completed means none is feasible (see :meth:`closest_infeasible`).
        """
        return self.scorer.best(self.scored(), num_trials)

    def step_of(self, trial: Trial) -> int | None:
        """The step whose metrics a trial is judged by: its ``best_step`` if it was
        scored by this ledger, else computed with this ledger's objective (a
        trial of another project, as a warm start reads). None if it has none."""
        if trial.trial_id in self.trials and self.trials[trial.trial_id] is trial:
            return trial.best_step
        best = self.scorer.best_of(trial)
        return None if best is None else best[1]

    def objective_values(self, trial: Trial) -> Any:  # tuple[float, ...] | None
        """The trial's value of each objective (a 1-tuple for a single objective), or None.

        Values are in each objective's own direction, at :meth:`step_of`.
        """
        return self.scorer.objective_values(trial, self.step_of(trial))

    def constraint_values(self, trial: Trial) -> tuple[float | None, ...]:
        """The trial's value of each constraint's metric (None where never reported).

        Read at :meth:`step_of`, or at its last report if not reported there.
        """
        return self.scorer.constraint_values(trial, self.step_of(trial))

    def violation(self, trial: Trial) -> float:
        """The sum of how far the trial is outside each constraint (0: feasible)."""
        return self.scorer.violation(trial, self.step_of(trial))

    def is_feasible(self, trial: Trial) -> bool:
        """Whether the trial meets every constraint (always, without constraints)."""
        return self.violation(trial) == 0.0

    def closest_infeasible(self) -> Trial | None:
        """The scored trial with the smallest violation, or None (for "nothing feasible" messages)."""
        scored = self.scored()
        return min(scored, key=self.violation) if scored else None

    def describe_violation(self, trial: Trial) -> str:
        """Which constraints ``trial`` breaks, as text: ``latency_ms=73.2 (latency_ms <= 50)``."""
        return self.scorer.describe_violation(trial, self.step_of(trial))

    # Internals ---------------------------------------------------------------

    def _running(self, trial_id):
        if trial_id in self.ongoing:
            return self._records[trial_id]
        if trial_id in self.trials:
            raise TrialStateError(
                f"Trial {trial_id} is not running (it is {self.trials[trial_id].status}): "
                "only a running trial reports metrics or ends."
            )
        raise TrialStateError(f"There is no trial {trial_id!r}; known: {list(self.trials)[-5:]}.")

    def _append(self, event, sync=False):
        """Stamp ``event`` with the time (to the millisecond), record it and return the time."""
        now = event["time"] = round(time.time(), 3)
        self.storage.append(event, sync=sync)
        return now

    def _append_start(self, record, values, oracle_state):
        trial = record.trial
        event = {"event": "trial", "trial_id": trial.trial_id, "values": values}
        if trial.tuner_id != self._last_tuner_id:
            self._last_tuner_id = event["tuner_id"] = trial.tuner_id
        record.started_by = trial.tuner_id
        if trial.attempts != 1:
            event["attempt"] = trial.attempts
        if oracle_state != self.oracle_state:
            self.oracle_state = event["oracle"] = oracle_state
        record.values = values
        return self._append(event)

    def _append_end(self, record, retry):
        trial = record.trial
        changed = {}
        values = trial.hyperparameters.values
        if values != record.values:  # it declared hyperparameters as it ran
            changed["values"] = record.values = values
        if trial.tuner_id != record.started_by:  # another tuner ran it
            changed["tuner_id"] = record.started_by = trial.tuner_id
        final, record.final = record.final, None
        return self._append(events.end_event(trial, retry, final, **changed), sync=True)

    def _replay(self, recorded):
        retry = {}
        life = LifeCycle(self.storage.locate, shared=self.storage.shared)
        for index, event in enumerate(recorded):
            try:
                if isinstance(event, dict):
                    life.check(index, event)
                self._replay_one(event, retry)
            except LifeCycleError as exc:
                raise _unusable(self.storage, index, f"breaks its trial's life: {exc}") from None
            except (KeyError, TypeError, ValueError, AttributeError, TunecoreError) as exc:
                kind = event.get("event") if isinstance(event, dict) else None
                raise _unusable(self.storage, index, f"is not a valid {kind or 'event'} record "
                                f"({type(exc).__name__}: {exc})") from None
        for trial_id, record in self._records.items():
            trial = record.trial
            if trial.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED):
                trial.score, trial.best_step = self.scorer.best_of(trial) or (None, None)
            self._tried.add(values_hash(record.values))
            if trial.status == TrialStatus.RUNNING or retry[trial_id]:
                self._retry_queue.append(trial_id)
            elif trial.status == TrialStatus.FAILED:
                self.consecutive_failures += 1
            elif trial.status == TrialStatus.COMPLETED:
                self.consecutive_failures = 0
        if self.trials:
            logger.info(
                "Resumed %d trials (%d to run again).", len(self.trials), len(self._retry_queue)
            )

    def _replay_one(self, event, retry):
        kind = event["event"]
        if kind == "space":
            self._space_config = event["hyperparameters"]
            self.space = HyperParameters.from_config(self._space_config)
            return
        if kind == "enqueue":
            self.queued.append(dict(events.checked_dict(event["values"])))
            return
        trial_id = event["trial_id"]
        if kind == "trial":
            if not paths.is_trial_id(trial_id):
                raise ValueError(f"{trial_id!r} is not a valid trial id")
            record = self._records.get(trial_id)
            if record is None:
                trial = self.trials[trial_id] = Trial(None, trial_id=trial_id)
                trial.created_at = event["time"]
                record = self._records[trial_id] = TrialRecord(trial)
            trial = record.trial
            record.values = events.configure(trial, self.space, event["values"])
            record.status = trial.status = TrialStatus.RUNNING  # replayed as it was checked when written
            if "tuner_id" in event:
                self._last_tuner_id = event["tuner_id"]
            trial.tuner_id = record.started_by = self._last_tuner_id
            trial.attempts = int(event.get("attempt", 1))
            trial.metrics.clear()
            trial.message = trial.score = trial.best_step = trial.ended_at = None
            trial.retryable = True
            trial.started_at = event["time"]
            if "oracle" in event:
                self.oracle_state = event["oracle"]
            retry[trial_id] = False
            return
        record = self._records[trial_id]
        trial = record.trial
        if kind == "metrics":
            self._track(trial, events.read_metrics(event), int(event["step"]))
        elif kind == "end":
            status = event["status"]
            if status not in TrialStatus.FINISHED:
                raise ValueError(f"{status!r} is not a final status")
            if "metrics" in event:
                self._track(trial, events.read_metrics(event), int(event["step"]), final=True)
            record.status = trial.status = status
            if "values" in event:
                record.values = events.configure(trial, self.space, event["values"])
            if "tuner_id" in event:
                trial.tuner_id = record.started_by = event["tuner_id"]
            trial.message = event.get("message")
            trial.retryable = bool(event.get("retryable", True))
            trial.ended_at = event["time"]
            retry[trial_id] = bool(event.get("retry", False))
        else:
            raise ValueError(f"unknown event kind {kind!r}")

    def _track(self, trial, metrics, step, final=False):
        """Add ``metrics`` to the trial's tracker; an objective metric gets the objective's direction.

        A step reported again is averaged (Keras Tuner's executions of one
        trial); a ``final`` result replaces what the step holds.
        """
        tracker = trial.metrics
        for name, value in metrics.items():
            if not tracker.exists(name):
                tracker.register(name, direction=self.objective.direction_of(name))
            if final:
                tracker.metrics[name].replace(value, step)
            else:
                tracker.update(name, value, step)


def _unusable(storage, index, why):
    where = storage.locate(index)
    return ProjectError(
        f"{where[:1].upper()}{where[1:]} {why}. The project was left untouched; move it away "
        "or pass `overwrite=True` to start a new project."
    )


def _number(trial_id, name, value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"Trial {trial_id} reported {name}={value!r}; a metric must be a number."
        ) from None
