"""The search loop: ask, run, collect, tell, until the oracle or a stop condition ends the search.

Kept apart from the tuner as Optuna keeps ``_optimize.py`` apart from its
study: :class:`~tunecore.tuners.BaseTuner` checks ``search()``'s arguments
and builds a :class:`SearchLoop`; the loop holds one search's state (the
trials in flight, those asked for ahead, the reports received, the stop
conditions) and calls the search's callbacks directly, then the plugin hooks.

One trial's path: ``oracle.ask`` → ``executor.submit`` → its reports reach
the oracle while it runs (directly in process; through
``executor.reports()`` from a worker, STOPPED answered with
``executor.stop``) → ``executor.result`` → every report it sent has arrived →
``oracle.tell`` → ``on_trial_end``, callbacks, ``tunecore_trial_end``.
"""

import collections
import logging
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tunecore import plugins, schedule
from tunecore.callbacks import Callback
from tunecore.errors import FatalError, FatalTypeError, FatalValueError, RemoteTraceback
from tunecore.executors import Executor
from tunecore.executors.runner import TrialOutcome, TrialRunner
from tunecore.executors.waiting import Notice
from tunecore.trial import Trial, TrialStatus
from tunecore.tuners.outcome import resolve_remote_traceback
from tunecore.tuners.progress import Progress

if TYPE_CHECKING:
    from tunecore.tuners.base_tuner import BaseTuner

logger = logging.getLogger("tunecore")

_REPORT_POLL_S = 0.05
_LATE_REPORTS_S = 10.0
_UNSTARTED_CHECK_S = 1.0  # once stopped, how often the loop looks for trials no worker has started
_ASK_SHARE = 0.1  # suggestions for every worker may take this share of a trial before asking ahead
_WAIT_FIRST_S, _WAIT_MAX_S = 0.02, 1.0  # waiting for other drivers' trials, doubling in between


