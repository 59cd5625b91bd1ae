"""BaseTuner: the search loop, framework-agnostic."""

import collections
import concurrent.futures.process
import contextlib
import logging
import os
import time
import warnings

from tunecore import executors, plugins
from tunecore.errors import InvalidArgumentError
from tunecore.hypermodel import as_hypermodel
from tunecore.hyperparameters import HyperParameters
from tunecore.objective import DEFAULT_OBJECTIVE, to_metrics
from tunecore.oracles.base import Oracle
from tunecore.signatures import accepts_keyword
from tunecore.storage import JournalStorage, paths
from tunecore.trial import TrialStatus
from tunecore.tuners import summary
from tunecore.tuners.outcome import TrialOutcome, TrialRunner, WorkerOracle
from tunecore.tuners.progress import Progress

logger = logging.getLogger("tunecore")

_MAX_DISCOVERY_BUILDS = 100
_REPORT_POLL_S = 0.05
_LATE_REPORTS_S = 10.0


class BaseTuner:
    """Runs a search: asks the oracle for trials, runs them, tells it how they ended.

    Subclasses override :meth:`run_trial` (and, to keep models, :meth:`save_model`
    and :meth:`load_model`). ``run_trial`` may report intermediate metrics with
    ``self.oracle.report(trial.trial_id, step, **metrics)`` (or Keras Tuner's
    ``self.oracle.update_trial``), wherever the trial runs, and returns a float
    (the objective), a dict of metrics, a list of those (averaged), or None. As
    in Keras Tuner, the returned value is recorded only if the trial did not
    report the objective itself.

    Ending a trial, closing the project and the plugin hooks happen whether or
    not an override of :meth:`on_trial_end` or :meth:`on_search_end` calls
    ``super()``: those are for users to extend.

    Args:
        oracle: An :class:`~tunecore.oracles.Oracle` instance.
        hypermodel: A :class:`~tunecore.HyperModel` or a function ``build(hp)``.
        directory: Parent folder of the project (default: the working directory).
        project_name: The project's folder (default ``"untitled_project"``).
        logger: Accepted for Keras Tuner compatibility; unused.
        overwrite: Delete an existing project instead of resuming it.
        tuner_id: Name of this tuner in the trials it runs.
        max_retries_per_trial: Overrides the oracle's setting when given.
        max_consecutive_failed_trials: Overrides the oracle's setting when given.
        storage: Where the trials are kept: a :class:`~tunecore.storage.Storage`
            (default: a journal in ``directory/project_name``).
    """

    #: Whether to build the hypermodel before the search to discover conditional branches.
    discover_space_by_building = True

    def __init__(
        self,
        oracle,
        hypermodel=None,
        directory=None,
        project_name=None,
        logger=None,
        overwrite=False,
        tuner_id=None,
        max_retries_per_trial=None,
        max_consecutive_failed_trials=None,
        storage=None,
        **kwargs,
    ):
        if kwargs:
            raise ValueError(
                f"Unrecognized arguments {sorted(kwargs)} for {type(self).__name__}. Arguments "
                "meant for training go to search(...)."
            )
        if not isinstance(oracle, Oracle):
            raise InvalidArgumentError(
                f"Expected `oracle` argument to be an instance of `Oracle` (tunecore.oracles...); "
                f"got {oracle!r}."
            )
        if logger is not None:
            warnings.warn(
                "The `logger` argument is deprecated and unused; use the plugin hooks "
                "(tunecore.hookimpl) to record trials.", DeprecationWarning, stacklevel=2,
            )
        self.oracle = oracle
        self.hypermodel = as_hypermodel(hypermodel)
        self.directory = directory or "."
        self.project_name = paths.check_project_name(project_name or "untitled_project")
        self.logger = logger
        self.tuner_id = tuner_id or "tuner0"
        if max_retries_per_trial is not None:
            oracle.max_retries_per_trial = max_retries_per_trial
        if max_consecutive_failed_trials is not None:
            oracle.max_consecutive_failed_trials = max_consecutive_failed_trials
        self.oracle.open(JournalStorage(self.project_dir) if storage is None else storage, overwrite=overwrite)
        # Keras Tuner builds the hypermodel here, so that the space is known (and shown) at once.
        self._populate_initial_space()

    @property
    def project_dir(self):
        return os.path.join(self.directory, self.project_name)

    # The search --------------------------------------------------------------

    def search(self, *fit_args, executor=None, max_parallel_trials=None, **fit_kwargs):
        """Run trials until the oracle stops; arguments go to :meth:`run_trial`.

        Args:
            *fit_args: Passed to ``run_trial`` (and on to ``hypermodel.fit``).
            executor: Where trials run: None (this process), ``"process"`` (a
                local process pool), a registered name such as ``"dask"``, or an
                :class:`~tunecore.executors.Executor`.
            max_parallel_trials: Trials in flight at once.
            **fit_kwargs: Passed to ``run_trial``; ``verbose=0`` silences progress
                (and reaches ``run_trial`` only if it accepts ``verbose``).
        """
        verbose = fit_kwargs.get("verbose", 1)
        if not accepts_keyword(self.run_trial, "verbose"):
            fit_kwargs.pop("verbose", None)
        pool = executors.create(executor, max_parallel_trials)
        hook = plugins.get_plugin_manager().hook
        try:
            self.on_search_begin()
            hook.tunecore_search_begin(tuner=self)
            progress = Progress(self.oracle, verbose)
            try:
                self._run(pool, TrialRunner(self, fit_args, fit_kwargs), progress)
            finally:
                progress.close()
                try:
                    self.on_search_end()
                finally:
                    hook.tunecore_search_end(tuner=self)
        finally:
            self.oracle.close()

    def _run(self, pool, runner, progress):
        running = {}
        try:
            pool.start(runner)
            self._loop(pool, running, progress)
        except BaseException:
            pool.shutdown(cancel=True)
            for trial in running.values():
                logger.warning("Trial %s was interrupted; it will run again on resume.", trial.trial_id)
            self.oracle.ledger.requeue_running()
            raise
        pool.shutdown()

    def _loop(self, pool, running, progress):
        hook = plugins.get_plugin_manager().hook
        received = collections.Counter()
        while True:
            while len(running) < pool.capacity:
                trial = self.oracle.ask(self.tuner_id)
                if trial.status == TrialStatus.IDLE and not running:
                    logger.warning("The oracle is waiting (IDLE) with no trial running; the search stops.")
                if trial.status != TrialStatus.RUNNING:
                    break
                self.on_trial_begin(trial)
                hook.tunecore_trial_begin(tuner=self, trial=trial)
                received[trial.trial_id] = 0
                running[pool.submit(trial)] = trial
                progress.update(len(running))
            if not running:
                return
            done, _ = pool.wait(list(running), timeout=_REPORT_POLL_S if pool.remote else None)
            self._deliver_reports(pool, received)
            for future in done:
                trial = running.pop(future)
                outcome = self._collect(future, trial)
                self._await_reports(pool, received, outcome)
                self._finish(trial, outcome)
                self.on_trial_end(trial)
                hook.tunecore_trial_end(tuner=self, trial=trial)
                progress.update(len(running), finished_trial=trial)
                if outcome.fatal:
                    raise outcome.fatal(f"Trial {trial.trial_id} stopped the search:\n{outcome.message}")

    def _deliver_reports(self, pool, received):
        """Hand the workers' reports to the oracle as they arrive; pass on its STOPPED."""
        for trial_id, step, metrics in pool.reports():
            if trial_id not in self.oracle.ongoing_trials:
                continue  # from an attempt that was abandoned
            received[trial_id] += 1
            if self.oracle.report(trial_id, step, **metrics) == TrialStatus.STOPPED:
                pool.stop(trial_id)

    def _await_reports(self, pool, received, outcome):
        """Deliver every report a finished trial sent before ending it (a channel may lag its result)."""
        deadline = time.monotonic() + _LATE_REPORTS_S
        while received[outcome.trial_id] < outcome.reports and time.monotonic() < deadline:
            time.sleep(0.005)
            self._deliver_reports(pool, received)
        if received[outcome.trial_id] < outcome.reports:
            logger.warning(
                "Trial %s sent %d reports; %d arrived.", outcome.trial_id, outcome.reports,
                received[outcome.trial_id],
            )

    def _collect(self, future, trial):
        try:
            return future.result()
        except Exception as exc:
            message = f"The trial's worker failed: {type(exc).__name__}: {exc}"
            if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
                message += (
                    " If the worker could not start, check that the script guards its "
                    "entry point with `if __name__ == \"__main__\":`."
                )
            return TrialOutcome(trial.trial_id, TrialStatus.FAILED, message=message)

    def _finish(self, trial, outcome):
        """End the trial in the oracle: always, whatever the hooks do."""
        if outcome.hyperparameters is not None:
            trial.hyperparameters = outcome.hyperparameters
        self.oracle.update_space(trial.hyperparameters)
        objective = self.oracle.objective
        reported = any(objective.has_value(trial.metrics.at_step(step)) for step in trial.metrics.steps())
        self.oracle.tell(
            trial.trial_id,
            None if reported else outcome.metrics,
            status=outcome.status,
            message=outcome.message,
            retryable=outcome.retryable,
        )

    def _populate_initial_space(self):
        if self.hypermodel is None:
            return
        if self.oracle.trials:
            self._check_definitions()
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)
        if self.discover_space_by_building:
            self._discover_conditional_space()

    def _check_definitions(self):
        """On resume, build once on a fresh space: the hypermodel's definitions must be the project's."""
        fresh = HyperParameters()
        try:
            self.hypermodel.declare_hyperparameters(fresh)
            self.hypermodel.build(fresh)
        except Exception as exc:
            logger.debug("Checking the definitions stopped: build raised %r", exc)
        self.oracle.check_definitions(fresh)

    def _discover_conditional_space(self):
        """Build with each value of every condition's parent, to meet every branch.

        Keras Tuner does the same before a search, so that a model-based oracle
        sees the whole space up front. A build that raises ends the discovery;
        the trials will report the error.
        """
        explored = set()
        hp = self.oracle.get_space()
        for _ in range(_MAX_DISCOVERY_BUILDS):
            try:
                self.hypermodel.build(hp)
            except Exception as exc:
                logger.debug("Space discovery stopped: build raised %r", exc)
                return
            self.oracle.update_space(hp)
            branch = self._unexplored_branch(explored)
            if branch is None:
                return
            explored.add(branch)
            hp = self.oracle.get_space()
            hp.assign(*branch)
            hp.ensure_active_values()

    def _unexplored_branch(self, explored):
        space = self.oracle.hyperparameters
        parents = []
        for hp in space.space:
            for condition in hp.conditions:
                if condition.name not in parents:
                    parents.append(condition.name)
        for name in parents:
            parent = space.get_hyperparameter(name)
            for value in parent.grid_values():
                if (name, value) not in explored:
                    return (name, value)
        return None

    # Overridable steps (Keras Tuner's) --------------------------------------

    def run_trial(self, trial, *fit_args, **fit_kwargs):
        """Evaluate one trial: by default build the hypermodel and call its ``fit``."""
        if self.hypermodel is None:
            raise NotImplementedError(
                f"{type(self).__name__} has no hypermodel: override run_trial(trial, ...)."
            )
        hp = trial.hyperparameters
        model = self.hypermodel.build(hp)
        if not accepts_keyword(self.hypermodel.fit, "verbose"):
            fit_kwargs.pop("verbose", None)
        return self.hypermodel.fit(hp, model, *fit_args, **fit_kwargs)

    def trial_scope(self):
        """A context entered around each ``run_trial`` where it runs (driver or worker).

        Frameworks with process-wide state (Keras) hold a lock here, so that
        trials sharing a process (a threaded Dask worker) run one at a time.
        """
        return contextlib.nullcontext()

    def results_to_metrics(self, results):
        """What ``run_trial`` returned, as a dict of metrics (None: nothing to add).

        Numbers, dicts and lists of them are Keras Tuner's forms; a framework's
        tuner extends this for its own results (Keras ``History`` objects).
        """
        objective = self.oracle.objective
        own = type(self).run_trial.__module__.split(".")[0] in ("tunecore", "tunecore_keras", "tunecore_sklearn")
        source = "HyperModel.fit()" if own else "Tuner.run_trial()"
        try:
            metrics = to_metrics(results, objective)
        except TypeError as exc:
            raise TypeError(
                f"Expected the return value of {source} to be one of float, dict, "
                f"keras.callbacks.History, or a list of one of these types; received {results!r} "
                f"of type {type(results).__name__}. ({exc})"
            ) from None
        if metrics is not None and objective.name == DEFAULT_OBJECTIVE and objective.name not in metrics:
            raise TypeError(
                f"If the objective is not specified, expected the return value of {source} to be "
                f"a single float (the value to minimise); received {results!r}. Name the metric to "
                "optimise with objective=..."
            )
        return metrics

    def on_search_begin(self):
        """Called when the search starts."""

    def on_search_end(self):
        """Called when the search ends."""

    def on_trial_begin(self, trial):
        """Called before a trial runs."""

    def on_trial_end(self, trial):
        """Called when a trial has ended in the oracle (``trial.status`` says how)."""

    def save_model(self, trial_id, model, step=0):
        """Save the model of a trial; subclasses that keep models implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not save models.")

    def load_model(self, trial):
        """Load the model of a trial; subclasses that keep models implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} does not keep models: use get_best_hyperparameters() "
            "and build the model yourself, or implement load_model(trial)."
        )

    # Results -----------------------------------------------------------------

    def get_best_models(self, num_models=1):
        """The models of the best trials, best first."""
        return [self.load_model(trial) for trial in self.oracle.get_best_trials(num_models)]

    def get_best_hyperparameters(self, num_trials=1):
        """The :class:`HyperParameters` of the best trials, best first."""
        return [trial.hyperparameters for trial in self.oracle.get_best_trials(num_trials)]

    def results_summary(self, num_trials=10):
        """Print the best trials."""
        print(summary.results_summary(self.oracle, self.oracle.ledger.storage.project_dir, num_trials))

    def search_space_summary(self, extended=False):
        """Print the search space (known from the constructor on, as in Keras Tuner)."""
        print(summary.search_space_summary(self.oracle.hyperparameters, extended))

    def get_trial_dir(self, trial_id):
        """``directory/project_name/trial_<trial_id>``, created if needed (checked to stay inside the project)."""
        path = paths.trial_dir(self.project_dir, trial_id)
        os.makedirs(path, exist_ok=True)
        return path

    def save(self):
        """Keras Tuner's; nothing to do: every change is in the project's journal as it happens."""
        self.oracle.save()

    def reload(self):
        """Read the project again from its journal (Keras Tuner's ``tuner.reload()``)."""
        self.oracle.reload()

    @property
    def remaining_trials(self):
        return self.oracle.remaining_trials

    def get_state(self):
        return {"tuner_id": self.tuner_id}

    def set_state(self, state):
        self.tuner_id = state["tuner_id"]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["oracle"] = WorkerOracle(self.oracle)
        return state
