"""The trial ledger: every trial of a search and its life, from creation to its end.

The ledger is the one owner of trial records. The oracle's public lifecycle
(:meth:`~tunecore.oracles.Oracle.ask`, ``report``, ``tell``) goes through it,
and nothing else writes a trial's status. It keeps:

* the trials by id, and the RUNNING ones (several at once under parallel
  executors, ending in any order);
* each status change, checked by :func:`transition`::

      (new)   -> RUNNING                                   ask
      RUNNING -> COMPLETED | STOPPED | FAILED | INVALID    tell
      FAILED  -> RUNNING                                   a retry
      RUNNING -> RUNNING                                   rerun after an interruption

* retries of failed trials and the count of consecutive failures;
* the fingerprints of every configuration suggested (duplicate detection);
* scores: a trial's best objective value over its steps, and the best trials
  (for a :class:`~tunecore.objective.Pareto` objective, the feasible Pareto
  front; with constraints, only feasible trials: see :meth:`TrialLedger.best`);
* the queue of configurations enqueued to run first (``enqueue`` events, so
  that they survive a resume; one that was tried since is skipped);
* the storage (:mod:`tunecore.storage`): every change is appended as an event
  with a timestamp, and :meth:`TrialLedger.open` replays what an earlier run
  recorded, so a killed search resumes with its trials. Events are compact: a
  trial's values (the space is recorded once, in ``space`` events, when it
  grows), its reports, and how it ended; its score is recomputed on replay,
  and the oracle's state is recorded only when it changed. Replay checks every
  event and names the journal line of one it cannot use.

Only the driver uses a ledger, from one thread.
"""

import contextlib
import logging
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tunecore import pareto, schedule
from tunecore.errors import ProjectError, TooManyFailedTrialsError, TrialStateError, TunecoreError
from tunecore.hyperparameters import Fixed, HyperParameters
from tunecore.hyperparameters.walk import values_hash
from tunecore.objective import Constraint, Objective, is_pareto
from tunecore.storage import InMemoryStorage, Storage, paths, records
from tunecore.storage.base import Event
from tunecore.trial import Trial, TrialStatus

logger = logging.getLogger("tunecore")

_ALLOWED = {
    None: {TrialStatus.RUNNING},
    TrialStatus.RUNNING: {TrialStatus.RUNNING, *TrialStatus.FINISHED},
    TrialStatus.FAILED: {TrialStatus.RUNNING},
}


def transition(trial: Trial, old: str | None, new: str) -> None:
    """Move ``trial`` from status ``old`` to ``new``, or raise if its life does not allow it.

    Raises:
        TrialStateError: the transition is not one of the module docstring's.
    """
    if new not in _ALLOWED.get(old, ()):
        allowed = sorted(_ALLOWED.get(old, ())) or "none: it has ended"
        raise TrialStateError(
            f"Trial {trial.trial_id} cannot go from {old or 'new'} to {new}; allowed: {allowed}."
        )
    trial.status = new


