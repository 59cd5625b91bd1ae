"""BaseTuner: the search loop, framework-agnostic."""

import collections
import contextlib
import copy
import difflib
import inspect
import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tunecore import callbacks as callbacks_module
from tunecore import distribute, executors, plugins, results
from tunecore.executors import Executor
from tunecore.errors import FatalRuntimeError, FatalTypeError, InvalidArgumentError, ProjectError
from tunecore.hypermodel import HyperModel, as_hypermodel
from tunecore.hyperparameters import HyperParameters
from tunecore.objective import DEFAULT_OBJECTIVE, to_metrics
from tunecore.oracles.base import Oracle
from tunecore.signatures import accepts_keyword, check_keywords
from tunecore.storage import InMemoryStorage, JournalStorage, RecordedStorage, Storage, paths
from tunecore.trial import Trial, TrialStatus
from tunecore.tuners import summary
from tunecore.tuners.outcome import TrialOutcome, TrialRunner, WorkerOracle
from tunecore.tuners.progress import Progress

if TYPE_CHECKING:
    import pandas

logger = logging.getLogger("tunecore")

_MAX_DISCOVERY_BUILDS = 100
_REPORT_POLL_S = 0.05
_LATE_REPORTS_S = 10.0
_ASK_SHARE = 0.1  # suggestions for every worker may take this share of a trial before asking ahead