class SearchLoop:
    """One search of ``tuner`` on ``executor`` (see the module docstring).

    Args:
        tuner: The tuner searching: its oracle, ``on_*`` methods and ``tuner_id``.
        executor: Where trials run.
        callbacks: The search's :class:`~tunecore.callbacks.Callback` objects.
        timeout: Seconds after which no new trial starts.
        trial_timeout: Seconds a trial may run.
        cancel_running: Abandon the trials in flight when the search stops.
        ask_ahead: Trials to ask for while every worker is busy (None: decide).

    Attributes:
        stop_reason: Why the search stops, or None while it goes on.
    """

    def __init__(self, tuner: "BaseTuner", executor: Executor, callbacks: Sequence[Callback] = (),
                 timeout: float | None = None, trial_timeout: float | None = None,
                 cancel_running: bool = False, ask_ahead: int | None = None) -> None:
        self.tuner = tuner
        self.oracle = tuner.oracle
        self.executor = executor
        self.callbacks = list(callbacks)
        self.timeout = timeout
        self.trial_timeout = trial_timeout
        self.cancel_running = bool(cancel_running)
        self.ask_ahead = ask_ahead
        self.stop_reason: str | None = None
        self._stop_everywhere = False
        self._wait_s = _WAIT_FIRST_S
        self._hook = plugins.get_plugin_manager().hook
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._announced = False
        self._unstarted_checked = -_UNSTARTED_CHECK_S
        self._others = Notice()  # says what a driver waits for while other drivers' trials run
        self._ask_seconds: float | None = None  # running averages, for the default ask_ahead
        self._trial_seconds: float | None = None
        self._asked_out = False
        self._running: dict[Any, Trial] = {}  # future -> trial
        self._started: dict[Any, float] = {}  # future -> monotonic start
        self._ready: collections.deque[Trial] = collections.deque()  # asked for ahead, not started
        self._received: collections.Counter[str] = collections.Counter()  # reports delivered per trial
        self._unused_warned: set[str] = set()  # names of values no definition used, warned about once

    def stop(self, reason: str, everywhere: bool = False) -> None:
        """No new trial starts (safe from a callback or another thread); ``everywhere``: in
        every driver of the search (recorded in a shared storage by the loop's thread)."""
        self.stop_reason = reason
        self._stop_everywhere = self._stop_everywhere or everywhere

    def run(self, runner: TrialRunner, verbose: int = 1) -> None:
        """The whole search: its begin and end events around the loop."""
        self.tuner.on_search_begin()
        self._each("on_search_begin")
        self._hook.tunecore_search_begin(tuner=self.tuner)
        progress = Progress(self.oracle, verbose)
        interrupted = False
        try:
            with self.oracle.observe_reports(self._reported):
                self._run(runner, progress)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            progress.close(report=not interrupted)
            try:
                self.tuner.on_search_end()
            finally:
                self._each("on_search_end")
                self._hook.tunecore_search_end(tuner=self.tuner)

    def _each(self, method: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, method)(self.tuner, *args)

    def _reported(self, trial: Trial, step: int, metrics: dict[str, float]) -> None:
        self._each("on_trial_report", trial, step, dict(metrics))
        self._hook.tunecore_metrics_reported(
            tuner=self.tuner, trial=trial, step=step, metrics=metrics, oracle=self.oracle
        )

    def _run(self, runner: TrialRunner, progress: Progress) -> None:
        pool = self.executor
        try:
            pool.deadline = self._deadline
            pool.start(runner)
            self._loop(progress)
            if self._running:  # stopped with cancel_running: as an interruption
                self._abandon()
                return
        except KeyboardInterrupt:
            self._abandon(quiet=True)  # the tuner says in one line what was kept
            raise
        except BaseException:
            self._abandon()
            raise
        finally:
            unstarted = [t.trial_id for t in self._ready if t.trial_id in self.oracle.ongoing_trials]
            self.oracle.ledger.requeue_running(unstarted)
        pool.shutdown()

    def _ask_ahead(self) -> int:
        """How many trials to have ready while every worker is busy (see ``search(ask_ahead=)``)."""
        pool = self.executor
        if not pool.remote or self._asked_out:
            return 0
        if self.ask_ahead is not None:
            return self.ask_ahead
        if self._ask_seconds is None or self._trial_seconds is None:
            return 0
        serialises = pool.capacity * self._ask_seconds > _ASK_SHARE * self._trial_seconds
        return pool.capacity if serialises else 0

    def _ask(self) -> Trial:
        start = time.perf_counter()
        trial = self.oracle.ask(self.tuner.tuner_id)
        self._ask_seconds = _average(self._ask_seconds, time.perf_counter() - start)
        return trial

    def _abandon(self, quiet: bool = False) -> None:
        self.executor.shutdown(cancel=True)
        for trial in self._running.values():
            logger.log(
                logging.INFO if quiet else logging.WARNING,
                "Trial %s was interrupted; it will run again on resume.", trial.trial_id,
            )
        self.oracle.ledger.requeue_running()

    def _loop(self, progress: Progress) -> None:
        pool, running, ready, tuner = self.executor, self._running, self._ready, self.tuner
        while True:
            self._check_stop()
            waiting = False
            while len(running) < pool.capacity and self.stop_reason is None:
                trial = ready.popleft() if ready else self._ask()
                if trial.status == TrialStatus.IDLE and not running:
                    # On a shared storage, other drivers' trials run: one may fail and run again.
                    waiting = self.oracle.ledger.shared and bool(self.oracle.ongoing_trials)
                    if not waiting:
                        logger.warning("The oracle is waiting (IDLE) with no trial running; the search stops.")
                if trial.status != TrialStatus.RUNNING:
                    break
                self._wait_s = _WAIT_FIRST_S
                self._others.restart()
                tuner.on_trial_begin(trial)
                self._each("on_trial_begin", trial)
                self._hook.tunecore_trial_begin(tuner=tuner, trial=trial)
                self._received[trial.trial_id] = 0
                if self.trial_timeout is not None:
                    self.oracle.ledger.set_deadline(trial.trial_id, self.trial_timeout)
                future = pool.submit(trial)
                running[future], self._started[future] = trial, time.monotonic()
                progress.update(len(running))
                self._check_stop()
            if self.stop_reason is not None and running and not self.cancel_running:
                self._drop_unstarted()
            if waiting and not running and self.stop_reason is None:
                self._wait_for_others()
                continue
            if not running or (self.stop_reason is not None and self.cancel_running):
                return
            poll = pool.remote or self.timeout is not None or self.trial_timeout is not None
            ahead = len(ready) < self._ask_ahead() and self.stop_reason is None and len(running) >= pool.capacity
            done, _ = pool.wait(list(running), timeout=0 if ahead else _REPORT_POLL_S if poll else None)
            self._deliver_reports()
            if ahead and not done:  # every worker is busy: prepare the next trial meanwhile
                trial = self._ask()
                if trial.status == TrialStatus.RUNNING:
                    ready.append(trial)
                else:
                    self._asked_out = True
                continue
            ended = [(future, self._collect(future, running[future])) for future in done]
            ended += self._overdue(done)
            for future, outcome in ended:
                trial = running.pop(future)
                self._trial_seconds = _average(self._trial_seconds, time.monotonic() - self._started.pop(future))
                if not outcome.killed:
                    self._await_reports(outcome)
                self._finish(trial, outcome)
                tuner.on_trial_end(trial)
                self._each("on_trial_end", trial)
                self._hook.tunecore_trial_end(tuner=tuner, trial=trial)
                progress.update(len(running), finished_trial=trial)
                self._asked_out = False  # an ended trial may give the oracle something new to suggest
                if outcome.fatal:
                    raise _fatal_error(trial, outcome, self._user_functions())

    def _warn_unused(self, trial: Trial) -> None:
        """Warn once per name when a trial ran to its end without defining a value it was given."""
        unused = {n: v for n, v in _unused_values(trial, self.oracle.hyperparameters).items()
                  if n not in self._unused_warned}
        if not unused:
            return
        self._unused_warned.update(unused)
        defined = [hp.name for hp in self.oracle.hyperparameters.space]
        warnings.warn(
            f"Trial {trial.trial_id} was given {unused}, but no hyperparameter of that name was defined "
            f"(the search defines {defined}), so the value was not used. Is the name misspelt (in "
            "initial_points, enqueue() or the oracle's suggestion)?",
            UserWarning, stacklevel=2,
        )

    def _user_functions(self) -> list[Any]:
        """The user's callables a trial runs, to name their frames in a worker's traceback."""
        tuner = self.tuner
        functions = [tuner.fit_target(), type(tuner).run_trial]
        hypermodel = getattr(tuner, "hypermodel", None)
        if hypermodel is not None:
            functions += [getattr(hypermodel, "build", None), getattr(hypermodel, "fit", None)]
        return [f for f in functions if f is not None]

    def _wait_for_others(self) -> None:
        """Sleep while other drivers run the trials left (20 ms, doubling to 1 s; ``timeout`` bounds it)."""
        wait = self._wait_s
        if self._deadline is not None:
            wait = min(wait, max(self._deadline - time.monotonic(), 0.0))
        self._others(
            f"Tuner {self.tuner.tuner_id!r} waits for the trials other drivers run in this project to end "
            "(the oracle suggests nothing new until then); Ctrl-C or search(timeout=...) ends the wait"
        )
        time.sleep(wait)
        self._wait_s = min(2 * self._wait_s, _WAIT_MAX_S)

    def _check_stop(self) -> None:
        if self.stop_reason is None and self._deadline is not None and time.monotonic() >= self._deadline:
            self.stop_reason = f"timeout={self.timeout:g}s reached"
        ledger = self.oracle.ledger
        if self._stop_everywhere:
            self._stop_everywhere = False
            ledger.request_search_stop(self.stop_reason or "tuner.stop(everywhere=True) was called")
        if self.stop_reason is None and ledger.search_stop is not None:
            self.stop_reason = f"another driver stopped the search: {ledger.search_stop}"
        if self.stop_reason is not None and not self._announced:
            self._announced = True
            what = "abandoning" if self.cancel_running else "letting finish"
            logger.info("The search stops (%s); %s the running trials.", self.stop_reason, what)

    def _drop_unstarted(self) -> None:
        """The search stopped: trials that no worker has started yet are not waited for; they run on resume."""
        now = time.monotonic()
        if now < self._unstarted_checked + _UNSTARTED_CHECK_S:
            return
        self._unstarted_checked = now
        for future in self.executor.unstarted(list(self._running)):
            if self.executor.kill(future):
                trial = self._running.pop(future)
                self._started.pop(future)
                logger.warning("Trial %s had not started when the search stopped (%s); it will run on resume.",
                               trial.trial_id, self.stop_reason)
                self.oracle.ledger.requeue_running([trial.trial_id])

    def _overdue(self, done: set[Any]) -> list[tuple[Any, TrialOutcome]]:
        """End the trials over ``trial_timeout`` that the executor can end at once."""
        limit = self.trial_timeout
        if limit is None:
            return []
        ended = []
        now = time.monotonic()
        for future, trial in self._running.items():
            if future in done or now - self._started[future] <= limit:
                continue
            if self.executor.kill(future):  # an executor that cannot leaves it to stop at its next report
                message = f"The trial ran longer than trial_timeout={limit:g}s and was stopped; its worker was replaced."
                outcome = TrialOutcome(trial.trial_id, TrialStatus.FAILED, message=message)
                outcome.killed = True
                ended.append((future, outcome))
        return ended

    def _deliver_reports(self) -> None:
        """Hand the workers' reports to the oracle as they arrive; pass on its STOPPED."""
        for trial_id, step, metrics in self.executor.reports():
            if trial_id not in self.oracle.ongoing_trials:
                continue  # from an attempt that was abandoned
            self._received[trial_id] += 1
            if self.oracle.report(trial_id, step, **metrics) == TrialStatus.STOPPED:
                self.executor.stop(trial_id)

    def _await_reports(self, outcome: TrialOutcome) -> None:
        """Deliver every report a finished trial sent before ending it (a channel may lag its result)."""
        received = self._received
        deadline = time.monotonic() + _LATE_REPORTS_S
        while received[outcome.trial_id] < outcome.reports and time.monotonic() < deadline:
            time.sleep(0.005)
            self._deliver_reports()
        if received[outcome.trial_id] < outcome.reports:
            logger.warning(
                "Trial %s sent %d reports; %d arrived.", outcome.trial_id, outcome.reports,
                received[outcome.trial_id],
            )

    def _collect(self, future: Any, trial: Trial) -> TrialOutcome:
        try:
            return self.executor.result(future)
        except Exception as exc:
            message = f"The trial's worker failed: {type(exc).__name__}: {exc}"
            return TrialOutcome(trial.trial_id, TrialStatus.FAILED, message=message)

    def _finish(self, trial: Trial, outcome: TrialOutcome) -> None:
        """End the trial in the oracle: always, whatever the hooks do."""
        if outcome.hyperparameters is not None:
            trial.hyperparameters = outcome.hyperparameters
        if outcome.tuner_id is not None:
            trial.tuner_id = outcome.tuner_id
        # A definition that changed (the code, between runs) stops the search before the trial
        # ends: it stays RUNNING, to run again when the search resumes with the project's definition.
        self.oracle.check_definitions(trial.hyperparameters.declared)
        self.oracle.update_space(trial.hyperparameters)
        if outcome.status == TrialStatus.COMPLETED:
            self._warn_unused(trial)
        objective = self.oracle.objective
        reported = any(objective.has_value(trial.metrics.at_step(step)) for step in trial.metrics.steps())
        # Metrics without the objective: every trial would return the same names.
        unnamed = (outcome.status == TrialStatus.COMPLETED and not reported and outcome.metrics is not None
                   and bool(outcome.metrics) and not objective.has_value(outcome.metrics))
        if outcome.status == TrialStatus.COMPLETED and outcome.metrics is None and not reported:
            # A programming error that every trial would repeat: stop at once, as Keras Tuner does.
            outcome.status, outcome.retryable, outcome.fatal = TrialStatus.FAILED, False, FatalTypeError
            returned = outcome.returned or "None"
            hint = (
                "Did you forget to return the metrics?" if returned == "None" else
                "Return the objective's value (a number), a dict of metrics, or a list of those."
            )
            outcome.message = (
                f"The return value of {self.tuner._trial_source()} is {returned} and the trial reported no "
                f"{objective.names}. {hint}"
            )
        self.oracle.tell(
            trial.trial_id,
            None if reported else outcome.metrics,
            status=outcome.status,
            message=outcome.message,
            retryable=outcome.retryable,
            rerun=outcome.fatal is not None or unnamed,  # once the user fixes the bug, on resume
        )
        if unnamed and trial.status == TrialStatus.FAILED:
            outcome.fatal, outcome.message = FatalValueError, trial.message