class TrialLedger:
    """The trials of one search (see the module docstring).

    Args:
        objective: The :class:`~tunecore.Objective` that scores trials.
        storage: A :class:`~tunecore.storage.Storage`; in memory by default.
        constraints: :class:`~tunecore.objective.Constraint` objects; best
            trials are feasible ones. Recorded in the storage's header.

    Attributes:
        trials: ``{trial_id: Trial}``, in creation order.
        ongoing: ``{trial_id: Trial}`` of the RUNNING trials.
        consecutive_failures: FAILED trials since the last COMPLETED one.
        space: The search space as the storage recorded it (after :meth:`open`).
        oracle_state: The oracle's last recorded state (after :meth:`open`), or None.
        queued: Values enqueued to run before new suggestions (see :meth:`enqueue`).
    """

    def __init__(self, objective: Objective, storage: Storage | None = None,
                 constraints: Iterable[Constraint] = ()) -> None:
        self.objective = objective
        self.constraints = list(constraints)
        self.queued: list[dict[str, Any]] = []
        self.storage = storage if storage is not None else InMemoryStorage()
        self.trials: dict[str, Trial] = {}
        self.ongoing: dict[str, Trial] = {}
        self.consecutive_failures = 0
        self.space = HyperParameters()
        self.oracle_state: Any = None
        self._retry_queue: list[str] = []
        self._stopping: dict[str, tuple[str, str | None]] = {}  # trial_id -> (status, reason) of a requested stop
        self._deadlines: dict[str, tuple[float, float]] = {}  # trial_id -> (monotonic deadline, limit in seconds)
        self._tried: set[str] = set()
        self._values: dict[str, dict[str, Any]] = {}  # trial_id -> the values its "trial" event recorded
        self._space_config: dict[str, Any] | None = None
        self._last_tuner_id: str | None = None
        self._started_by: dict[str, str | None] = {}  # trial_id -> the tuner id its "trial" event recorded
        self._final: dict[str, Event] = {}  # trial_id -> its final report, written with its "end" event
        self._finalising: str | None = None
        self._said_infeasible = False

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
        for event in self._final.values():  # trials that never ended: keep their reports
            self._append(event)
        self._final.clear()
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
        # No status until `transition` (Trial's annotation does not admit None).
        trial = Trial(hyperparameters, trial_id=trial_id, status=None, tuner_id=tuner_id)  # type: ignore[arg-type]
        transition(trial, None, TrialStatus.RUNNING)
        trial.attempts = 1
        values = hyperparameters.values
        self._tried.add(values_hash(values))
        self.trials[trial_id] = self.ongoing[trial_id] = trial
        trial.created_at = trial.started_at = self._append_start(trial, values, oracle_state)
        return trial

    def restart(self, trial_id: str, tuner_id: str | None, oracle_state: Any) -> Trial:
        """Run a FAILED (or interrupted) trial again with the same values."""
        trial = self.trials[trial_id]
        transition(trial, trial.status, TrialStatus.RUNNING)
        trial.tuner_id = tuner_id
        trial.attempts += 1
        trial.metrics.clear()
        trial.score = trial.best_step = trial.message = trial.ended_at = None
        trial.retryable = True
        self.ongoing[trial_id] = trial
        self._stopping.pop(trial_id, None)
        self._deadlines.pop(trial_id, None)
        self._final.pop(trial_id, None)
        trial.started_at = self._append_start(trial, trial.hyperparameters.values, oracle_state)
        return trial

    def running(self, trial_id: str) -> Trial:
        """The RUNNING trial ``trial_id``.

        Raises:
            TrialStateError: it does not exist or is not running.
        """
        trial = self.ongoing.get(trial_id)
        if trial is not None:
            return trial
        if trial_id in self.trials:
            raise TrialStateError(
                f"Trial {trial_id} is not running (it is {self.trials[trial_id].status}): "
                "only a running trial reports metrics or ends."
            )
        raise TrialStateError(f"There is no trial {trial_id!r}; known: {list(self.trials)[-5:]}.")

    @contextlib.contextmanager
    def final_result(self, trial_id: str) -> Iterator[None]:
        """Within the block, what ``trial_id`` reports is its final result: it is
        written with its ``end`` event, in one record, rather than on its own."""
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
        trial = self.running(trial_id)
        metrics = {name: _number(trial_id, name, value) for name, value in metrics.items()}
        self._track(trial, metrics, step)
        event = {"event": "metrics", "trial_id": trial_id, "step": int(step), "metrics": records.finite(metrics)}
        previous = self._final.pop(trial_id, None)
        if previous is not None:
            self._append(previous)
        if trial_id == self._finalising:
            self._final[trial_id] = event
        else:
            self._append(event)
        return trial

    def request_stop(self, trial_id: str, reason: str | None = None, status: str = TrialStatus.STOPPED) -> None:
        """Ask a running trial to stop: its reports answer STOPPED from now on.

        Args:
            reason: Why, kept as the trial's message when it ends.
            status: How it ends if it then ends normally: STOPPED (a pruner,
                the oracle) or FAILED (over ``trial_timeout``; retryable). The
                first request wins.
        """
        self._stopping.setdefault(self.running(trial_id).trial_id, (status, reason))

    def stop_requested(self, trial_id: str) -> bool:
        return trial_id in self._stopping

    def stop_request(self, trial_id: str) -> tuple[str, str | None] | None:
        """``(status, reason)`` of the stop requested for ``trial_id``, or None."""
        return self._stopping.get(trial_id)

    def set_deadline(self, trial_id: str, seconds: float) -> None:
        """Stop ``trial_id`` (FAILED, retryable) at its first report ``seconds`` from now."""
        self._deadlines[trial_id] = (time.monotonic() + seconds, seconds)

    def overdue(self, trial_id: str) -> float | None:
        """The limit in seconds that the running ``trial_id`` exceeded, or None."""
        deadline = self._deadlines.get(trial_id)
        return deadline[1] if deadline is not None and time.monotonic() > deadline[0] else None

    def propose_end(self, trial_id: str, status: str, message: str | None = None, retryable: bool = True) -> Trial:
        """Set the status a running trial will end with (what Keras Tuner's ``end_trial`` reads).

        Raises:
            TrialStateError: the trial is not running, or ``status`` is not a final one.
        """
        trial = self.running(trial_id)
        if status not in TrialStatus.FINISHED:
            raise TrialStateError(
                f"Trial {trial_id} must end with one of {list(TrialStatus.FINISHED)}; got {status!r}."
            )
        transition(trial, TrialStatus.RUNNING, status)
        trial.message = message
        trial.retryable = retryable
        return trial

    def end(self, trial_id: str, max_retries: int = 0, max_consecutive_failures: int | None = None) -> bool:
        """End a running trial with the status :meth:`propose_end` gave it; score it; maybe retry it.

        A COMPLETED or STOPPED trial whose objective was never reported (or NaN
        at every step) becomes FAILED, without retry.

        Returns:
            Whether the trial will run again.

        Raises:
            TrialStateError: the trial is not running, or its status is not a final one.
            TooManyFailedTrialsError: ``max_consecutive_failures`` reached.
        """
        trial = self.running(trial_id)
        if trial.status not in TrialStatus.FINISHED:
            raise TrialStateError(f"Trial {trial_id} has no final status to end with; it is {trial.status}.")
        if trial.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED):
            self._score(trial)
        self._tried.add(values_hash(trial.hyperparameters.values))  # with what it declared as it ran
        del self.ongoing[trial.trial_id]
        self._stopping.pop(trial.trial_id, None)
        self._deadlines.pop(trial.trial_id, None)
        retry = (
            trial.status == TrialStatus.FAILED and trial.retryable and trial.attempts <= max_retries
        )
        if retry:
            self._retry_queue.append(trial.trial_id)
            logger.info("Trial %s failed; retrying (attempt %d).", trial.trial_id, trial.attempts + 1)
        trial.ended_at = self._append_end(trial, retry)
        if retry:
            return True
        if trial.status == TrialStatus.FAILED:
            self.consecutive_failures += 1
            if max_consecutive_failures is not None and self.consecutive_failures >= max_consecutive_failures:
                raise TooManyFailedTrialsError(
                    f"Number of consecutive failures exceeded the limit of {max_consecutive_failures}. "
                    f"{self.consecutive_failures} trials failed in a row "
                    f"(max_consecutive_failed_trials={max_consecutive_failures}). "
                    f"The last one, trial {trial.trial_id}, failed with:\n{trial.message}"
                )
        elif trial.status == TrialStatus.COMPLETED:
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
            self._stopping.pop(trial_id, None)
            self._deadlines.pop(trial_id, None)

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

        With one objective (or Keras Tuner's weighted sum): the best scores
        first. With a :class:`~tunecore.objective.Pareto` objective: the
        Pareto front, i.e. the trials no other feasible trial dominates
        (trials with equal values are all on it), sorted by the first
        objective, best first. When the front has more than ``num_trials``
        trials, those that keep its spread are kept (NSGA-II's crowding
        truncation: the extremes of each objective always stay); with
        ``num_trials=1`` (Keras Tuner's default), the front's best trial in
        the first objective.

        Trials that break a constraint are never best. An empty list while
        trials completed means none is feasible (see :meth:`closest_infeasible`).
        """
        feasible = [t for t in self.scored() if self.is_feasible(t)]
        if is_pareto(self.objective):
            return self._front(feasible, num_trials)
        feasible.sort(key=lambda t: self.objective.sort_key(t.score))  # type: ignore[arg-type]  # scored
        return feasible if num_trials is None else feasible[:num_trials]

    def _front(self, trials, num_trials):
        if not trials:
            return []
        losses = [self.objective.losses(self.objective_values(t)) for t in trials]
        mask = pareto.non_dominated(losses)
        front = [t for t, on in zip(trials, mask) if on]
        if num_trials == 1 and len(front) > 1:  # Keras Tuner's "the best": the first objective's
            front = [min(front, key=lambda t: self.objective.sort_key(t.score))]
        elif num_trials is not None and len(front) > num_trials:
            Y = [losses[i] for i, on in enumerate(mask) if on]
            front = [front[i] for i in sorted(pareto.select_spread(Y, num_trials))]
        front.sort(key=lambda t: self.objective.sort_key(t.score))
        return front

    def step_of(self, trial: Trial) -> int | None:
        """The step whose metrics a trial is judged by: its ``best_step`` if it was
        scored by this ledger, else computed with this ledger's objective (a
        trial of another project, as a warm start reads). None if it has none."""
        if trial.trial_id in self.trials and self.trials[trial.trial_id] is trial:
            return trial.best_step
        best = self._best(trial)
        return None if best is None else best[1]

    def objective_values(self, trial: Trial) -> Any:  # tuple[float, ...] | None
        """The trial's value of each objective (a 1-tuple for a single objective), or None.

        Values are in each objective's own direction, at :meth:`step_of`.
        """
        step = self.step_of(trial)
        if step is None:
            return None
        metrics = trial.metrics.at_step(step)
        if not self.objective.has_value(metrics):
            return None
        if is_pareto(self.objective):
            return self.objective.get_values(metrics)
        return (self.objective.get_value(metrics),)

    def constraint_values(self, trial: Trial) -> tuple[float | None, ...]:
        """The trial's value of each constraint's metric (None where never reported).

        Read at :meth:`step_of`, or at its last report if not reported there.
        """
        step = self.step_of(trial)
        at_step = trial.metrics.at_step(step) if step is not None else {}
        values: list[float | None] = []
        for constraint in self.constraints:
            if constraint.name in at_step:
                values.append(float(at_step[constraint.name]))
            elif trial.metrics.exists(constraint.name):
                values.append(float(trial.metrics.get_last_value(constraint.name)))  # type: ignore[arg-type]  # exists
            else:
                values.append(None)
        return tuple(values)

    def violation(self, trial: Trial) -> float:
        """The sum of how far the trial is outside each constraint (0: feasible)."""
        if not self.constraints:
            return 0.0
        return sum(c.violation(v) for c, v in zip(self.constraints, self.constraint_values(trial)))

    def is_feasible(self, trial: Trial) -> bool:
        """Whether the trial meets every constraint (always, without constraints)."""
        return self.violation(trial) == 0.0

    def closest_infeasible(self) -> Trial | None:
        """The scored trial with the smallest violation, or None (for "nothing feasible" messages)."""
        scored = self.scored()
        return min(scored, key=self.violation) if scored else None

    def describe_violation(self, trial: Trial) -> str:
        """Which constraints ``trial`` breaks, as text: ``latency_ms=73.2 (latency_ms <= 50)``."""
        parts = []
        for constraint, value in zip(self.constraints, self.constraint_values(trial)):
            if constraint.violation(value) > 0:
                shown = "never reported" if value is None else f"{constraint.name}={value:.6g}"
                parts.append(f"{shown} ({constraint})")
        return ", ".join(parts)

    # Internals ---------------------------------------------------------------

    def _append(self, event, sync=False):
        """Stamp ``event`` with the time (to the millisecond), record it and return the time."""
        now = event["time"] = round(time.time(), 3)
        self.storage.append(event, sync=sync)
        return now

    def _append_start(self, trial, values, oracle_state):
        event = {"event": "trial", "trial_id": trial.trial_id, "values": values}
        if trial.tuner_id != self._last_tuner_id:
            self._last_tuner_id = event["tuner_id"] = trial.tuner_id
        self._started_by[trial.trial_id] = trial.tuner_id
        if trial.attempts != 1:
            event["attempt"] = trial.attempts
        if oracle_state != self.oracle_state:
            self.oracle_state = event["oracle"] = oracle_state
        self._values[trial.trial_id] = values
        return self._append(event)

    def _append_end(self, trial, retry):
        event = {"event": "end", "trial_id": trial.trial_id, "status": trial.status}
        final = self._final.pop(trial.trial_id, None)
        if final is not None:
            event["step"], event["metrics"] = final["step"], final["metrics"]
        values = trial.hyperparameters.values
        if values != self._values.get(trial.trial_id):  # it declared hyperparameters as it ran
            event["values"] = self._values[trial.trial_id] = values
        if trial.tuner_id != self._started_by.get(trial.trial_id):  # another tuner ran it
            event["tuner_id"] = self._started_by[trial.trial_id] = trial.tuner_id
        if trial.message is not None:
            event["message"] = trial.message
        if not trial.retryable:
            event["retryable"] = False
        if retry:
            event["retry"] = True
        return self._append(event, sync=True)

    def _replay(self, events):
        retry = {}
        for number, event in enumerate(events, start=2):
            try:
                self._replay_one(event, retry)
            except (KeyError, TypeError, ValueError, AttributeError, TunecoreError) as exc:
                kind = event.get("event") if isinstance(event, dict) else None
                raise ProjectError(
                    f"Line {number} of the project journal is not a valid {kind or 'event'} "
                    f"record ({type(exc).__name__}: {exc}). The journal was left untouched; "
                    "move it away or pass `overwrite=True` to start a new project."
                ) from None
        for trial in self.trials.values():
            if trial.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED):
                trial.score, trial.best_step = self._best(trial) or (None, None)
            self._tried.add(values_hash(self._values[trial.trial_id]))
            if trial.status == TrialStatus.RUNNING or retry[trial.trial_id]:
                self._retry_queue.append(trial.trial_id)
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
            self.queued.append(dict(_dict(event["values"])))
            return
        trial_id = event["trial_id"]
        if kind == "trial":
            if not paths.is_trial_id(trial_id):
                raise ValueError(f"{trial_id!r} is not a valid trial id")
            trial = self.trials.get(trial_id)
            if trial is None:
                trial = self.trials[trial_id] = Trial(None, trial_id=trial_id)
                trial.created_at = event["time"]
            self._values[trial_id] = _configure(trial, self.space, event["values"])
            trial.status = TrialStatus.RUNNING
            if "tuner_id" in event:
                self._last_tuner_id = event["tuner_id"]
            trial.tuner_id = self._started_by[trial_id] = self._last_tuner_id
            trial.attempts = int(event.get("attempt", 1))
            trial.metrics.clear()
            trial.message = trial.score = trial.best_step = trial.ended_at = None
            trial.retryable = True
            trial.started_at = event["time"]
            if "oracle" in event:
                self.oracle_state = event["oracle"]
            retry[trial_id] = False
            return
        trial = self.trials[trial_id]
        if kind == "metrics":
            metrics = {name: float(value) for name, value in _dict(event["metrics"]).items()}
            self._track(trial, metrics, int(event["step"]))
        elif kind == "end":
            status = event["status"]
            if status not in TrialStatus.FINISHED:
                raise ValueError(f"{status!r} is not a final status")
            if "metrics" in event:
                metrics = {name: float(value) for name, value in _dict(event["metrics"]).items()}
                self._track(trial, metrics, int(event["step"]))
            trial.status = status
            if "values" in event:
                self._values[trial_id] = _configure(trial, self.space, event["values"])
            if "tuner_id" in event:
                trial.tuner_id = self._started_by[trial_id] = event["tuner_id"]
            trial.message = event.get("message")
            trial.retryable = bool(event.get("retryable", True))
            trial.ended_at = event["time"]
            retry[trial_id] = bool(event.get("retry", False))
        else:
            raise ValueError(f"unknown event kind {kind!r}")

    def _track(self, trial, metrics, step):
        """Add ``metrics`` to the trial's tracker; an objective metric gets the objective's direction."""
        tracker = trial.metrics
        for name, value in metrics.items():
            if not tracker.exists(name):
                tracker.register(name, direction=self.objective.direction_of(name))
            tracker.update(name, value, step)

    def _best(self, trial):
        """``(score, step)``: the objective's best value over the trial's steps, or None.

        A Pareto objective takes the last step where every objective is finite.
        """
        best = None
        for step in trial.metrics.steps():
            metrics = trial.metrics.at_step(step)
            if not self.objective.has_value(metrics):
                continue
            if is_pareto(self.objective):
                if all(math.isfinite(v) for v in self.objective.get_values(metrics)):
                    best = (self.objective.get_value(metrics), step)
                continue
            value = self.objective.get_value(metrics)
            if math.isnan(value):
                continue
            if best is None or self.objective.better_than(value, best[0]):
                best = (value, step)
        return best

    def _score(self, trial):
        """Set ``score`` and ``best_step`` from the metric history, or fail the trial."""
        best = self._best(trial)
        if best is not None:
            trial.score, trial.best_step = best
            return
        reported = any(self.objective.has_value(trial.metrics.at_step(s)) for s in trial.metrics.steps())
        transition(trial, TrialStatus.RUNNING, TrialStatus.FAILED)
        trial.retryable = False
        if reported:
            trial.message = f"The objective {self.objective.names} was NaN at every step."
        else:
            trial.message = (
                f"The objective {self.objective.names} was never reported; the trial "
                f"reported {sorted(trial.metrics.metrics) or 'nothing'}. Return it from "
                "run_trial or name a reported metric as the objective."
            )


def _number(trial_id, name, value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"Trial {trial_id} reported {name}={value!r}; a metric must be a number."
        ) from None


def configuration(space: HyperParameters, values: Mapping[str, Any]) -> HyperParameters:
    """A copy of ``space`` with ``values`` assigned; scheduling values join it as ``Fixed``.

    Raises:
        InvalidSpaceError: a value is not valid for its hyperparameter.
    """
    hps = space.copy()
    for name, value in values.items():
        if schedule.is_scheduling(name) and not hps.is_defined(name):
            hps.register(Fixed(name, value))
        else:
            hps.assign(name, value)
    hps.ensure_active_values()
    return hps


def _configure(trial, space, values):
    """Check a recorded trial's ``values`` against ``space`` now; build its hyperparameters when read.

    Values of names the space does not define (untuned entries, a custom
    oracle's suggestions) are kept as they are, as the trial had them.
    """
    values = _dict(values)
    for name, value in values.items():
        if space.is_defined(name):
            space.validate(name, value)
    trial.defer_hyperparameters(lambda: configuration(space, values))
    return values


def _dict(value):
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    parent = value.get(schedule.TRIAL_ID)
    if parent is not None and not paths.is_trial_id(parent):
        raise ValueError(f"{schedule.TRIAL_ID}={parent!r} is not a valid trial id")
    return value