class BaseTuner:
    """Runs a search: asks the oracle for trials, runs them, tells it how they ended.

    Subclasses override :meth:`run_trial` (and, to keep models, :meth:`save_model`
    and :meth:`load_model`). ``run_trial`` may report intermediate metrics with
    ``self.oracle.report(trial.trial_id, step, **metrics)`` wherever the trial
    runs (Keras Tuner's ``self.oracle.update_trial`` works too, deprecated as in
    Keras Tuner: it skips the pruner), and returns a float
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
        tuner_id: Name of this tuner in the trials it runs (default:
            ``KERASTUNER_TUNER_ID``, else ``"tuner0"``).
        max_retries_per_trial: Overrides the oracle's setting when given.
        max_consecutive_failed_trials: Overrides the oracle's setting when given.
        storage: Where the trials are kept: a :class:`~tunecore.storage.Storage`
            (default: a journal in ``directory/project_name``).

    With Keras Tuner's ``KERASTUNER_*`` environment variables set, the tuner
    takes part in a distributed search on Dask (:mod:`tunecore.distribute`): a
    chief keeps the project and its ``search()`` hands trials to the others,
    whose ``search()`` runs them.
    """

    #: Whether to build the hypermodel before the search to discover conditional branches.
    discover_space_by_building = True

    def __init__(
        self,
        oracle: Oracle,
        hypermodel: HyperModel | Callable[[HyperParameters], Any] | None = None,
        directory: str | os.PathLike[str] | None = None,
        project_name: str | None = None,
        logger: Any = None,
        overwrite: bool = False,
        tuner_id: str | None = None,
        max_retries_per_trial: int | None = None,
        max_consecutive_failed_trials: int | None = None,
        storage: Storage | None = None,
        **kwargs: Any,
    ) -> None:
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
        # A HyperModel or None; Any until the subclasses that build with it check for None.
        self.hypermodel: Any = as_hypermodel(hypermodel)
        self.directory = directory or "."
        self.project_name = paths.check_project_name(project_name or "untitled_project")
        self.logger = logger
        self._role = distribute.role()
        self.tuner_id = tuner_id or (self._role.tuner_id if self._role else "tuner0")
        if max_retries_per_trial is not None:
            oracle.max_retries_per_trial = max_retries_per_trial
        if max_consecutive_failed_trials is not None:
            oracle.max_consecutive_failed_trials = max_consecutive_failed_trials
        self._stop_reason: str | None = None
        self._limits = _Limits(None, None, False, None)
        if self._role is not None and not self._role.is_chief:
            storage, overwrite = InMemoryStorage(), False  # the chief keeps the project
        self.oracle.open(JournalStorage(self.project_dir) if storage is None else storage, overwrite=overwrite)
        # Keras Tuner builds the hypermodel here, so that the space is known (and shown) at once.
        self._populate_initial_space()

    @property
    def project_dir(self) -> str:
        return os.path.join(self.directory, self.project_name)

    # The search --------------------------------------------------------------

    def search(self, *fit_args: Any, executor: Any = None, max_parallel_trials: int | None = None,
               timeout: float | None = None, trial_timeout: float | None = None,
               callbacks: callbacks_module.Callback | Sequence[Any] | None = None,
               cancel_running: bool = False, ask_ahead: int | None = None,
               initial_points: Sequence[dict[str, Any]] | None = None, **fit_kwargs: Any) -> None:
        """Run trials until the oracle stops (or a stop condition); other arguments go to :meth:`run_trial`.

        Args:
            *fit_args: Passed to ``run_trial`` (and on to ``hypermodel.fit``).
            executor: Where trials run: None (this process), ``"process"`` (a
                local process pool), a registered name such as ``"dask"``, or an
                :class:`~tunecore.executors.Executor`.
            max_parallel_trials: Trials in flight at once.
            timeout: Seconds after which no new trial starts; the search then
                ends as ``cancel_running`` says.
            trial_timeout: Seconds a trial may run. A trial over its limit is
                stopped and FAILED with a message saying so (and retried per
                ``max_retries_per_trial``). In a process pool or on Dask it is
                ended at once and its worker replaced; in this process, where
                nothing can be interrupted safely, at its first report past the
                limit.
            callbacks: :class:`tunecore.callbacks.Callback` objects for this
                search; other callbacks in the list (Keras ones) go to ``fit``.
            cancel_running: What a stopped search (``timeout``, ``tuner.stop()``)
                does with the trials still running in workers: let them finish
                (False) or abandon them (True): they run again when the search
                resumes, like trials interrupted by Ctrl-C. A trial running in
                the driver's own process always finishes.
            ask_ahead: With workers elsewhere (a process pool, Dask), how many
                new trials to ask the oracle for while every worker is busy, so
                that a freed worker starts its next trial at once instead of
                waiting for a suggestion. They are suggested with the trials
                running then as pending, so the model sees fewer results.
                Default: one per worker while suggesting a trial for every
                worker takes more than a tenth of a trial's duration (many
                workers, quick trials, a model-based oracle), else none.
            initial_points: Configurations to evaluate first, as ``{name: value}``
                dicts: each goes to :meth:`Oracle.enqueue` (checked against the
                space; one already tried or queued is skipped, so passing the
                same list on resume is harmless).
            **fit_kwargs: Passed to ``run_trial``; ``verbose=0`` silences progress
                (and reaches ``run_trial`` only if it accepts ``verbose``).

        Raises:
            InvalidArgumentError: ``run_trial`` (or the function tuned, or the
                hypermodel's ``fit``) does not accept one of ``fit_kwargs``;
                checked before the first trial.
        """
        _check_seconds("timeout", timeout)
        _check_seconds("trial_timeout", trial_timeout)
        search_callbacks, others = callbacks_module.split(callbacks)
        if others is not None and (others or not search_callbacks):
            fit_kwargs["callbacks"] = others
        verbose = fit_kwargs.get("verbose", 1)
        if not accepts_keyword(self.run_trial, "verbose"):
            fit_kwargs.pop("verbose", None)
        self._check_fit_kwargs(fit_kwargs)
        role = self._role
        if role is not None and executor is not None:
            raise InvalidArgumentError(
                f"KERASTUNER_ORACLE_IP is set, so this search is distributed over the tuners that "
                f"connect to {role.address} (Keras Tuner's mode); executor={executor!r} cannot be "
                "used with it. Unset the KERASTUNER_* variables or leave executor out."
            )
        if role is not None and not role.is_chief:
            self._serve_chief(role, TrialRunner(copy.copy(self), fit_args, fit_kwargs))
            return
        pool = distribute.chief_executor(role) if role else executors.create(executor, max_parallel_trials)
        manager = plugins.get_plugin_manager()
        dispatcher = callbacks_module.Dispatcher(self, search_callbacks)
        manager.pm.register(dispatcher)
        self._stop_reason = None
        if ask_ahead is not None and (isinstance(ask_ahead, bool) or not isinstance(ask_ahead, int) or ask_ahead < 0):
            raise InvalidArgumentError(f"ask_ahead must be an integer >= 0 or None; got {ask_ahead!r}.")
        self._limits = _Limits(timeout, trial_timeout, cancel_running, ask_ahead)
        try:
            for values in initial_points or ():
                self.oracle.enqueue(values)
            self.on_search_begin()
            manager.hook.tunecore_search_begin(tuner=self)
            progress = Progress(self.oracle, verbose)
            try:
                self._run(pool, TrialRunner(self, fit_args, fit_kwargs), progress)
            finally:
                progress.close()
                try:
                    self.on_search_end()
                finally:
                    manager.hook.tunecore_search_end(tuner=self)
        finally:
            manager.pm.unregister(dispatcher)
            self.oracle.close()

    def _serve_chief(self, role: distribute.Role, runner: TrialRunner) -> None:
        """A distributed worker's search: run the chief's trials, then read its results."""
        logger.info("Tuner %r runs trials for the chief at %s.", self.tuner_id, role.address)
        how = distribute.serve(role, runner)
        if how == "lost":
            raise FatalRuntimeError(
                f"Tuner {self.tuner_id!r} lost the chief at {role.address} before its search ended."
            )
        if how == "interrupted":
            raise FatalRuntimeError(
                f"The chief's search at {role.address} was interrupted before it ended; start the "
                "chief again without overwrite=True to resume it."
            )
        try:  # read-only: the chief's trials and space, for get_best_models() and results_summary()
            self.oracle.hyperparameters = HyperParameters()
            self.oracle.ledger.storage = RecordedStorage(self.project_dir)
            self.oracle.reload()
        except ProjectError as exc:
            logger.warning("The chief's search ended; its results are not readable here: %s", exc)

    def stop(self, reason: str | None = None) -> None:
        """End the search: no new trial starts (safe from a callback or another thread).

        The trials still running finish, or are abandoned with
        ``search(cancel_running=True)``.
        """
        self._stop_reason = reason or "tuner.stop() was called"

    def _run(self, pool: Executor, runner: TrialRunner, progress: Progress) -> None:
        running: dict[Any, Trial] = {}
        ready: collections.deque[Trial] = collections.deque()  # asked for ahead, not started
        self._asked_out = False
        try:
            pool.start(runner)
            self._loop(pool, running, ready, progress)
            if running:  # stopped with cancel_running: as an interruption
                self._abandon(pool, running)
                return
        except BaseException:
            self._abandon(pool, running)
            raise
        finally:
            unstarted = [t.trial_id for t in ready if t.trial_id in self.oracle.ongoing_trials]
            self.oracle.ledger.requeue_running(unstarted)
        pool.shutdown()

    def _ask_ahead(self, pool: Executor) -> int:
        """How many trials to have ready while every worker is busy (see ``search(ask_ahead=)``)."""
        limits = self._limits
        if not pool.remote or self._asked_out:
            return 0
        if limits.ask_ahead is not None:
            return limits.ask_ahead
        if limits.ask_seconds is None or limits.trial_seconds is None:
            return 0
        serialises = pool.capacity * limits.ask_seconds > _ASK_SHARE * limits.trial_seconds
        return pool.capacity if serialises else 0

    def _ask(self) -> Trial:
        start = time.perf_counter()
        trial = self.oracle.ask(self.tuner_id)
        self._limits.ask_seconds = _average(self._limits.ask_seconds, time.perf_counter() - start)
        return trial

    def _abandon(self, pool: Executor, running: dict[Any, Trial]) -> None:
        pool.shutdown(cancel=True)
        for trial in running.values():
            logger.warning("Trial %s was interrupted; it will run again on resume.", trial.trial_id)
        self.oracle.ledger.requeue_running()

    def _loop(self, pool: Executor, running: dict[Any, Trial], ready: collections.deque[Trial],
              progress: Progress) -> None:
        hook = plugins.get_plugin_manager().hook
        received: collections.Counter[str] = collections.Counter()
        limits = self._limits
        started: dict[Any, float] = {}
        while True:
            self._check_stop(limits)
            while len(running) < pool.capacity and self._stop_reason is None:
                trial = ready.popleft() if ready else self._ask()
                if trial.status == TrialStatus.IDLE and not running:
                    logger.warning("The oracle is waiting (IDLE) with no trial running; the search stops.")
                if trial.status != TrialStatus.RUNNING:
                    break
                self.on_trial_begin(trial)
                hook.tunecore_trial_begin(tuner=self, trial=trial)
                received[trial.trial_id] = 0
                if limits.trial_timeout is not None:
                    self.oracle.ledger.set_deadline(trial.trial_id, limits.trial_timeout)
                future = pool.submit(trial)
                running[future], started[future] = trial, time.monotonic()
                progress.update(len(running))
                self._check_stop(limits)
            if not running or (self._stop_reason is not None and limits.cancel_running):
                return
            poll = pool.remote or limits.timeout is not None or limits.trial_timeout is not None
            ahead = len(ready) < self._ask_ahead(pool) and self._stop_reason is None and len(running) >= pool.capacity
            done, _ = pool.wait(list(running), timeout=0 if ahead else _REPORT_POLL_S if poll else None)
            self._deliver_reports(pool, received)
            if ahead and not done:  # every worker is busy: prepare the next trial meanwhile
                trial = self._ask()
                if trial.status == TrialStatus.RUNNING:
                    ready.append(trial)
                else:
                    self._asked_out = True
                continue
            ended = [(future, self._collect(pool, future, running[future])) for future in done]
            ended += self._overdue(pool, running, started, done)
            for future, outcome in ended:
                trial = running.pop(future)
                limits.trial_seconds = _average(limits.trial_seconds, time.monotonic() - started.pop(future))
                if not outcome.killed:
                    self._await_reports(pool, received, outcome)
                self._finish(trial, outcome)
                self.on_trial_end(trial)
                hook.tunecore_trial_end(tuner=self, trial=trial)
                progress.update(len(running), finished_trial=trial)
                self._asked_out = False  # an ended trial may give the oracle something new to suggest
                if outcome.fatal:
                    raise outcome.fatal(f"Trial {trial.trial_id} stopped the search:\n{outcome.message}")

    def _check_stop(self, limits: "_Limits") -> None:
        if self._stop_reason is None and limits.expired():
            self._stop_reason = f"timeout={limits.timeout:g}s reached"
        if self._stop_reason is not None and not limits.announced:
            limits.announced = True
            what = "abandoning" if limits.cancel_running else "letting finish"
            logger.info("The search stops (%s); %s the running trials.", self._stop_reason, what)

    def _overdue(self, pool: Executor, running: dict[Any, Trial], started: dict[Any, float],
                 done: set[Any]) -> list[tuple[Any, TrialOutcome]]:
        """End the trials over ``trial_timeout`` that the executor can end at once."""
        limit = self._limits.trial_timeout
        if limit is None:
            return []
        ended = []
        now = time.monotonic()
        for future, trial in running.items():
            if future in done or now - started[future] <= limit:
                continue
            if pool.kill(future):  # an executor that cannot leaves it to stop at its next report
                message = f"The trial ran longer than trial_timeout={limit:g}s and was stopped; its worker was replaced."
                outcome = TrialOutcome(trial.trial_id, TrialStatus.FAILED, message=message)
                outcome.killed = True
                ended.append((future, outcome))
        return ended

    def fit_target(self) -> Callable[..., Any] | None:
        """The callable that finally receives ``search()``'s keyword arguments, or None if unknown.

        ``search`` checks the arguments against its signature before the first
        trial, so a misspelt option fails once, by name, instead of failing
        every trial. Tuners whose ``run_trial`` hands them on (to a model's
        ``fit``, to a function) return that callable.
        """
        if type(self).run_trial is not BaseTuner.run_trial:
            return self.run_trial
        if self.hypermodel is not None:
            return self.hypermodel.fit
        return None

    def _check_fit_kwargs(self, fit_kwargs):
        target = self.fit_target()
        names = [name for name in fit_kwargs if name != "verbose"]  # dropped where not accepted
        unknown = check_keywords(target, names) if target is not None else []
        if not unknown:
            return
        name = unknown[0]
        options = [p for p in inspect.signature(BaseTuner.search).parameters if p not in ("self", "fit_args", "fit_kwargs")]
        close = difflib.get_close_matches(name, options, n=1)
        hint = f" Did you mean the search option {close[0]!r}?" if close else ""
        if not close:
            close = difflib.get_close_matches(name, list(inspect.signature(target).parameters), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidArgumentError(
            f"search() got the argument {name!r}, which is not one of tunecore's search options "
            f"({', '.join(options)}) and which {getattr(target, '__qualname__', target)!r} does not "
            f"accept.{hint}"
        )

    def _deliver_reports(self, pool: Executor, received: collections.Counter[str]) -> None:
        """Hand the workers' reports to the oracle as they arrive; pass on its STOPPED."""
        for trial_id, step, metrics in pool.reports():
            if trial_id not in self.oracle.ongoing_trials:
                continue  # from an attempt that was abandoned
            received[trial_id] += 1
            if self.oracle.report(trial_id, step, **metrics) == TrialStatus.STOPPED:
                pool.stop(trial_id)

    def _await_reports(self, pool: Executor, received: collections.Counter[str], outcome: TrialOutcome) -> None:
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

    def _collect(self, pool: Executor, future: Any, trial: Trial) -> TrialOutcome:
        try:
            return pool.result(future)
        except Exception as exc:
            message = f"The trial's worker failed: {type(exc).__name__}: {exc}"
            return TrialOutcome(trial.trial_id, TrialStatus.FAILED, message=message)

    def _finish(self, trial: Trial, outcome: TrialOutcome) -> None:
        """End the trial in the oracle: always, whatever the hooks do."""
        if outcome.hyperparameters is not None:
            trial.hyperparameters = outcome.hyperparameters
        if outcome.tuner_id is not None:
            trial.tuner_id = outcome.tuner_id
        self.oracle.update_space(trial.hyperparameters)
        objective = self.oracle.objective
        reported = any(objective.has_value(trial.metrics.at_step(step)) for step in trial.metrics.steps())
        if outcome.status == TrialStatus.COMPLETED and outcome.metrics is None and not reported:
            # A programming error that every trial would repeat: stop at once, as Keras Tuner does.
            outcome.status, outcome.retryable, outcome.fatal = TrialStatus.FAILED, False, FatalTypeError
            outcome.message = (
                f"The return value of {self._trial_source()} is None and the trial reported no "
                f"{objective.names}. Did you forget to return the metrics?"
            )
        self.oracle.tell(
            trial.trial_id,
            None if reported else outcome.metrics,
            status=outcome.status,
            message=outcome.message,
            retryable=outcome.retryable,
        )

    def _trial_source(self) -> str:
        own = type(self).run_trial.__module__.split(".")[0] in ("tunecore", "tunecore_keras", "tunecore_sklearn")
        return "HyperModel.fit()" if own else "Tuner.run_trial()"

    def _populate_initial_space(self) -> None:
        if self.hypermodel is None:
            return
        if self.oracle.trials:
            self._check_definitions()
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)
        if self.discover_space_by_building:
            self._discover_conditional_space()

    def _check_definitions(self) -> None:
        """On resume, build once on a fresh space: the hypermodel's definitions must be the project's."""
        fresh = HyperParameters()
        try:
            self.hypermodel.declare_hyperparameters(fresh)
            self.hypermodel.build(fresh)
        except Exception as exc:
            logger.debug("Checking the definitions stopped: build raised %r", exc)
        self.oracle.check_definitions(fresh)

    def _discover_conditional_space(self) -> None:
        """Build once per branch of the space, to meet every conditional hyperparameter.

        Keras Tuner does the same before a search, so that a model-based oracle
        sees the whole space up front. Branches come from the conditional
        scopes a build entered (active or not), and from each value of every
        parent of a known condition; a nested branch is built with its
        ancestors' values. A build that raises ends the discovery; the trials
        will report the error.
        """
        explored: set[tuple[tuple[str, Any], ...]] = set()
        scopes: set[tuple[tuple[str, Any], ...]] = set()
        hp = self.oracle.get_space()
        for _ in range(_MAX_DISCOVERY_BUILDS):
            try:
                self.hypermodel.build(hp)
            except Exception as exc:
                logger.debug("Space discovery stopped: build raised %r", exc)
                return
            self.oracle.update_space(hp)
            scopes |= hp.scopes
            path = self._unexplored_path(explored, scopes)
            if path is None:
                return
            explored.add(path)
            hp = self.oracle.get_space()
            for name, value in path:
                hp.assign(name, value)
            hp.ensure_active_values()

    def _unexplored_path(self, explored, scopes):
        """The ``(parent, value)`` assignments of a branch not built yet, outermost first, or None."""
        for scope in sorted(scopes, key=len):
            if scope not in explored:
                return scope
        branch = self._unexplored_branch({path[-1] for path in explored})
        return None if branch is None else (*self._activating(branch[0]), branch)

    def _activating(self, name: str, seen: frozenset[str] = frozenset()) -> list[tuple[str, Any]]:
        """``(parent, value)`` pairs, outermost first, that make ``name`` active."""
        space = self.oracle.hyperparameters
        if name in seen or not space.is_defined(name):
            return []
        path: list[tuple[str, Any]] = []
        for condition in space.get_hyperparameter(name).conditions:
            path += [*self._activating(condition.name, seen | {name}), (condition.name, condition.values[0])]
        return path

    def _unexplored_branch(self, explored: set[tuple[str, Any]]) -> tuple[str, Any] | None:
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

    def run_trial(self, trial: Trial, *fit_args: Any, **fit_kwargs: Any) -> Any:
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

    def trial_scope(self) -> contextlib.AbstractContextManager[Any]:
        """A context entered around each ``run_trial`` where it runs (driver or worker).

        Frameworks with process-wide state (Keras) hold a lock here, so that
        trials sharing a process (a threaded Dask worker) run one at a time.
        """
        return contextlib.nullcontext()

    def results_to_metrics(self, results: Any) -> dict[str, float] | None:
        """What ``run_trial`` returned, as a dict of metrics (None: nothing to add).

        Numbers, dicts and lists of them are Keras Tuner's forms; a framework's
        tuner extends this for its own results (Keras ``History`` objects).
        """
        objective = self.oracle.objective
        source = self._trial_source()
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

    def on_search_begin(self) -> None:
        """Called when the search starts."""

    def on_search_end(self) -> None:
        """Called when the search ends."""

    def on_trial_begin(self, trial: Trial) -> None:
        """Called before a trial runs."""

    def on_trial_end(self, trial: Trial) -> None:
        """Called when a trial has ended in the oracle (``trial.status`` says how)."""

    def save_model(self, trial_id: str, model: Any, step: int = 0) -> None:
        """Save the model of a trial; subclasses that keep models implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not save models.")

    def load_model(self, trial: Trial) -> Any:
        """Load the model of a trial; subclasses that keep models implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} does not keep models: use get_best_hyperparameters() "
            "and build the model yourself, or implement load_model(trial)."
        )

    # Results -----------------------------------------------------------------

    def get_best_models(self, num_models: int = 1) -> list[Any]:
        """The models of the best trials, best first."""
        return [self.load_model(trial) for trial in self.oracle.get_best_trials(num_models)]

    def results_dataframe(self) -> "pandas.DataFrame":
        """Every trial as a row of a pandas DataFrame (see :func:`tunecore.results.trials_dataframe`)."""
        return results.trials_dataframe(self.oracle)

    def get_best_hyperparameters(self, num_trials: int = 1) -> list[HyperParameters]:
        """The :class:`HyperParameters` of the best trials, best first."""
        return [trial.hyperparameters for trial in self.oracle.get_best_trials(num_trials)]

    def results_summary(self, num_trials: int = 10) -> None:
        """Print the best trials."""
        print(summary.results_summary(self.oracle, self.oracle.ledger.storage.project_dir, num_trials))

    def search_space_summary(self, extended: bool = False) -> None:
        """Print the search space (known from the constructor on, as in Keras Tuner)."""
        print(summary.search_space_summary(self.oracle.hyperparameters, extended))

    def get_trial_dir(self, trial_id: str) -> str:
        """``directory/project_name/trial_<trial_id>``, created if needed (checked to stay inside the project)."""
        path = paths.trial_dir(self.project_dir, trial_id)
        os.makedirs(path, exist_ok=True)
        return path

    def save(self) -> None:
        """Keras Tuner's; nothing to do: every change is in the project's journal as it happens."""
        self.oracle.save()

    def reload(self) -> None:
        """Read the project again from its journal (Keras Tuner's ``tuner.reload()``)."""
        self.oracle.reload()

    @property
    def remaining_trials(self) -> int | None:
        return self.oracle.remaining_trials()

    def get_state(self) -> dict[str, Any]:
        return {"tuner_id": self.tuner_id}

    def set_state(self, state: dict[str, Any]) -> None:
        self.tuner_id = state["tuner_id"]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["oracle"] = WorkerOracle(self.oracle)
        return state


class _Limits:
    """A search's stop conditions."""

    def __init__(self, timeout: float | None, trial_timeout: float | None, cancel_running: bool,
                 ask_ahead: int | None) -> None:
        self.timeout = timeout
        self.ask_ahead = ask_ahead
        self.ask_seconds: float | None = None  # running averages, for the default ask_ahead
        self.trial_seconds: float | None = None
        self.trial_timeout = trial_timeout
        self.cancel_running = bool(cancel_running)
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.announced = False

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


def _average(previous: float | None, value: float) -> float:
    return value if previous is None else 0.5 * (previous + value)


def _check_seconds(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InvalidArgumentError(f"{name} must be a positive number of seconds or None; got {value!r}.")
