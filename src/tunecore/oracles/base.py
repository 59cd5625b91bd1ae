"""The Oracle: suggests configurations, and is the door to a trial's life.

Three roles, three homes:

* **Suggestion** (this module, and each subclass): :meth:`Oracle.populate_space`
  proposes the values of a new trial, exactly as Keras Tuner's contract says.
  Subclasses get the helpers every oracle needs as public API:
  :attr:`Oracle.rng`, :meth:`Oracle.random_values`, :meth:`Oracle.is_tried`,
  :attr:`Oracle.hyperparameters` (the space), :attr:`Oracle.trials`,
  :meth:`Oracle.ended_since` (the order of their ends); and for
  model-based oracles, what a trial scored: :meth:`Oracle.objective_values`
  (one value per objective of a :class:`~tunecore.objective.Pareto`),
  :meth:`Oracle.constraint_values`, :meth:`Oracle.is_feasible` with
  :attr:`Oracle.constraints`, and :meth:`Oracle.warm_start_trials` (the
  finished trials of ``warm_start_from``, extra observations that are not
  trials of this search).
* **Configurations to try first**: :meth:`Oracle.enqueue` queues values that
  :meth:`ask` hands out before asking :meth:`populate_space` (after retries);
  the queue is in the journal, so it survives a resume.
* **The ledger** (:mod:`tunecore.ledger`): owns the trials and their status,
  retries, failure counts, duplicates, scores, best trials and resume.
* **Storage** (:mod:`tunecore.storage`): a journal on disk or memory; only the
  ledger touches it.

The lifecycle of a trial, public and used by every caller (the tuner, the
scikit-learn search, executors, the conformance suite):

1. :meth:`Oracle.ask` ``(tuner_id=None) -> Trial`` — a RUNNING trial with values
   to try; an IDLE one (nothing to suggest until a running trial ends); or a
   STOPPED one (``max_trials`` reached or the space exhausted).
2. :meth:`Oracle.report` ``(trial_id, step, **metrics) -> status`` — zero or more
   times while it runs. STOPPED means the oracle wants the trial stopped: it
   should stop training, and ends STOPPED.
3. :meth:`Oracle.tell` ``(trial_id, result=None, status="COMPLETED", message=None)``
   — once: its final result (a number, a dict of metrics, or a list of those
   to average, one per execution: the final value of the metrics it names) and how it ended (COMPLETED, FAILED, INVALID or STOPPED).

Keras Tuner's names are the extension points these go through, so a Keras
Tuner subclass that overrides them (and calls ``super()``) keeps working:
``ask`` calls :meth:`create_trial`, ``report`` calls :meth:`update_trial`,
``tell`` calls :meth:`end_trial`. An ``update_trial`` override stops a trial
early by returning ``"STOPPED"``; it may return the trial, as Keras Tuner's does.

Several trials may be RUNNING at once; they may end in any order. The six
methods above are :func:`~tunecore.synchronized`: calls from several threads
into one oracle run one at a time, as in Keras Tuner (an override that should
be too decorates itself).
Values named ``tuner/...`` schedule a trial (:mod:`tunecore.schedule`): a
suggestion may carry them, the trial gets them as ``Fixed`` hyperparameters,
the space never does.
"""

import contextlib
import logging
import numbers
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from tunecore import plugins, pruners, schedule, warm_start
from tunecore.errors import (
    InvalidArgumentError,
    InvalidSpaceError,
    NewEntriesError,
    ProjectError,
)
from tunecore.hyperparameters import HyperParameter, HyperParameters
from tunecore.hyperparameters.walk import iter_grid, sample_values, space_size
from tunecore.ledger import TrialLedger, configuration, shared
from tunecore.objective import (
    DEFAULT_OBJECTIVE,
    Constraint,
    Objective,
    Pareto,
    create_constraints,
    create_objective,
    is_pareto,
    to_metrics,
)
from tunecore.oracles.synchronized import synchronized
from tunecore.storage import Storage
from tunecore.trial import Trial, TrialStatus

logger = logging.getLogger("tunecore")

_MAX_COLLISIONS = 20
_MAX_ENUMERATION = 100_000


