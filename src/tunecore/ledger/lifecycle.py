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
from tunecore.ledger import events, shared
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
        search_stop: Why a search-wide stop was requested while this driver
            ran (a shared storage's ``stop`` event), or None.
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
        self.search_stop: str | None = None
        self._own: set[str] = set()  # the trials this driver runs, on a shared storage
        self._taken: set[str] = set()  # ... and those another driver ended or took over
        self._popped: tuple[list[dict[str, Any]], list[str]] | None = None  # taken from the queues in a claim
        self._heart: shared.Heartbeat | None = None
        self._behind: list[dict[str, Any]] = []  # events read in a lost claim, not applied yet
        self._next_stale_check = 0.0
        self._ends = 0  # trial ends in the history, in its order (every driver and a resume count alike)

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

    @property
    def shared(self) -> bool:
        """Whether other drivers may append to this search's storage (see :mod:`tunecore.ledger.shared`)."""
        return self.storage.shared

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
        if self._heart is not None:
            self._heart.close()
            self._heart = None
        self.storage.close()

    # Several drivers ---------------------------------------------------------

    def catch_up(self) -> bool:
        """Apply the events other drivers appended since this one last read (a shared storage).

        Returns:
            Whether there were any.

        Raises:
            ProjectError: another driver appended an event that cannot be replayed.
        """
        if not self.shared:
            return False
        recorded, self._behind = self._behind + self.storage.refresh(), []
        self._apply(recorded)
        return bool(recorded)

    def checkpoint(self) -> None:
        """Remember what is taken from the queues from now on, for :meth:`rollback`."""
        self._popped = ([], [])

    def rollback(self) -> None:
        """Put back what was taken from the queues since :meth:`checkpoint`: a claim that lost to
        another driver (call it before :meth:`catch_up`, which drops what the winner took)."""
        if self._popped is not None:
            values, retries = self._popped
            self.queued[:0] = values
            self._retry_queue[:0] = [t for t in retries if t not in self._retry_queue]
        self._popped = None

    def committed(self) -> None:
        """The claim since :meth:`checkpoint` was recorded: nothing to put back."""
        self._popped = None

    def lost(self, trial_id: str) -> bool:
        """Whether another driver ended or took over ``trial_id``, which this driver was running
        (it stopped beating in time); what this driver's run of it reports is dropped."""
        return trial_id in self._taken

    def end_stale(self, max_retries: int = 0) -> list[str]:
        """End the running trials of drivers that stopped beating their heart (FAILED, retried per ``max_retries``).

        Returns:
            The ids of the trials ended.
        """
        if not self.shared or not self.ongoing or time.monotonic() < self._next_stale_check:
            return []
        grace = shared.grace_period(self.storage)
        # Reading the heartbeats is a query: often enough to notice a death well within the grace period.
        self._next_stale_check = time.monotonic() + min(grace / 4, self.storage.heartbeat_interval)
        found = shared.stale(self.ongoing, self._own, self.storage.heartbeats(), grace, time.time())
        ended = []
        for trial_id, silent in found.items():
            trial = self.ongoing.get(trial_id)
            if trial is None:
                continue
            message = (
                f"Trial {trial_id} was interrupted: the driver running it ({trial.tuner_id or 'unnamed'}) "
                f"gave no sign of life for {silent:.1f}s (grace_period={grace:g}s, {self.storage.location})."
            )
            logger.warning("%s It ends FAILED%s.", message,
                           ", to run again" if trial.attempts <= max_retries else "")
            self.propose_end(trial_id, TrialStatus.FAILED, message)
            if self._end(trial_id, TrialStatus.FAILED, max_retries, None, counts=False) is not None:
                ended.append(trial_id)
        return ended

    def request_search_stop(self, reason: str) -> None:
        """Stop the whole search: every driver running it starts no new trial (a ``stop`` event)."""
        self.search_stop = reason
        if self.shared:
            self._append({"event": "stop", "reason": reason}, sync=True)

    def record_space(self, hyperparameters: HyperParameters) -> bool:
        """Record the search space, if it differs from the one recorded last.

        Returns:
            False if another driver recorded a space first (a shared storage):
            :meth:`catch_up`, merge :attr:`space` in, and record again.
        """
        config = hyperparameters.get_config()
        if config == self._space_config:
            return True
        if not self._claim({"event": "space", "hyperparameters": config}, conflicts=("space",)):
            return False
        self._space_config = config
        self.space = hyperparameters.copy()
        return True

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
        if not self.queued:
            return None
        values = self.queued.pop(0)
        if self._popped is not None:
            self._popped[0].append(values)
        return values

    def next_retry(self) -> str | None:
        """The id of a trial waiting to run again, or None."""
        if not self._retry_queue:
            return None
        trial_id = self._retry_queue.pop(0)
        if self._popped is not None:
            self._popped[1].append(trial_id)
        return trial_id

    def create(self, trial_id: str, hyperparameters: HyperParameters, tuner_id: str | None,
               oracle_state: Any) -> Trial | None:
        """Add a new RUNNING trial with ``hyperparameters``.

        Returns:
            The trial; None if another driver created or started a trial first
            (a shared storage): :meth:`rollback`, :meth:`catch_up` and decide again.

        Raises:
            TrialStateError: ``trial_id`` exists or is not a valid id.
        """
        if trial_id in self.trials or not paths.is_trial_id(trial_id):
            raise TrialStateError(f"Cannot create trial {trial_id!r}: the id exists or is not valid.")
        values = hyperparameters.values
        event = self._start_event(trial_id, values, tuner_id, 1, oracle_state)
        if not self._claim(event, conflicts=_CLAIMS):
            return None
        # No status until the record's transition (Trial's annotation does not admit None).
        trial = Trial(hyperparameters, trial_id=trial_id, status=None, tuner_id=tuner_id)  # type: ignore[arg-type]
        record = self._records[trial_id] = TrialRecord(trial, born=self._ends)
        record.transition(TrialStatus.RUNNING)
        trial.attempts = 1
        self._tried.add(values_hash(values))
        self.trials[trial_id] = self.ongoing[trial_id] = trial
        trial.created_at = trial.started_at = self._started(record, event, oracle_state)
        return trial

    def restart(self, trial_id: str, tuner_id: str | None, oracle_state: Any) -> Trial | None:
        """Run a FAILED (or interrupted) trial again with the same values.

        Returns:
            The trial; None as :meth:`create`.
        """
        record = self._records[trial_id]
        trial = record.trial
        event = self._start_event(trial_id, trial.hyperparameters.values, tuner_id, trial.attempts + 1,
                                  oracle_state)
        if not self._claim(event, conflicts=_CLAIMS, trial_id=trial_id):
            return None
        record.transition(TrialStatus.RUNNING)
        record.forget_run()
        record.ended = None
        trial.tuner_id = tuner_id
        trial.attempts += 1
        trial.metrics.clear()
        trial.score = trial.best_step = trial.message = trial.ended_at = None
        trial.retryable = True
        self.ongoing[trial_id] = trial
        trial.started_at = self._started(record, event, oracle_state)
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
        attempt = record.trial.attempts if self.shared else 1
        event = events.metrics_event(trial_id, step, metrics, attempt)
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

    def propose_end(self, trial_id: str, status: str, message: str | None = None, retryable: bool = True,
                    rerun: bool = False) -> Trial:
        """Set the status a running trial will end with (what Keras Tuner's ``end_trial`` reads).

        The trial shows it at once; :meth:`end` makes it its recorded status.
        ``rerun``: a FAILED trial that stops the search (a bug in the user's
        code) runs again when the search resumes, once the bug is fixed.

        Raises:
            TrialStateError: the trial is not running, or ``status`` is not a final one.
        """
        trial = self.running(trial_id)
        if status not in TrialStatus.FINISHED:
            raise TrialStateError(
                f"Trial {trial_id} must end with one of {list(TrialStatus.FINISHED)}; got {status!r}."
            )
        trial.status, trial.message, trial.retryable = status, message, retryable
        self._records[trial_id].rerun = rerun
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
        return bool(self._end(trial_id, status, max_retries, max_consecutive_failures))

    def _end(self, trial_id, status, max_retries, max_consecutive_failures, counts=True):
        """:meth:`end`; None if another driver ended or took the trial first (a shared storage)."""
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
        rerun, record.rerun = record.rerun, False
        retry = status == TrialStatus.FAILED and (rerun or (trial.retryable and trial.attempts <= max_retries))
        if retry:
            self._retry_queue.append(trial_id)
        ended_at = self._append_end(record, retry, interrupted=not counts)
        if ended_at is None:  # undone: the other driver's events say what became of it
            logger.warning("Trial %s was ended by another driver first; this run's end is dropped.", trial_id)
            record.status = trial.status = TrialStatus.RUNNING
            if retry:
                self._retry_queue.remove(trial_id)
            self._taken.add(trial_id)
            self.catch_up()
            return None
        trial.ended_at = ended_at
        self._count_end(record)
        if retry:
            logger.info("Trial %s failed; retrying (attempt %d).", trial_id, trial.attempts + 1)
            return True
        if status == TrialStatus.FAILED and not counts:
            return False
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
        search left running, or only ``trial_ids`` (asked for, never started).

        On a shared storage, this driver's trials end FAILED, to run again
        (whatever their attempts), so that any driver takes them at once; the
        other drivers' trials go on.
        """
        if self.shared:
            for trial_id in [t for t in (self.ongoing if trial_ids is None else trial_ids) if t in self._own]:
                self.propose_end(trial_id, TrialStatus.FAILED,
                                 f"Trial {trial_id} was interrupted: its driver stopped before it ended.")
                self._end(trial_id, TrialStatus.FAILED, self._records[trial_id].trial.attempts, None, counts=False)
            return
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

    def ended_since(self, trial_id: str) -> list[Trial]:
        """The trials that ended after ``trial_id`` was created (and have not started again),
        in the order they ended.

        The order is the history's: every driver of a shared storage, and a
        resumed search, see the same. A trial the ledger did not create (assigned
        to :attr:`trials` directly) counts as created before every end.

        Raises:
            TrialStateError: there is no trial ``trial_id``.
        """
        if trial_id not in self.trials:
            raise self._no_trial(trial_id)
        record = self._records.get(trial_id)
        born = 0 if record is None else record.born
        ends = {r.ended: r.trial for r in self._records.values() if r.ended is not None and r.ended >= born}
        return [ends[index] for index in sorted(ends)]

    # Internals ---------------------------------------------------------------

    def _running(self, trial_id):
        if trial_id in self.ongoing:
            return self._records[trial_id]
        if trial_id in self.trials:
            raise TrialStateError(
                f"Trial {trial_id} is not running (it is {self.trials[trial_id].status}): "
                "only a running trial reports metrics or ends."
            )
        raise self._no_trial(trial_id)

    def _no_trial(self, trial_id):
        return TrialStateError(f"There is no trial {trial_id!r}; known: {list(self.trials)[-5:]}.")

    def _append(self, event, sync=False):
        """Stamp ``event`` with the time (to the millisecond), record it and return the time."""
        now = event["time"] = round(time.time(), 3)
        self.storage.append(event, sync=sync)
        return now

    def _claim(self, event, sync=False, conflicts=(), trial_id=None):
        """Append ``event`` as :meth:`_append` does; on a shared storage, only onto a current copy.

        Events other drivers appended first are applied and the append tried
        again, unless one of them is of a kind in ``conflicts`` or starts or
        ends ``trial_id`` (a late report of it does not count): then nothing
        is appended, they wait for :meth:`catch_up`, and the answer is False.
        """
        if not self.shared:
            self._append(event, sync=sync)
            return True
        for tries in range(shared.MAX_TRIES):
            event["time"] = round(time.time(), 3)
            if self.storage.append_if_current(event, sync=sync):
                return True
            recorded = self.storage.refresh()
            if any(e.get("event") in conflicts or (e.get("trial_id") == trial_id and e.get("event") in ("trial", "end"))
                   for e in recorded):
                self._behind.extend(recorded)
                return False
            self._apply(recorded)
            shared.backoff(tries)
        raise shared.contention(self.storage, f"a {event['event']} event")

    def _start_event(self, trial_id, values, tuner_id, attempt, oracle_state):
        event = {"event": "trial", "trial_id": trial_id, "values": values}
        if tuner_id != self._last_tuner_id:
            event["tuner_id"] = tuner_id
        if attempt != 1:
            event["attempt"] = attempt
        if oracle_state != self.oracle_state:
            event["oracle"] = oracle_state
        return event

    def _started(self, record, event, oracle_state):
        """Keep what the appended ``trial`` event recorded; return its time."""
        trial = record.trial
        if "tuner_id" in event:
            self._last_tuner_id = event["tuner_id"]
        if "oracle" in event:
            self.oracle_state = oracle_state
        record.started_by = trial.tuner_id
        record.values = event["values"]
        if self.shared:
            self._own.add(trial.trial_id)
            self._taken.discard(trial.trial_id)
            if self._heart is None:
                self._heart = shared.Heartbeat(self.storage)
            self._heart.add(trial.trial_id)
        return event["time"]

    def _append_end(self, record, retry, interrupted=False):
        trial = record.trial
        changed = {}
        record.interrupted = interrupted
        if interrupted:  # its driver died: no failure of the objective, in any driver's count
            changed["interrupted"] = True
        values = trial.hyperparameters.values
        if values != record.values:  # it declared hyperparameters as it ran
            changed["values"] = record.values = values
        if trial.tuner_id != record.started_by:  # another tuner ran it
            changed["tuner_id"] = record.started_by = trial.tuner_id
        final, record.final = record.final, None
        event = events.end_event(trial, retry, final, **changed)
        if self.shared:
            self._disown(trial.trial_id)
            if not self._claim(event, sync=True, trial_id=trial.trial_id):
                return None
            return event["time"]
        return self._append(event, sync=True)

    def _disown(self, trial_id):
        self._own.discard(trial_id)
        if self._heart is not None:
            self._heart.discard(trial_id)

    def _replay(self, recorded):
        retry = {}
        life = LifeCycle(self.storage.locate, shared=self.storage.shared)
        for index, event in enumerate(recorded):
            try:
                if isinstance(event, dict) and not life.check(index, event):
                    continue
                self._replay_one(event, retry)
            except LifeCycleError as exc:
                raise _unusable(self.storage, index, f"breaks its trial's life: {exc}") from None
            except (KeyError, TypeError, ValueError, AttributeError, TunecoreError) as exc:
                kind = event.get("event") if isinstance(event, dict) else None
                raise _unusable(self.storage, index, f"is not a valid {kind or 'event'} record "
                                f"({type(exc).__name__}: {exc})") from None
        self._settle(self._records, retry)
        if self.trials:
            logger.info(
                "Resumed %d trials (%d to run again).", len(self.trials), len(self._retry_queue)
            )

    def _settle(self, trial_ids, retry):
        """After replaying events: score the trials ``trial_ids`` that ended, queue those to run again.

        A trial left RUNNING runs again (an interrupted search), unless the
        storage is shared: it is then another driver's (see :meth:`end_stale`).
        """
        for trial_id in trial_ids:
            record = self._records[trial_id]
            trial = record.trial
            if trial.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED):
                trial.score, trial.best_step = self.scorer.best_of(trial) or (None, None)
            self._tried.add(values_hash(record.values))
            if trial.status == TrialStatus.RUNNING and self.shared:
                self.ongoing[trial_id] = trial
                if trial_id in self._retry_queue:
                    self._retry_queue.remove(trial_id)
                continue
            self.ongoing.pop(trial_id, None)
            if trial.status == TrialStatus.RUNNING or retry.get(trial_id):
                if trial_id not in self._retry_queue:
                    self._retry_queue.append(trial_id)
                continue
            if trial_id in self._retry_queue:
                self._retry_queue.remove(trial_id)
            if trial.status == TrialStatus.FAILED and not record.interrupted:
                self.consecutive_failures += 1
            elif trial.status == TrialStatus.COMPLETED:
                self.consecutive_failures = 0

    def _apply(self, recorded):
        """Replay events another driver appended onto this driver's copy of the history."""
        retry, settle = {}, []
        for event in recorded:
            try:
                self._replay_one(event, retry)
            except (KeyError, TypeError, ValueError, AttributeError, TunecoreError) as exc:
                raise ProjectError(
                    f"Another driver appended an event to {self.storage.location} that is not valid "
                    f"({type(exc).__name__}: {exc}): {event!r}."
                ) from None
            kind = event["event"]
            if kind == "stop":
                self.search_stop = str(event.get("reason") or "another driver stopped the search")
            elif kind in ("trial", "end"):
                trial_id = event["trial_id"]
                if trial_id in self._own:  # it was stale: another driver ended it or runs it now
                    self._disown(trial_id)
                    self._taken.add(trial_id)
                if trial_id not in settle:
                    settle.append(trial_id)
        self._settle(settle, retry)

    def _replay_one(self, event, retry):
        kind = event["event"]
        if kind == "stop":  # a search-wide stop concerns the drivers that ran then
            return
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
                record = self._records[trial_id] = TrialRecord(trial, born=self._ends)
            record.forget_run()
            record.ended = None
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
            if self.shared and (record.status != TrialStatus.RUNNING or event.get("attempt", 1) != trial.attempts):
                return  # from a run another driver ended (its driver was taken for dead)
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
            self._count_end(record)
            record.interrupted = bool(event.get("interrupted", False))
            retry[trial_id] = bool(event.get("retry", False))
        else:
            raise ValueError(f"unknown event kind {kind!r}")

    def _count_end(self, record):
        record.ended, self._ends = self._ends, self._ends + 1

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


#: Events that make a claim (a trial created or started) decided on an older copy stale.
_CLAIMS = ("trial", "space", "stop")
