"""BaseTuner: Keras Tuner's tuner facade, framework-agnostic.

It checks ``search()``'s arguments and hands the search to
:class:`~tunecore.tuners.loop.SearchLoop`; space discovery is in
:mod:`tunecore.tuners.discovery`, running one trial in :mod:`tunecore.tuners.outcome`.
"""

import contextlib
import copy
import difflib
import inspect
import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tunecore import callbacks as callbacks_module
from tunecore import distribute, executors, results
from tunecore.errors import FatalRuntimeError, InvalidArgumentError, ProjectError
from tunecore.executors import dask_chief
from tunecore.hypermodel import HyperModel, as_hypermodel
from tunecore.hyperparameters import HyperParameters
from tunecore.ledger import shared
from tunecore.objective import DEFAULT_OBJECTIVE, to_metrics
from tunecore.oracles.base import Oracle
from tunecore.signatures import accepts_keyword, check_keywords
from tunecore.storage import InMemoryStorage, RecordedStorage, Storage, paths, resolve_storage
from tunecore.trial import Trial, TrialStatus
from tunecore.tuners import discovery, summary
from tunecore.tuners.loop import SearchLoop
from tunecore.tuners.outcome import TunerRunner, WorkerOracle

if TYPE_CHECKING:
    import pandas

logger = logging.getLogger("tunecore")


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
            ``KERASTUNER_TUNER_ID``; on a storage shared by many drivers,
            ``"<host>-<pid>"``; else ``"tuner0"``).
        max_retries_per_trial: Overrides the oracle's setting when given.
        max_consecutive_failed_trials: Overrides the oracle's setting when given.
        storage: Where the trials are kept: a database URL
            (``"sqlite:///runs.db"``, ``"postgresql://user:password@host/db"``),
            where ``project_name`` names the search and any number of
            drivers may share it; a :class:`~tunecore.storage.Storage`; or
            None (default): a journal in ``directory/project_name``.

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
        storage: Storage | str | None = None,
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
        if self._role is not None and not self._role.is_chief:
            storage, overwrite = InMemoryStorage(), False  # the chief keeps the project
        kept = resolve_storage(storage, self.directory, self.project_name)
        # Drivers of one shared search, all started alike, are told apart in its history.
        self.tuner_id = tuner_id or (
            self._role.tuner_id if self._role else shared.driver_name() if kept.shared else "tuner0"
        )
        if max_retries_per_trial is not None:
            oracle.max_retries_per_trial = max_retries_per_trial
        if max_consecutive_failed_trials is not None:
            oracle.max_consecutive_failed_trials = max_consecutive_failed_trials
        self._search: SearchLoop | None = None
        self.oracle.open(kept, overwrite=overwrite)
        try:
            # Keras Tuner builds the hypermodel here, so that the space is known (and shown) at once.
            self._populate_initial_space()
        finally:
            # The project is held while a search writes, not by a tuner only built (or whose
            # build failed: the user's corrected tuner must find the project free).
            self.oracle.close()

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
                ends as ``cancel_running`` says (a trial queued for a worker
                that has not started it is not waited for: it runs on resume). In Keras Tuner's distributed
                mode it also bounds the chief's wait for its first tuner and a
                tuner's wait for its chief (each says what it waits for every
                10 s meanwhile).
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
        if max_parallel_trials is not None and (
            isinstance(max_parallel_trials, bool) or not isinstance(max_parallel_trials, int) or max_parallel_trials < 1
        ):
            raise InvalidArgumentError(
                f"max_parallel_trials must be an integer >= 1 or None (one at a time); got {max_parallel_trials!r}."
            )
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
            self._serve_chief(role, TunerRunner(copy.copy(self), fit_args, fit_kwargs), timeout)
            return
        if ask_ahead is not None and (isinstance(ask_ahead, bool) or not isinstance(ask_ahead, int) or ask_ahead < 0):
            raise InvalidArgumentError(f"ask_ahead must be an integer >= 0 or None; got {ask_ahead!r}.")
        pool = dask_chief.chief_executor(role) if role else executors.create(executor, max_parallel_trials)
        self._search = SearchLoop(self, pool, search_callbacks, timeout, trial_timeout, cancel_running, ask_ahead)
        try:
            for values in initial_points or ():
                self.oracle.enqueue(values)
            self._search.run(TunerRunner(self, fit_args, fit_kwargs), verbose)
        except KeyboardInterrupt:
            interrupted = True
        else:
            interrupted = False
        finally:
            self._search = None
            self.oracle.close()
        if interrupted:
            print(self._interrupted_line(), file=sys.stderr, flush=True)
            raise KeyboardInterrupt from None  # our frames say nothing the line does not

    def _interrupted_line(self) -> str:
        """What Ctrl-C kept, and how to go on, in one line."""
        trials = self.oracle.trials.values()
        ended = sum(t.status in TrialStatus.FINISHED for t in trials)
        rerun = sum(t.status not in TrialStatus.FINISHED for t in trials)
        again = f" ({rerun} unfinished will run again)" if rerun else ""
        where = _kept_in(self.oracle.ledger.storage)
        if where is None:
            return (
                f"Search interrupted: {ended} ended trials kept in memory only{again}; call search() "
                "on this tuner again to go on, or pass directory= to keep a project you can resume."
            )
        return f"Search interrupted: {ended} ended trials kept in {where}{again}; run the same call again to resume."

    def _serve_chief(self, role: distribute.Role, runner: TunerRunner, timeout: float | None) -> None:
        """A distributed worker's search: run the chief's trials, then read its results."""
        logger.info("Tuner %r runs trials for the chief at %s.", self.tuner_id, role.address)
        how = dask_chief.serve(role, runner, timeout)
        if how == "timeout":
            logger.warning("Tuner %r found no chief at %s within timeout=%gs; its search ends without trials.",
                           self.tuner_id, role.address, timeout)
            return
        if how == "left":
            logger.info("Tuner %r left the chief at %s after its search's timeout=%gs; the chief's search "
                           "goes on with its other tuners.", self.tuner_id, role.address, timeout)
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
            self.oracle.reload(RecordedStorage(self.project_dir))
        except ProjectError as exc:
            logger.warning("The chief's search ended; its results are not readable here: %s", exc)

    def stop(self, reason: str | None = None, everywhere: bool = False) -> None:
        """End the search: no new trial starts (safe from a callback or another thread).

        The trials still running finish, or are abandoned with
        ``search(cancel_running=True)``.

        Args:
            reason: Why, for the log.
            everywhere: On a shared storage (several drivers), stop every
                driver of the search: a ``stop`` event in the storage, which
                the others read before they start their next trial. A driver
                started later runs the search again.
        """
        search = self._search
        reason = reason or "tuner.stop() was called"
        if search is not None:
            search.stop(reason, everywhere=everywhere)
        elif everywhere:
            self.oracle.ledger.request_search_stop(reason)

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

    def _trial_source(self) -> str:
        own = type(self).run_trial.__module__.split(".")[0] in ("tunecore", "tunecore_keras", "tunecore_sklearn")
        return "HyperModel.fit()" if own else "Tuner.run_trial()"

    def _populate_initial_space(self) -> None:
        discovery.populate_initial_space(self.oracle, self.hypermodel, self.discover_space_by_building)

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
        several = len(objective.names) > 1 and not isinstance(results, dict)
        if metrics is not None and several and set(metrics) == {objective.name}:
            raise TypeError(
                f"Expected the return value of {source} to be a dict of the objective's metrics "
                f"{objective.names}; received the single number {results!r}, which cannot say which "
                "metric it is. Return a dict with a value for each."
            )
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
        print(summary.results_summary(self.oracle, _kept_in(self.oracle.ledger.storage), num_trials))

    def search_space_summary(self, extended: bool = False) -> None:
        """Print the search space (known from the constructor on, as in Keras Tuner)."""
        print(summary.search_space_summary(self.oracle.hyperparameters, extended))

    def get_trial_dir(self, trial_id: str) -> str:
        """``directory/project_name/trial_<trial_id>``, created if needed (checked to stay inside the project).

        Raises:
            ProjectError: ``trial_id`` is not a plain id, or ``trial_<trial_id>``
                is a link or not a folder (nothing in a project is followed as a link).
        """
        path = paths.trial_dir(self.project_dir, trial_id)
        return paths.project_folder(path, f"The folder of trial {trial_id!r}")

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
        state["_search"] = None  # the driver's
        return state


def _check_seconds(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InvalidArgumentError(f"{name} must be a positive number of seconds or None; got {value!r}.")


def _kept_in(storage: Storage) -> str | None:
    """Where the trials are kept, for messages (a folder, a masked URL); None in this process's memory."""
    return storage.location if storage.project_dir is not None or storage.shared else None