class Oracle:
    """Base class of all oracles; subclasses implement :meth:`populate_space`.

    These are the arguments every oracle shares. A subclass adds its own and
    passes these on with ``**kwargs``, so that they are spelled once.

    Args:
        objective: A metric name, an :class:`~tunecore.Objective` or a list of them.
        max_trials: How many distinct trials to run at most (None: until exhausted).
        hyperparameters: A :class:`HyperParameters` with part or all of the space.
        allow_new_entries: Whether trials may declare hyperparameters not in the space.
        tune_new_entries: Whether such new hyperparameters are tuned; if not,
            they stay out of the space and trials get their defaults.
        seed: Random seed.
        max_retries_per_trial: How often a trial that raised is run again.
        max_consecutive_failed_trials: Stop the search after this many failures in a row.
        constraints: :class:`~tunecore.Constraint` objects (or one): bounds on
            reported metrics. Only feasible trials are best trials (or on the
            Pareto front); model-based oracles model feasibility.
        warm_start_from: The path of a finished project (``directory/project_name``)
            over a compatible space, read-only: its COMPLETED trials inform
            model-based oracles (:meth:`warm_start_trials`) but are not trials
            of this search and do not count towards ``max_trials``.
        pruner: Stops running trials that are not worth finishing: a
            :class:`~tunecore.pruners.Pruner` or a name (``"median"``,
            ``"asha"``); see :mod:`tunecore.pruners`.

    Raises:
        ValueError: a count is negative or not an integer, or
            ``tune_new_entries`` or ``allow_new_entries`` is False without
            ``hyperparameters``.
    """

    pruner: pruners.Pruner | None = None
    # A HyperParameters; Any until tunecore_optuna passes its definitions on as HyperParameter.
    hyperparameters: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        overridden = [name for name in ("score_trial", "_score_trial") if name in vars(cls)]
        if overridden:
            warnings.warn(
                f"{cls.__qualname__} overrides Keras Tuner's {overridden[0]}, which tunecore never "
                "calls: a trial's score is its objective's best value, recomputed from the metrics "
                "on resume. Report the value to rank trials by as a metric and make it the objective.",
                UserWarning, stacklevel=2,
            )

    def __init__(
        self,
        objective: Any = None,
        max_trials: int | None = None,
        hyperparameters: HyperParameters | None = None,
        allow_new_entries: bool = True,
        tune_new_entries: bool = True,
        seed: int | None = None,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int | None = 3,
        pruner: pruners.Pruner | str | None = None,
        constraints: Constraint | Iterable[Constraint] | None = None,
        warm_start_from: str | os.PathLike[str] | None = None,
    ) -> None:
        _check_count("max_trials", max_trials, minimum=1, optional=True)
        _check_count("max_retries_per_trial", max_retries_per_trial, minimum=0)
        _check_count("max_consecutive_failed_trials", max_consecutive_failed_trials, minimum=1, optional=True)
        _check_count("seed", seed, minimum=0, optional=True)
        for flag, value in (("tune_new_entries", tune_new_entries), ("allow_new_entries", allow_new_entries)):
            if hyperparameters is None and not value:
                raise ValueError(
                    f"If you set `{flag}=False`, you must specify the search space via the "
                    "`hyperparameters` argument: a HyperParameters with the hyperparameters to tune."
                )
        self.ledger = TrialLedger(create_objective(objective), constraints=create_constraints(constraints))
        self.max_trials = max_trials
        self.hyperparameters = hyperparameters.copy() if hyperparameters else HyperParameters()
        self._given = {hp.name for hp in self.hyperparameters.space}
        self.allow_new_entries = allow_new_entries
        self.tune_new_entries = tune_new_entries
        self.seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else seed  # type: ignore[operator]
        self.max_retries_per_trial = max_retries_per_trial
        self.max_consecutive_failed_trials = max_consecutive_failed_trials
        self.rng = np.random.default_rng([self.seed, 0])
        self.pruner = pruners.create(pruner)
        self._updating = False  # update_trial is called by report or tell
        self._direct_updates: set[str] = set()  # trials a caller updated through update_trial itself
        self._report_listener: Callable[[Trial, int, dict[str, Any]], None] | None = None
        self._state_seen: Any = None  # the recorded oracle state last given to set_state
        self._next_catch_up = 0.0  # a shared storage: when a report catches up with other drivers
        if self.pruner is not None and isinstance(self.objective, Pareto):
            raise ValueError(
                f"A pruner compares trials on one objective; {self.objective!r} has several. "
                "Prune on one of them by searching it alone, or drop pruner=."
            )
        self.warm_start_from = None if warm_start_from is None else os.fspath(warm_start_from)
        self._warm_start = (
            None if warm_start_from is None else warm_start.WarmStart(self.warm_start_from)  # type: ignore[arg-type]
        )

    # Suggestion: what subclasses implement ------------------------------------

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """Suggest the values of a new trial.

        May be called more than once for the same ``trial_id``: when the values
        it returns were tried already, it is asked again (up to 20 times, then
        an unseen random configuration is used). Keep no bookkeeping keyed on
        ``trial_id`` that a second call would duplicate.

        Args:
            trial_id: The id the new trial will get.

        Returns:
            ``{"status": TrialStatus.RUNNING, "values": {...}}`` with the active
            values; ``{"status": TrialStatus.IDLE}`` to wait for running trials;
            or ``{"status": TrialStatus.STOPPED}`` when nothing is left to try.
        """
        raise NotImplementedError

    def get_state(self) -> dict[str, Any]:
        """Oracle state beyond the trials and the space (JSON-serialisable); subclasses extend it.

        It is recorded with each new trial when it changed, and given back to
        :meth:`set_state` on resume. Keep in it only what the trials cannot
        tell: a resumed search should suggest what an uninterrupted one would.
        """
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned."""

    # Helpers for subclasses ----------------------------------------------------

    @property
    def rng(self) -> np.random.Generator:
        """This trial's numpy ``Generator``: seeded from ``seed`` and the trial's number.

        A fresh stream per new trial (as Keras Tuner's ``seed_state`` does), so
        a resumed search draws exactly what an uninterrupted one would.
        """
        return self._rng

    @rng.setter
    def rng(self, generator: np.random.Generator) -> None:
        self._rng = generator

    def random_values(self) -> dict[str, Any] | None:
        """Unseen random values for the whole active space, or None if exhausted."""
        space = self.hyperparameters.space
        for _ in range(_MAX_COLLISIONS):
            values = sample_values(space, self.rng)
            if not self.is_tried(values):
                return values
        return self._random_unseen(space)

    _random_values = random_values  # Keras Tuner's name, which its custom oracles call

    def is_tried(self, values: Mapping[str, Any]) -> bool:
        """Whether ``values`` were suggested already (running, ended or waiting for a retry).

        While the space is empty (a function tuner whose trials all failed
        before declaring a hyperparameter), it is not known yet: the empty
        configuration counts as tried only once a trial with it did not fail,
        so a search resumed after fixing the function discovers its space.
        """
        if not values and not self.hyperparameters.space:
            return any(t.status != TrialStatus.FAILED for t in self.trials.values())
        return self.ledger.is_tried(self._hyperparameters_for(values).values)

    @property
    def trials(self) -> dict[str, Any]:  # Trial values; Any until tuners/progress.py checks trial.message
        """``{trial_id: Trial}`` of every trial, in creation order (read it, don't change it)."""
        return self.ledger.trials

    @trials.setter
    def trials(self, trials: dict[str, Trial]) -> None:
        # Keras Tuner's tests and custom oracles assign it; the ledger keeps the dict.
        self.ledger.trials = trials

    @property
    def ongoing_trials(self) -> dict[str, Trial]:
        """``{trial_id: Trial}`` of the RUNNING trials."""
        return self.ledger.ongoing

    def ended_since(self, trial_id: str) -> list[Trial]:
        """The trials that ended after ``trial_id`` was created, in the order they ended.

        The order is the shared history's, so several drivers of one search and
        a resumed search answer alike: a model-based oracle can tell from it
        whether anything was learned since a running trial was suggested.

        Raises:
            TrialStateError: there is no trial ``trial_id``.
        """
        return self.ledger.ended_since(trial_id)

    @property
    def start_order(self) -> list[str]:
        """Keras Tuner's attribute: the ids of the trials in the order they were created."""
        return list(self.trials)

    @property
    def objective(self) -> Objective:
        return self.ledger.objective

    @objective.setter
    def objective(self, objective: Any) -> None:
        self.ledger.objective = create_objective(objective)

    @property
    def constraints(self) -> list[Constraint]:
        """The :class:`~tunecore.Constraint` objects a trial must meet to be feasible."""
        return self.ledger.constraints

    def objective_values(self, trial: Trial) -> Any:  # tuple[float, ...] | None
        """A trial's value of each objective, or None if it has none.

        A tuple with one value per objective of a :class:`~tunecore.Pareto`
        (a 1-tuple otherwise), each in its objective's own direction
        (``objective.objectives[i].direction``), at the step the trial is
        judged by. Works for :meth:`warm_start_trials` too. This is the API
        multi-objective oracles (NSGA-II, ParEGO...) read.
        """
        return self.ledger.objective_values(trial)

    def constraint_values(self, trial: Trial) -> tuple[float | None, ...]:
        """A trial's value of each constraint's metric, in :attr:`constraints` order (None: never reported)."""
        return self.ledger.constraint_values(trial)

    def is_feasible(self, trial: Trial) -> bool:
        """Whether a trial meets every constraint (always true without constraints)."""
        return self.ledger.is_feasible(trial)

    def warm_start_trials(self) -> list[Trial]:
        """The COMPLETED trials of ``warm_start_from`` whose values fit the space, or [].

        Extra observations for model-based oracles: they are not in
        :attr:`trials`, are never run or counted, and their
        :meth:`objective_values` are read with this search's objective
        (trials that lack one of its metrics are left out).

        Raises:
            InvalidSpaceError: the project defines its hyperparameters
                differently from this search's space (the message names them).
        """
        if self._warm_start is None:
            return []
        return self._warm_start.trials(self.hyperparameters, self.ledger)

    def enqueue(self, values: dict[str, Any]) -> bool:
        """Run a trial with ``values`` before any new suggestion (after retries).

        Keras Tuner users know this from Optuna's ``enqueue_trial``: evaluate
        known-good configurations first. Hyperparameters left out take their
        default values. The values are checked against the space as known
        now: a name it does not define, or a value out of range, is an error
        (while the space is still empty, as before a function tuner's first
        trial, a value is checked when the trial declares its
        hyperparameter). A configuration already tried or queued is skipped.
        The queue is recorded in the project, so it survives a resume. An
        enqueued trial does not go through :meth:`populate_space`.

        Args:
            values: ``{name: value}``.

        Returns:
            Whether the configuration was queued (False: a duplicate).

        Raises:
            InvalidSpaceError: a name is unknown or a value invalid.
        """
        if not isinstance(values, dict):
            raise InvalidArgumentError(f"enqueue takes a dict of hyperparameter values; got {values!r}.")
        values = dict(values)
        key = self._enqueued_key(values)
        if self.ledger.is_tried(key):
            logger.info("Enqueued values %r were tried already; skipped.", values)
            return False
        for queued in self.ledger.queued:
            try:
                if self._enqueued_key(queued) == key:
                    logger.info("Values %r are queued already; skipped.", values)
                    return False
            except InvalidSpaceError:
                continue
        self.ledger.enqueue(values)
        return True

    # The lifecycle -------------------------------------------------------------

    @synchronized
    def ask(self, tuner_id: str | None = None) -> Trial:
        """Start the next trial (see the module docstring); goes through :meth:`create_trial`."""
        return self.create_trial(tuner_id)

    @synchronized
    def report(self, trial_id: str, step: int = 0, **metrics: Any) -> str:
        """Record a running trial's ``metrics`` at ``step``; goes through :meth:`update_trial`.

        Returns:
            ``TrialStatus.RUNNING`` to go on, ``TrialStatus.STOPPED`` to stop.

        Raises:
            TrialStateError: the trial is not running.
        """
        if self.ledger.shared:
            # The pruner compares with every driver's trials; without one, catching up now and
            # then tells a driver taken for dead (its heartbeat missed) to stop its trial.
            if self.pruner is not None or time.monotonic() >= self._next_catch_up:
                self._catch_up_with_drivers()
            if self.ledger.lost(trial_id):
                return TrialStatus.STOPPED
        status = self._update(trial_id, metrics, step)
        if status == TrialStatus.STOPPED:
            self.ledger.request_stop(trial_id)
        limit = self.ledger.overdue(trial_id)
        if limit is not None:
            self.ledger.request_stop(
                trial_id, f"The trial ran longer than trial_timeout={limit:g}s and was stopped.",
                status=TrialStatus.FAILED,
            )
        if self.pruner is not None and not self.ledger.stop_requested(trial_id) and not isinstance(
            self.objective, Pareto
        ):
            trial = self.trials[trial_id]
            if self.objective.has_value(metrics):
                reason = self.pruner.prune(trial, step, self.trials, self.objective)
                if reason:
                    self.ledger.request_stop(trial_id, f"Stopped by {self.pruner!r} at step {step}: {reason}.")
        return TrialStatus.STOPPED if self.ledger.stop_requested(trial_id) else TrialStatus.RUNNING

    @synchronized
    def tell(self, trial_id: str, result: Any = None, status: str = TrialStatus.COMPLETED, message: str | None = None,
             *, retryable: bool = True, rerun: bool = False) -> Trial:
        """End a running trial; goes through :meth:`end_trial`.

        Args:
            trial_id: The trial.
            result: Its final result: a number (the objective), a dict of
                metrics, a list of those (averaged: executions of the trial),
                or None if it reported everything already. It is the trial's
                final value of each metric it names: recorded at its last
                reported step, replacing (not averaged with) what that step
                reported for them.
            status: COMPLETED, FAILED, INVALID or STOPPED. A trial asked to
                stop (by the oracle or its pruner) ends STOPPED, one stopped
                for its ``trial_timeout`` FAILED, whichever it says; one whose
                objective was never reported ends FAILED.
            message: Why it failed (a traceback).
            retryable: Whether a FAILED trial may run again
                (``max_retries_per_trial``).
            rerun: The trial FAILED on a bug that stops the search; it runs
                again, with the same values, when the search resumes.

        Returns:
            The ended :class:`~tunecore.Trial`.

        Raises:
            TrialStateError: the trial is not running, or ``status`` is not final.
            TooManyFailedTrialsError: ``max_consecutive_failed_trials`` reached.
        """
        if self.ledger.shared:
            self._catch_up_with_drivers(end_stale=False)
            if self.ledger.lost(trial_id):
                logger.warning(
                    "Trial %s was taken over by another driver (this one gave no sign of life within the "
                    "grace period); the result of this run of it is dropped.", trial_id,
                )
                return self.trials[trial_id]
        trial = self.ledger.running(trial_id)
        self._check_prunable(trial)
        metrics = to_metrics(result, self.objective)
        if metrics:
            with self.ledger.final_result(trial_id):
                self._update(trial_id, metrics, max(trial.metrics.steps(), default=0))
        requested = self.ledger.stop_request(trial_id)
        if requested is not None and status in (TrialStatus.COMPLETED, TrialStatus.STOPPED):
            status, message = requested[0], requested[1] or message
        self.ledger.propose_end(trial_id, status, message, retryable, rerun)
        self._direct_updates.discard(trial_id)
        self.end_trial(trial)
        return trial

    def _check_prunable(self, trial: Trial) -> None:
        """Warn once if the pruner can never act: the trial reported, but never the objective."""
        if self.pruner is None or getattr(self, "_warned_unprunable", False) or isinstance(self.objective, Pareto):
            return
        steps = trial.metrics.steps()
        if not steps or any(self.objective.has_value(trial.metrics.at_step(step)) for step in steps):
            return
        self._warned_unprunable = True
        reported = sorted({name for step in steps for name in trial.metrics.at_step(step)})
        name = self.objective.name
        if name == DEFAULT_OBJECTIVE:
            how = (
                f"the objective is the value the trial returns, which is not reported while it runs: "
                f"name a reported metric as the objective (objective={reported[0]!r})"
            )
        else:
            how = (
                f"report the objective while the trial runs (trial.report(step, {name}=...)), or "
                f"name a reported metric as the objective (objective={reported[0]!r})"
            )
        warnings.warn(
            f"The pruner {self.pruner!r} can never stop a trial of this search: trial {trial.trial_id} "
            f"reported {reported} but never the objective {name!r}. To prune, {how}.",
            UserWarning, stacklevel=3,
        )

    def updated_directly(self, trial_id: str) -> bool:
        """Whether ``update_trial`` was called for the running trial other than through :meth:`report`.

        That is Keras Tuner's deprecated way for ``run_trial`` to report (it
        skips the pruner and stop requests).
        """
        return trial_id in self._direct_updates

    def _update(self, trial_id: str, metrics: dict[str, Any], step: int) -> str:
        self._updating = True
        try:
            answer = self.update_trial(trial_id, metrics, step=step)
        finally:
            self._updating = False
        return answer.status if isinstance(answer, Trial) else answer

    @synchronized
    def create_trial(self, tuner_id: str | None = None) -> Trial:
        """Keras Tuner's name for :meth:`ask`, and the place to extend it.

        On a shared storage (several drivers), the oracle first catches up
        with the other drivers' trials and adopts the oracle state they
        recorded; if another driver claims a trial first, it decides again.
        While other drivers' trials run and nothing is left to start, the
        answer is IDLE: one of them may fail and run again.

        Raises:
            ContentionError: other drivers claimed first, every time (a shared storage).
        """
        if not self.ledger.shared:
            trial = self._create_trial(tuner_id)
            assert trial is not None  # only a shared storage refuses a claim
            return trial
        for tries in range(shared.MAX_TRIES):
            self._catch_up_with_drivers()
            if self.ledger.search_stop is not None:
                return Trial(self.hyperparameters.copy(), status=TrialStatus.STOPPED)
            state = self.get_state()
            self.ledger.checkpoint()
            trial = self._create_trial(tuner_id)
            if trial is not None:
                self.ledger.committed()
                self._state_seen = self.ledger.oracle_state
                if trial.status == TrialStatus.STOPPED and self.ongoing_trials:
                    return Trial(self.hyperparameters.copy(), status=TrialStatus.IDLE)
                return trial
            self.ledger.rollback()
            self.set_state(state)
            shared.backoff(tries)
        raise shared.contention(self.ledger.storage, "a new trial")

    def _catch_up_with_drivers(self, end_stale: bool = True) -> None:
        """Take in the other drivers' events: their trials, space and oracle state; end their stale trials."""
        ledger = self.ledger
        ledger.catch_up()
        self._next_catch_up = time.monotonic() + ledger.storage.heartbeat_interval
        self.hyperparameters.merge(ledger.space, overwrite=False)
        if ledger.oracle_state is not None and ledger.oracle_state is not self._state_seen:
            self._state_seen = ledger.oracle_state
            self.set_state(ledger.oracle_state)
        if end_stale:
            ledger.end_stale(self.max_retries_per_trial)

    def _create_trial(self, tuner_id):
        """:meth:`create_trial`'s decision; None if another driver claimed first."""
        retry = self.ledger.next_retry()
        if retry is not None:
            return self.ledger.restart(retry, tuner_id, self.get_state())
        if self.max_trials is not None and len(self.trials) >= self.max_trials:
            return Trial(self.hyperparameters.copy(), status=TrialStatus.STOPPED)
        trial_id = self.ledger.new_trial_id(self.max_trials)
        self.rng = np.random.default_rng([self.seed, len(self.trials)])
        if self._warm_start is not None and self.hyperparameters.space:
            self.warm_start_trials()  # a mismatched project fails at the first trial, not later
        hps = self._next_enqueued()
        status = TrialStatus.RUNNING
        if hps is None:
            status, hps = self._suggest(trial_id)
        if status != TrialStatus.RUNNING:
            if status == TrialStatus.STOPPED and not self.ongoing_trials:
                logger.info("The oracle has no new configuration left after %d trials.", len(self.trials))
            return Trial(self.hyperparameters.copy(), status=status)
        return self.ledger.create(trial_id, hps, tuner_id, self.get_state())

    @synchronized
    def update_trial(self, trial_id: str, metrics: dict[str, Any], step: int = 0) -> Any:
        """Keras Tuner's name for :meth:`report` (``metrics`` as a dict), and the place to extend it.

        Returns:
            The :class:`~tunecore.Trial`, as in Keras Tuner. An override stops
            the trial early by returning ``"STOPPED"`` (or a trial whose status
            is STOPPED); any other answer lets it go on.
        """
        if not self._updating:
            self._direct_updates.add(trial_id)
        trial = self.ledger.record(trial_id, step, metrics)
        if self._report_listener is not None:
            self._report_listener(trial, step, metrics)
        else:
            plugins.get_plugin_manager().hook.tunecore_metrics_reported(
                tuner=None, trial=trial, step=step, metrics=metrics, oracle=self
            )
        return trial

    @contextlib.contextmanager
    def observe_reports(self, listener: Callable[[Trial, int, dict[str, Any]], None]) -> Iterator[None]:
        """Within the block, each report goes to ``listener(trial, step, metrics)``.

        The search loop listens this way: it calls the search's callbacks and
        the ``tunecore_metrics_reported`` hook with its tuner. Without a
        listener (a driver with no tuner), the oracle calls the hook with
        ``tuner=None``.
        """
        self._report_listener = listener
        try:
            yield
        finally:
            self._report_listener = None

    @synchronized
    def end_trial(self, trial: Any, status: str | None = None) -> None:  # a Trial, or (Keras Tuner < 1.4) an id
        """Keras Tuner's name for :meth:`tell`, and the place to extend it.

        Ends ``trial`` with the status it carries (Keras Tuner 1.4's
        ``end_trial(trial)``), or with ``status`` (its older
        ``end_trial(trial_id, status)``). A FAILED trial that may be retried
        is queued to run again with the same values.
        """
        if not isinstance(trial, Trial):
            trial = self.trials[trial]
        self.ledger.end(
            trial.trial_id,
            status or trial.status,
            max_retries=self.max_retries_per_trial,
            max_consecutive_failures=self.max_consecutive_failed_trials,
        )

    # Results -------------------------------------------------------------------

    def get_best_trials(self, num_trials: int | None = 1) -> list[Trial]:
        """The best feasible COMPLETED trials, best first (``num_trials=None``: all of them).

        For a :class:`~tunecore.Pareto` objective, the Pareto front sorted by
        the first objective; capped at ``num_trials`` by keeping its spread
        (see :meth:`tunecore.ledger.TrialLedger.best`). Otherwise the best
        scores first, in the order :meth:`order_best` gives.
        """
        if is_pareto(self.objective):
            return self.ledger.best(num_trials)
        best = self.order_best(self.ledger.best(None))
        return best if num_trials is None else best[:num_trials]

    def order_best(self, trials: list[Trial]) -> list[Trial]:
        """The hook that decides which trial is best, for a single objective.

        Called by :meth:`get_best_trials` (and so ``get_best_hyperparameters``,
        ``get_best_models``, ``results_summary``) with every feasible COMPLETED
        trial, best observed score first (Keras Tuner's meaning of "best");
        returns them in the order to report. The default keeps that order; an
        oracle with a model of the objective may rank them by it instead (a
        noisy score's best draw is a lucky one). Must not change the trials.
        Under the default order a trial that falls out of the top k stays
        out (scores do not change); under a model's ranking it may come back
        as later trials reshape the model, so a caller must not delete a
        trial's artefacts (its checkpoint) for being outside the top k now:
        :attr:`reranks_best` says which.
        """
        return trials

    @property
    def reranks_best(self) -> bool:
        """Whether :meth:`order_best` ranks by a model, which may bring a trial back into
        the top k as trials are added; False for the observed order (the default)."""
        return False

    def get_trial(self, trial_id: str) -> Trial:
        return self.trials[trial_id]

    def remaining_trials(self) -> int | None:
        """How many trials ``max_trials`` leaves (None without it); a method, as in Keras Tuner."""
        return None if self.max_trials is None else max(self.max_trials - len(self.trials), 0)

    # The search space ----------------------------------------------------------

    def get_space(self) -> HyperParameters:
        """A copy of the search space (with default values)."""
        return self.hyperparameters.copy()

    def update_space(self, hyperparameters: HyperParameters) -> None:
        """Add the hyperparameters a trial declared that the space lacks.

        Raises:
            NewEntriesError: a new one appears while ``allow_new_entries`` is False.
        """
        new = [
            hp for hp in hyperparameters.space
            if not self.hyperparameters.is_defined(hp.name, hp.conditions)
            and not schedule.is_scheduling(hp.name)
        ]
        if not new:
            return
        if not self.allow_new_entries:
            raise NewEntriesError(
                f"`allow_new_entries` is `False`, but the hypermodel or trial declared new "
                f"hyperparameters {[hp.name for hp in new]}. Declare them in `hyperparameters` "
                "up front, or allow new entries."
            )
        if not self.tune_new_entries:  # trials declare them and get their defaults
            return
        for hp in new:
            self.hyperparameters.register(hp)
        self._record_space()

    def _record_space(self):
        for _ in range(shared.MAX_TRIES):
            if self.ledger.record_space(self.hyperparameters):
                return
            self._catch_up_with_drivers(end_stale=False)  # another driver's space first, then ours
        raise shared.contention(self.ledger.storage, "the search space")

    def check_definitions(self, hyperparameters: HyperParameters | Iterable[HyperParameter]) -> None:
        """Refuse definitions that differ from those the project recorded.

        A hypermodel or a tuned function whose code changed a range between
        runs would otherwise resume with trials drawn from the old one (the
        first definition of a name is the one used). The tuner checks a
        hypermodel's definitions when it resumes, and those each trial made
        (:attr:`HyperParameters.declared`) when it ends, since a function
        declares its hyperparameters as it runs. Hyperparameters given to the
        oracle's constructor (overrides) are not checked here.

        Args:
            hyperparameters: A :class:`HyperParameters` (its space) or definitions.

        Raises:
            ProjectError: a hyperparameter is defined differently.
        """
        recorded = self.ledger.space
        definitions = hyperparameters.space if isinstance(hyperparameters, HyperParameters) else hyperparameters
        for hp in definitions:
            if hp.name not in self._given and recorded.is_defined(hp.name, hp.conditions):
                _check_unchanged(
                    recorded.get_hyperparameter(hp.name, hp.conditions), hp, self.ledger.storage
                )

    # The project ---------------------------------------------------------------

    def open(self, storage: Storage, overwrite: bool = False) -> None:
        """Keep this oracle's trials in ``storage``, resuming what it holds.

        Raises:
            ProjectError: the storage holds another search (another oracle
                class or objective), is corrupt, or defines a hyperparameter
                of ``hyperparameters`` differently.
        """
        header = {
            "oracle": f"{type(self).__module__}.{type(self).__qualname__}",
            "objective": self.objective.get_config(),
        }
        self.ledger.open(storage, header, overwrite=overwrite)
        recorded = self.ledger.space
        for hp in self.hyperparameters.space:
            if recorded.is_defined(hp.name, hp.conditions):
                _check_unchanged(recorded.get_hyperparameter(hp.name, hp.conditions), hp, storage)
        self.hyperparameters.merge(recorded, overwrite=False)
        if self.ledger.oracle_state is not None:
            self._state_seen = self.ledger.oracle_state
            try:
                self.set_state(self.ledger.oracle_state)
            except (KeyError, TypeError, ValueError) as exc:
                raise ProjectError(
                    f"The oracle state recorded in {storage.location!r} cannot be restored "
                    f"({type(exc).__name__}: {exc})."
                ) from None
        if self.hyperparameters.space:
            self._record_space()

    def close(self) -> None:
        """Release the storage (the journal file); the next event opens it again."""
        self.ledger.close()

    def save(self) -> None:
        """Keras Tuner's; nothing to do: every change is in the storage as it happens."""

    def reload(self, storage: Storage | None = None) -> None:
        """Forget the trials in memory and replay them from the storage (Keras Tuner's ``reload``).

        Args:
            storage: Another project's storage to read instead, from now on (a
                worker of a distributed search reads the chief's journal).

        Raises:
            ProjectError: as :meth:`open`.
        """
        if storage is None:
            storage = self.ledger.storage
        if storage.project_dir is None and not storage.shared:  # in memory: what is in memory is all there is
            return
        self.ledger.storage.close()
        self.ledger = TrialLedger(self.objective, constraints=self.constraints)
        self.open(storage)

    # Internals -----------------------------------------------------------------

    def _suggest(self, trial_id):
        """``(status, hyperparameters)`` of a new, unseen configuration (None unless RUNNING)."""
        for _ in range(_MAX_COLLISIONS):
            response = self.populate_space(trial_id)
            if response["status"] != TrialStatus.RUNNING:
                return response["status"], None
            hps = self._hyperparameters_for(response["values"])
            if not self.is_tried(hps.values):
                return TrialStatus.RUNNING, hps
        values = self.random_values()
        if values is None:
            return TrialStatus.STOPPED, None
        return TrialStatus.RUNNING, self._hyperparameters_for(values)

    def _hyperparameters_for(self, values):
        return configuration(self.hyperparameters, values)

    def _enqueued_configuration(self, values):
        space = self.hyperparameters
        unknown = [
            name for name in values
            if schedule.is_scheduling(name) or (space.space and not space.is_defined(name))
        ]
        if unknown:
            known = [hp.name for hp in space.space]
            raise InvalidSpaceError(
                f"Cannot enqueue {values!r}: {unknown} not in the search space, which defines "
                f"{known}. Enqueue values of defined hyperparameters ('tuner/...' names are the "
                "oracle's)."
            )
        try:
            return self._hyperparameters_for(values)
        except InvalidSpaceError as exc:
            raise InvalidSpaceError(f"Cannot enqueue {values!r}: {exc}") from None

    def _enqueued_key(self, values):
        # Values of hyperparameters not defined yet are kept as given.
        return {**values, **self._enqueued_configuration(values).values}

    def _next_enqueued(self):
        """The hyperparameters of the first queued configuration not tried yet, or None."""
        while self.ledger.queued:
            values = self.ledger.next_enqueued()
            try:
                hps = self._enqueued_configuration(values)
            except InvalidSpaceError as exc:
                logger.warning("Skipping an enqueued configuration: %s", exc)
                continue
            if not self.ledger.is_tried(hps.values):
                return hps
        return None

    def _random_unseen(self, space):
        if space_size(space) > _MAX_ENUMERATION:
            return None
        unseen = [v for v in iter_grid(space) if not self.is_tried(v)]
        if not unseen:
            return None
        return unseen[self.rng.integers(len(unseen))]


def _check_unchanged(recorded, given, storage):
    if recorded.get_config() == given.get_config():
        return
    if storage.project_dir is None and not storage.shared:  # in memory: an earlier trial of this search defined it
        raise ProjectError(
            f"The hyperparameter {given.name!r} is {given!r} here, but an earlier trial defined it "
            f"as {recorded!r}, which is the definition the trials are drawn from. A definition must "
            "stay the same from trial to trial: give the other one its own name, or define it in a "
            "conditional_scope."
        )
    raise ProjectError(
        f"The hyperparameter {given.name!r} is {given!r} here, but {recorded!r} in the project "
        f"{storage.location!r}: its trials were drawn from the old definition. Use "
        "another project_name, or pass `overwrite=True` to start afresh."
    )


def _check_count(name, value, minimum, optional=False):
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        allowed = f"an integer >= {minimum}" + (" or None" if optional else "")
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")