def _unused_values(trial: Trial, space: Any) -> dict[str, Any]:
    """The values ``trial`` was given for names that no definition in ``space`` has (a misspelt initial point)."""
    return {
        name: value for name, value in trial.hyperparameters.values.items()
        if not schedule.is_scheduling(name) and not trial.hyperparameters.is_defined(name) and not space.is_defined(name)
    }


def _fatal_error(trial: Trial, outcome: TrialOutcome, functions: Sequence[Any] = ()) -> FatalError:
    """The error a fatal trial stops the search with, chained to the trial's own.

    In the driver's process the cause is the exception itself; from a worker
    it is its traceback as text (:class:`~tunecore.errors.RemoteTraceback`),
    with the frames of the user's ``functions`` named again, so the user's
    line shows either way.
    """
    assert outcome.fatal is not None
    text = (outcome.message or "").strip()
    cause: BaseException | None = outcome.error
    if cause is None and text.startswith("Traceback (most recent call last)"):
        cause = RemoteTraceback(resolve_remote_traceback(text, functions))
    what = text.splitlines()[-1] if cause is not None and text else text
    error = outcome.fatal(f"Trial {trial.trial_id} stopped the search (recorded FAILED): {what}")
    error.__cause__ = cause
    return error


def _average(previous: float | None, value: float) -> float:
    return value if previous is None else 0.5 * (previous + value)
