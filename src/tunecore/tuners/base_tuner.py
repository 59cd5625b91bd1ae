"""BaseTuner: the search loop, framework-agnostic."""

import concurrent.futures.process
import contextlib
import inspect
import logging
import os

from tunecore import executors, plugins
from tunecore.errors import FatalError
from tunecore.hypermodel import as_hypermodel
from tunecore.oracles.base import Oracle
from tunecore.trial import TrialStatus
from tunecore.tuners import summary
from tunecore.tuners.outcome import ReportingOracle, TrialOutcome, TrialRunner, convert_results
from tunecore.tuners.progress import Progress

logger = logging.getLogger("tunecore")

_MAX_DISCOVERY_BUILDS = 100


def accepts_keyword(fn, name):
    """Whether ``fn`` takes a keyword argument ``name`` (or ``**kwargs``)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


class BaseTuner:
    """Runs a search: asks the oracle for trials, runs them, reports back.

    Subclasses override :meth:`run_trial` (and, to keep models, :meth:`save_model`
    and :meth:`load_model`). ``run_trial`` may return a float (the objective), a
    dict of metrics containing the objective, a list of those (averaged), or
    None after reporting through ``self.oracle.update_trial`` itself.

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
    ):
        if not isinstance(oracle, Oracle):
            raise TypeError(f"oracle must be a tunecore Oracle instance; got {oracle!r}.")
        self.oracle = oracle
        self.hypermodel = as_hypermodel(hypermodel)
        self.directory = directory or "."
        self.project_name = project_name or "untitled_project"
        self.logger = logger
        self.tuner_id = tuner_id or "tuner0"
        if max_retries_per_trial is not None:
            oracle.max_retries_per_trial = max_retries_per_trial
        if max_consecutive_failed_trials is not None:
            oracle.max_consecutive_failed_trials = max_consecutive_failed_trials
        self._persist(overwrite)

    def _persist(self, overwrite):
        self.oracle._set_project_dir(self.project_dir, overwrite=overwrite)

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
        self._populate_initial_space()
        self.oracle._requeue_interrupted()
        self.on_search_begin()
        hook.tunecore_search_begin(tuner=self)
        progress = Progress(self.oracle, verbose)
        running = {}
        try:
            pool.start(TrialRunner(self, fit_args, fit_kwargs))
            self._loop(pool, running, progress)
        except BaseException:
            pool.shutdown(cancel=True)
            for trial in running.values():
                logger.warning("Trial %s was interrupted; it will run again on resume.", trial.trial_id)
            raise
        else:
            pool.shutdown()
        finally:
            progress.close()
            self.on_search_end()
            hook.tunecore_search_end(tuner=self)

    def _loop(self, pool, running, progress):
        hook = plugins.get_plugin_manager().hook
        while True:
            while len(running) < pool.capacity:
                trial = self.oracle.create_trial(self.tuner_id)
                if trial.status == TrialStatus.IDLE and not running:
                    logger.warning("The oracle is waiting (IDLE) with no trial running; the search stops.")
                if trial.status != TrialStatus.RUNNING:
                    break
                self.on_trial_begin(trial)
                hook.tunecore_trial_begin(tuner=self, trial=trial)
                running[pool.submit(trial)] = trial
                progress.update(len(running))
            if not running:
                return
            done, _ = pool.wait(list(running))
            for future in done:
                trial = running.pop(future)
                outcome = self._collect(future, trial)
                self._apply(trial, outcome, pool.remote)
                self.on_trial_end(trial)
                hook.tunecore_trial_end(tuner=self, trial=trial)
                progress.update(len(running), finished_trial=trial)
                if outcome.fatal:
                    raise FatalError(f"Trial {trial.trial_id} stopped the search:\n{outcome.message}")

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

    def _apply(self, trial, outcome, remote):
        if outcome.hyperparameters is not None:
            trial.hyperparameters = outcome.hyperparameters
        self.oracle.update_space(trial.hyperparameters)
        for step, metrics in outcome.updates:
            self.oracle.update_trial(trial.trial_id, metrics, step=step)
        if outcome.metrics:
            step = max(trial.metrics.steps(), default=0)
            self.oracle.update_trial(trial.trial_id, outcome.metrics, step=step)
        trial.status = outcome.status
        trial.message = outcome.message
        trial.retryable = outcome.retryable

    def _populate_initial_space(self):
        if self.hypermodel is None:
            return
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)
        if self.discover_space_by_building:
            self._discover_conditional_space()

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

    def _trial_scope(self):
        """A context entered around each ``run_trial`` where it runs (driver or worker).

        Frameworks with process-wide state (Keras) hold a lock here, so that
        trials sharing a process (a threaded Dask worker) run one at a time.
        """
        return contextlib.nullcontext()

    def _convert_results(self, results):
        return convert_results(results, self.oracle.objective)

    def on_search_begin(self):
        """Called when the search starts."""

    def on_search_end(self):
        """Called when the search ends."""

    def on_trial_begin(self, trial):
        """Called before a trial runs."""

    def on_trial_end(self, trial):
        """Called when a trial has run; ends it in the oracle (call super when overriding)."""
        self.oracle.end_trial(trial)

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
        project_dir = None if self.oracle._storage is None else self.project_dir
        print(summary.results_summary(self.oracle, project_dir, num_trials))

    def search_space_summary(self, extended=False):
        """Print the search space."""
        print(summary.search_space_summary(self.oracle.hyperparameters, extended))

    def get_trial_dir(self, trial_id):
        return os.path.join(self.project_dir, f"trial_{trial_id}")

    @property
    def remaining_trials(self):
        return self.oracle.remaining_trials

    def get_state(self):
        return {"tuner_id": self.tuner_id}

    def set_state(self, state):
        self.tuner_id = state["tuner_id"]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["oracle"] = ReportingOracle(self.oracle)
        return state
