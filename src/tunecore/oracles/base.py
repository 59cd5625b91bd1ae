"""The Oracle interface: what suggests configurations and keeps the trials.

The contract is Keras Tuner 1.4's. A search loop (the tuner, in the driver
process) calls, for every trial:

1. :meth:`Oracle.create_trial` — returns a RUNNING trial with values to try, an
   IDLE one (nothing to suggest until a running trial ends), or a STOPPED one
   (``max_trials`` reached or the space exhausted).
2. :meth:`Oracle.update_trial` — zero or more times, with the metrics of a step
   (an epoch, a rung). The returned status may be STOPPED: the oracle asks the
   trial to stop early.
3. :meth:`Oracle.end_trial` — once, with ``trial.status`` set by the caller to
   COMPLETED, FAILED, INVALID or STOPPED.

Several trials may be RUNNING at once (parallel executors); an oracle must not
assume they end in the order they were created. Only the driver calls the
oracle, from one thread, so implementations need no locking.

A subclass implements :meth:`populate_space` and, if it keeps state beyond the
trials, extends :meth:`get_state` / :meth:`set_state`. Everything else —
trial ids, duplicate detection, retries, persistence, scoring — lives here.
Duplicates are detected for every oracle: a suggestion whose active values hash
like an earlier trial's is asked for again, then replaced by an unseen random
configuration; a finite space is enumerated before it is declared exhausted.

Values named ``tuner/...`` (Keras Tuner's convention, e.g. Hyperband's
``tuner/epochs``) are injected by an oracle, not tuned: a suggestion may carry
them, the trial gets them as ``Fixed`` hyperparameters, the search space never
does, and they do not tell configurations apart (see ``values_hash``).
"""

import logging
import math

import numpy as np

from tunecore import plugins
from tunecore.errors import FatalError, InvalidSpaceError
from tunecore.hyperparameters import Fixed, HyperParameters
from tunecore.objective import create_objective
from tunecore.oracles._space import (
    INJECTED_PREFIX, iter_grid, sample_values, space_size, values_hash,
)
from tunecore.storage import JournalStorage
from tunecore.trial import Trial, TrialStatus

logger = logging.getLogger("tunecore")

_MAX_COLLISIONS = 20
_MAX_ENUMERATION = 100_000


class TooManyFailedTrialsError(FatalError, RuntimeError):
    """``max_consecutive_failed_trials`` trials failed in a row."""


