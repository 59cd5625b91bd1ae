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
* scores: a trial's best objective value over its steps, and the best trials;
* the storage (:mod:`tunecore.storage`): every change is appended as an event
  with a timestamp, and :meth:`TrialLedger.open` replays what an earlier run
  recorded, so a killed search resumes with its trials.

Only the driver uses a ledger, from one thread.
"""

import logging
import math
import time

from tunecore.errors import TooManyFailedTrialsError, TrialStateError
from tunecore.hyperparameters.walk import values_hash
from tunecore.storage import InMemoryStorage
from tunecore.trial import Trial, TrialStatus

logger = logging.getLogger("tunecore")

_ALLOWED = {
    None: {TrialStatus.RUNNING},
    TrialStatus.RUNNING: {TrialStatus.RUNNING, *TrialStatus.FINISHED},
    TrialStatus.FAILED: {TrialStatus.RUNNING},
}


def transition(trial, old, new):
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

    Attributes:
        trials: ``{trial_id: Trial}``, in creation order.
        ongoing: ``{trial_id: Trial}`` of the RUNNING trials.
        consecutive_failures: FAILED trials since the last COMPLETED one.
    """

    def __init__(self, objective, storage=None):
        self.objective = objective
        self.storage = storage if storage is not None else InMemoryStorage()
        self.trials = {}
        self.ongoing = {}
        self.consecutive_failures = 0
        self._retry_queue = []
        self._stopping = set()
        self._tried = set()

    # Storage -----------------------------------------------------------------

    def open(self, storage, header, overwrite=False):
        """Keep the trials in ``storage`` from now on, replaying what it holds.

        Returns:
            The stored events, for the oracle to restore its own state from.
        """
        self.storage = storage
        events = storage.open(header, overwrite=overwrite)
        self._replay(events)
        return events

    def close(self):
        """Release the storage (the journal file); a later event opens it again."""
        self.storage.close()

    def record_space(self, config):
        """Record that the search space grew to ``config``."""
        self._append({"event": "space", "hyperparameters": config})

    # The life of a trial -----------------------------------------------------

    def new_trial_id(self, max_trials=None):
        width = max(2, len(str((max_trials or 100) - 1)))
        return str(len(self.trials)).zfill(width)

    def next_retry(self):
        """The id of a trial waiting to run again, or None."""
        return self._retry_queue.pop(0) if self._retry_queue else None

    def create(self, trial_id, hyperparameters, tuner_id, oracle_state):
        """Add a new RUNNING trial with ``hyperparameters``."""
        trial = Trial(hyperparameters, trial_id=trial_id, status=None, tuner_id=tuner_id)
        transition(trial, None, TrialStatus.RUNNING)
        trial.attempts = 1
        trial.created_at = trial.started_at = time.time()
        self._tried.add(values_hash(hyperparameters.values))
        self.trials[trial_id] = self.ongoing[trial_id] = trial
        self._append({"event": "trial", "trial": trial.get_state(), "oracle": oracle_state})
        return trial

    def restart(self, trial_id, tuner_id, oracle_state):
        """Run a FAILED (or interrupted) trial again with the same values."""
        trial = self.trials[trial_id]
        transition(trial, trial.status, TrialStatus.RUNNING)
        trial.tuner_id = tuner_id
        trial.attempts += 1
        trial.metrics.clear()
        trial.score = trial.best_step = trial.message = trial.ended_at = None
        trial.retryable = True
        trial.started_at = time.time()
        self.ongoing[trial_id] = trial
        self._stopping.discard(trial_id)
        self._append({"event": "trial", "trial": trial.get_state(), "oracle": oracle_state})
        return trial

    def running(self, trial_id):
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

    def record(self, trial_id, step, metrics):
        """Record the ``metrics`` a running trial reported at ``step``.

        Raises:
            TrialStateError: the trial is not running.
            TypeError: a metric is not a number.
        """
        trial = self.running(trial_id)
        metrics = {name: _number(trial_id, name, value) for name, value in metrics.items()}
        trial.metrics.update_all(metrics, step)
        self._append({"event": "metrics", "trial_id": trial_id, "step": int(step), "metrics": metrics})
        return trial

    def request_stop(self, trial_id):
        """Note that the oracle asked a running trial to stop: it ends STOPPED."""
        self._stopping.add(self.running(trial_id).trial_id)

    def stop_requested(self, trial_id):
        return trial_id in self._stopping

    def propose_end(self, trial_id, status, message=None, retryable=True):
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

    def end(self, trial_id, max_retries=0, max_consecutive_failures=None):
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
        del self.ongoing[trial.trial_id]
        self._stopping.discard(trial.trial_id)
        trial.ended_at = time.time()
        retry = (
            trial.status == TrialStatus.FAILED and trial.retryable and trial.attempts <= max_retries
        )
        if retry:
            self._retry_queue.append(trial.trial_id)
            logger.info("Trial %s failed; retrying (attempt %d).", trial.trial_id, trial.attempts + 1)
        self._append({"event": "end", "trial": trial.get_state(), "retry": retry}, sync=True)
        if retry:
            return True
        if trial.status == TrialStatus.FAILED:
            self.consecutive_failures += 1
            if max_consecutive_failures is not None and self.consecutive_failures >= max_consecutive_failures:
                raise TooManyFailedTrialsError(
                    f"{self.consecutive_failures} trials failed in a row "
                    f"(max_consecutive_failed_trials={max_consecutive_failures}). "
                    f"The last one, trial {trial.trial_id}, failed with:\n{trial.message}"
                )
        elif trial.status == TrialStatus.COMPLETED:
            self.consecutive_failures = 0
        return False

    def requeue_running(self):
        """Queue the trials an interrupted search left RUNNING to run again, as a resume does."""
        for trial_id in self.ongoing:
            if trial_id not in self._retry_queue:
                self._retry_queue.append(trial_id)
        self.ongoing.clear()
        self._stopping.clear()

    # Questions ---------------------------------------------------------------

    def is_tried(self, values):
        """Whether a configuration with these active values was suggested already."""
        return values_hash(values) in self._tried

    def best(self, num_trials=1):
        """The best COMPLETED trials, best first."""
        scored = [
            t for t in self.trials.values()
            if t.status == TrialStatus.COMPLETED and t.score is not None and not math.isnan(t.score)
        ]
        scored.sort(key=lambda t: self.objective.sort_key(t.score))
        return scored[:num_trials]

    # Internals ---------------------------------------------------------------

    def _append(self, event, sync=False):
        event["time"] = time.time()
        self.storage.append(event, sync=sync)

    def _replay(self, events):
        retry = {}
        for event in events:
            kind = event.get("event")
            if kind in ("trial", "end"):
                trial = Trial.from_state(event["trial"])
                self.trials[trial.trial_id] = trial
                retry[trial.trial_id] = kind == "end" and event.get("retry", False)
            elif kind == "metrics":
                self.trials[event["trial_id"]].metrics.update_all(event["metrics"], event["step"])
        for trial in self.trials.values():
            self._tried.add(values_hash(trial.hyperparameters.values))
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

    def _score(self, trial):
        """Set ``score`` and ``best_step`` from the metric history, or fail the trial."""
        best, reported = None, False
        for step in trial.metrics.steps():
            metrics = trial.metrics.at_step(step)
            if not self.objective.has_value(metrics):
                continue
            reported = True
            value = self.objective.get_value(metrics)
            if math.isnan(value):
                continue
            if best is None or self.objective.better_than(value, best[0]):
                best = (value, step)
        if best is not None:
            trial.score, trial.best_step = best
            return
        transition(trial, TrialStatus.RUNNING, TrialStatus.FAILED)
        trial.retryable = False
        if reported:
            trial.message = f"The objective {self.objective.names} was NaN at every step."
        else:
            trial.message = (
                f"The objective {self.objective.names} was never reported; the trial "
                f"reported {sorted(trial.metrics.history) or 'nothing'}. Return it from "
                "run_trial or name a reported metric as the objective."
            )


def _number(trial_id, name, value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"Trial {trial_id} reported {name}={value!r}; a metric must be a number."
        ) from None