class Oracle:
    """Base class of all oracles.

    Args:
        objective: A metric name, an :class:`~tunecore.Objective` or a list of them.
        max_trials: How many distinct trials to run at most (None: until exhausted).
        hyperparameters: A :class:`HyperParameters` with part or all of the space.
        allow_new_entries: Whether trials may declare hyperparameters not in the space.
        tune_new_entries: Whether such new hyperparameters are tuned or kept at default.
        seed: Random seed.
        max_retries_per_trial: How often a trial that raised is run again.
        max_consecutive_failed_trials: Stop the search after this many failures in a row.
    """

    def __init__(
        self,
        objective=None,
        max_trials=None,
        hyperparameters=None,
        allow_new_entries=True,
        tune_new_entries=True,
        seed=None,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
    ):
        self.objective = create_objective(objective)
        self.max_trials = max_trials
        self.hyperparameters = hyperparameters.copy() if hyperparameters else HyperParameters()
        self.allow_new_entries = allow_new_entries
        self.tune_new_entries = tune_new_entries
        self.seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else seed
        self.max_retries_per_trial = max_retries_per_trial
        self.max_consecutive_failed_trials = max_consecutive_failed_trials
        self.trials = {}
        self.ongoing_trials = {}
        self._rng = np.random.default_rng(self.seed)
        self._tried = set()
        self._retry_queue = []
        self._consecutive_failures = 0
        self._storage = None

    # The contract ------------------------------------------------------------

    def populate_space(self, trial_id):
        """Suggest the values of a new trial.

        Args:
            trial_id: The id the new trial will get.

        Returns:
            ``{"status": TrialStatus.RUNNING, "values": {...}}`` with the active
            values; ``{"status": TrialStatus.IDLE}`` to wait for running trials;
            or ``{"status": TrialStatus.STOPPED}`` when nothing is left to try.
        """
        raise NotImplementedError

    def create_trial(self, tuner_id=None):
        """Create the next trial (see the module docstring)."""
        if self._retry_queue:
            return self._restart(self.trials[self._retry_queue.pop(0)], tuner_id)
        if self.max_trials is not None and len(self.trials) >= self.max_trials:
            return Trial(self.hyperparameters.copy(), status=TrialStatus.STOPPED)
        trial_id = self._new_trial_id()
        status, hps = self._suggest(trial_id)
        if status != TrialStatus.RUNNING:
            if status == TrialStatus.STOPPED and not self.ongoing_trials:
                logger.info("The oracle has no new configuration left after %d trials.", len(self.trials))
            return Trial(self.hyperparameters.copy(), status=status)
        trial = Trial(hps, trial_id=trial_id, status=TrialStatus.RUNNING, tuner_id=tuner_id)
        trial.attempts = 1
        self._tried.add(values_hash(hps.values))
        self.trials[trial_id] = trial
        self.ongoing_trials[trial_id] = trial
        self._record({"event": "trial", "trial": trial.get_state(), "oracle": self.get_state()})
        return trial

    def update_trial(self, trial_id, metrics, step=0):
        """Record ``metrics`` (a dict of floats) of a RUNNING trial at ``step``.

        Returns:
            The trial's status: RUNNING to go on, STOPPED to stop early.
        """
        trial = self.trials[trial_id]
        trial.metrics.update_all(metrics, step)
        self._record({"event": "metrics", "trial_id": trial_id, "step": step, "metrics": dict(metrics)})
        plugins.get_plugin_manager().hook.tunecore_metrics_reported(
            oracle=self, trial=trial, metrics=metrics, step=step
        )
        return trial.status

    def end_trial(self, trial, status=None):
        """End a trial; its ``status`` is COMPLETED, FAILED, INVALID or STOPPED.

        A FAILED trial that may be retried is queued to run again with the same
        values. Accepts Keras Tuner's older ``end_trial(trial_id, status)`` too.

        Raises:
            TooManyFailedTrialsError: ``max_consecutive_failed_trials`` reached.
        """
        if not isinstance(trial, Trial):
            trial = self.trials[trial]
        if status is not None:
            trial.status = status
        self.ongoing_trials.pop(trial.trial_id, None)
        self.trials[trial.trial_id] = trial
        if trial.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED):
            self._score(trial)
        self._tried.add(values_hash(trial.hyperparameters.values))
        retry = (
            trial.status == TrialStatus.FAILED
            and trial.retryable
            and trial.attempts <= self.max_retries_per_trial
        )
        if retry:
            self._retry_queue.append(trial.trial_id)
            logger.info("Trial %s failed; retrying (attempt %d).", trial.trial_id, trial.attempts + 1)
        self._record({"event": "end", "trial": trial.get_state(), "retry": retry}, sync=True)
        if retry:
            return
        if trial.status == TrialStatus.FAILED:
            self._consecutive_failures += 1
            if self._consecutive_failures >= self.max_consecutive_failed_trials:
                raise TooManyFailedTrialsError(
                    f"{self._consecutive_failures} trials failed in a row "
                    f"(max_consecutive_failed_trials={self.max_consecutive_failed_trials}). "
                    f"The last one, trial {trial.trial_id}, failed with:\n{trial.message}"
                )
        elif trial.status == TrialStatus.COMPLETED:
            self._consecutive_failures = 0

    def get_best_trials(self, num_trials=1):
        """The best COMPLETED trials, best first."""
        scored = [
            t for t in self.trials.values()
            if t.status == TrialStatus.COMPLETED and t.score is not None and not math.isnan(t.score)
        ]
        scored.sort(key=lambda t: self.objective.sort_key(t.score))
        return scored[:num_trials]

    def get_trial(self, trial_id):
        return self.trials[trial_id]

    def get_space(self):
        """A copy of the search space (with default values)."""
        return self.hyperparameters.copy()

    def update_space(self, hyperparameters):
        """Add the hyperparameters a trial declared that the space lacks.

        Raises:
            InvalidSpaceError: a new one appears while ``allow_new_entries`` is False.
        """
        new = [
            hp for hp in hyperparameters.space
            if not self.hyperparameters.is_defined(hp.name) and not hp.name.startswith(INJECTED_PREFIX)
        ]
        if not new:
            return
        if not self.allow_new_entries:
            raise InvalidSpaceError(
                f"allow_new_entries is False, but the trial declared new hyperparameters "
                f"{[hp.name for hp in new]}. Declare them in `hyperparameters` up front."
            )
        for hp in new:
            if not self.tune_new_entries:
                hp = Fixed(hp.name, hp.default, conditions=hp.conditions)
            self.hyperparameters.register(hp)
        self._record({"event": "space", "hyperparameters": self.hyperparameters.get_config()})

    @property
    def remaining_trials(self):
        return None if self.max_trials is None else max(self.max_trials - len(self.trials), 0)

    def get_state(self):
        """Oracle state beyond the trials (JSON-serialisable); subclasses extend it."""
        return {"rng": self._rng.bit_generator.state}

    def set_state(self, state):
        self._rng.bit_generator.state = state["rng"]

    # Persistence -------------------------------------------------------------

    def _set_project_dir(self, project_dir, overwrite=False):
        """Persist to ``project_dir``, resuming what an earlier run recorded there."""
        self._storage = JournalStorage(project_dir)
        header = {
            "oracle": f"{type(self).__module__}.{type(self).__qualname__}",
            "objective": self.objective.get_config(),
        }
        events = self._storage.open(header, overwrite=overwrite)
        self._replay(events)

    def _replay(self, events):
        for event in events:
            kind = event["event"]
            if kind in ("trial", "end"):
                trial = Trial.from_state(event["trial"])
                self.trials[trial.trial_id] = trial
                if kind == "trial":
                    self.set_state(event["oracle"])
                elif event.get("retry"):
                    self._retry_queue.append(trial.trial_id)
            elif kind == "metrics":
                self.trials[event["trial_id"]].metrics.update_all(event["metrics"], event["step"])
            elif kind == "space":
                self.hyperparameters.merge(HyperParameters.from_config(event["hyperparameters"]))
        for trial in self.trials.values():
            self._tried.add(values_hash(trial.hyperparameters.values))
            if trial.status == TrialStatus.RUNNING and trial.trial_id not in self._retry_queue:
                self._retry_queue.append(trial.trial_id)
            if trial.status == TrialStatus.FAILED and trial.trial_id not in self._retry_queue:
                self._consecutive_failures += 1
            elif trial.status == TrialStatus.COMPLETED:
                self._consecutive_failures = 0
        if self.trials:
            logger.info(
                "Resumed %d trials (%d to run again).", len(self.trials), len(self._retry_queue)
            )

    def _record(self, event, sync=False):
        if self._storage is not None:
            self._storage.append(event, sync=sync)

    def _close(self):
        if self._storage is not None:
            self._storage.close()

    # Helpers for subclasses --------------------------------------------------

    def _random_values(self):
        """Unseen random values for the whole active space, or None if exhausted."""
        space = self.hyperparameters.space
        for _ in range(_MAX_COLLISIONS):
            values = sample_values(space, self._rng)
            if not self._is_tried(values):
                return values
        return self._random_unseen(space)

    def _random_unseen(self, space):
        size = space_size(space)
        if size > _MAX_ENUMERATION:
            return None
        unseen = [v for v in iter_grid(space) if not self._is_tried(v)]
        if not unseen:
            return None
        return unseen[self._rng.integers(len(unseen))]

    def _is_tried(self, values):
        """Whether ``values`` was already suggested (running, ended or pending retry)."""
        return values_hash(self._hyperparameters_for(values).values) in self._tried

    def _hyperparameters_for(self, values):
        """The space with ``values`` assigned; injected ``tuner/`` values join it as ``Fixed``."""
        hps = self.hyperparameters.copy()
        for name, value in values.items():
            if name.startswith(INJECTED_PREFIX) and not hps.is_defined(name):
                hps.register(Fixed(name, value))
            else:
                hps.assign(name, value)
        hps.ensure_active_values()
        return hps

    # Internals ---------------------------------------------------------------

    def _suggest(self, trial_id):
        """``(status, hyperparameters)`` of a new, unseen configuration (None unless RUNNING)."""
        for _ in range(_MAX_COLLISIONS):
            response = self.populate_space(trial_id)
            if response["status"] != TrialStatus.RUNNING:
                return response["status"], None
            hps = self._hyperparameters_for(response["values"])
            if values_hash(hps.values) not in self._tried:
                return TrialStatus.RUNNING, hps
        values = self._random_values()
        if values is None:
            return TrialStatus.STOPPED, None
        return TrialStatus.RUNNING, self._hyperparameters_for(values)

    def _requeue_interrupted(self):
        """Queue the trials an interrupted search left RUNNING to run again, as a resume does."""
        for trial_id in self.ongoing_trials:
            if trial_id not in self._retry_queue:
                self._retry_queue.append(trial_id)
        self.ongoing_trials.clear()

    def _restart(self, trial, tuner_id):
        trial.status = TrialStatus.RUNNING
        trial.tuner_id = tuner_id
        trial.attempts += 1
        trial.metrics.clear()
        trial.score = trial.best_step = trial.message = None
        self.ongoing_trials[trial.trial_id] = trial
        self._record({"event": "trial", "trial": trial.get_state(), "oracle": self.get_state()})
        return trial

    def _new_trial_id(self):
        width = max(2, len(str((self.max_trials or 100) - 1)))
        return str(len(self.trials)).zfill(width)

    def _score(self, trial):
        """Set ``score`` and ``best_step`` from the metric history."""
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
        trial.status = TrialStatus.FAILED
        trial.retryable = False
        if reported:
            trial.message = f"The objective {self.objective.names} was NaN at every step."
        else:
            trial.message = (
                f"The objective {self.objective.names} was never reported; the trial "
                f"reported {sorted(trial.metrics.history) or 'nothing'}. Return it from "
                "run_trial or name a reported metric as the objective."
            )
