"""The contract every executor keeps (see :mod:`tunecore.executors.base`).

The tests drive an executor as the search loop does: one
:class:`~tunecore.tuners.outcome.TunerRunner` per search (for a tiny
function tuner), then trials submitted, waited for and collected, with the
reports that a remote executor carries back collected as they arrive. The
tuned function does what each trial's ``behaviour`` says: return, report,
raise, report until it is stopped, or end its process.

Tests of what an executor does not claim are skipped: the report and stop
tests where :attr:`~tunecore.executors.Executor.remote` is False (in process,
a trial reports to the oracle directly), and those of the suite's
capabilities, ``kills_trials`` and ``isolates_trials``, where the subclass
does not set them.
"""

import os
import time
from collections.abc import Callable, Collection, Iterator
from typing import Any

import pytest

from tunecore.executors.base import Executor
from tunecore.hyperparameters import HyperParameters
from tunecore.trial import Trial, TrialStatus
from tunecore.tuners.function_tuner import FunctionTuner
from tunecore.executors.runner import TrialOutcome
from tunecore.tuners.outcome import RunningTrial, TunerRunner

#: ``make_executor(max_workers) -> Executor``: what the ``make_executor`` fixture returns.
MakeExecutor = Callable[[int], Executor]

#: How long a test waits for what an executor must deliver before it fails.
PATIENCE_S = 60.0

_BEHAVIOURS = ["return", "report", "raise", "until_stopped", "exit"]
_POLL_S = 0.05


def _space() -> HyperParameters:
    hp = HyperParameters()
    hp.Choice("behaviour", _BEHAVIOURS)
    hp.Int("n", 0, 10_000)
    return hp


def scripted_trial(hp: HyperParameters, trial: RunningTrial) -> dict[str, float]:
    """The tuned function: does what ``hp["behaviour"]`` says, and scores ``hp["n"]``.

    Module-level, so that a worker process imports it rather than unpickling its code.
    """
    behaviour, n = hp["behaviour"], hp["n"]
    if behaviour == "raise":
        raise ValueError(f"trial {n} raised on purpose")
    if behaviour == "exit":
        os._exit(3)  # the worker process ends mid-trial
    if behaviour == "report":
        for step in range(3):
            trial.report(step, loss=float(n + step))
    if behaviour == "until_stopped":
        deadline = time.monotonic() + PATIENCE_S
        step = 0
        while time.monotonic() < deadline:
            trial.report(step, loss=float(n))  # raises TrialStopped once stopped
            step += 1
            time.sleep(0.02)
    return {"loss": float(n)}


class _Driver:
    """The search loop's side of the seam, reduced to what the tests need."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.tuner = FunctionTuner(scripted_trial, objective="loss", max_trials=10_000,
                                   hyperparameters=_space(), max_retries_per_trial=0, seed=0)
        self.reports: list[tuple[str, int, dict[str, float]]] = []
        self._count = 0
        executor.start(TunerRunner(self.tuner, (), {}))

    def submit(self, behaviour: str) -> tuple[Any, Trial]:
        """Start a trial that does ``behaviour``: ``(future, trial)``."""
        self._count += 1
        self.tuner.oracle.enqueue({"behaviour": behaviour, "n": self._count})
        trial = self.tuner.oracle.ask(self.tuner.tuner_id)
        assert trial.status == TrialStatus.RUNNING
        return self.executor.submit(trial), trial

    def until(self, condition: Callable[[], bool], futures: Collection[Any] = (), what: str = "") -> None:
        """Wait on ``futures``, collecting reports, until ``condition()`` holds."""
        deadline = time.monotonic() + PATIENCE_S
        while not condition():
            assert time.monotonic() < deadline, f"{type(self.executor).__name__}: {what} within {PATIENCE_S:g}s"
            pending = [f for f in futures if not f.done()]
            if pending:
                self.executor.wait(pending, timeout=_POLL_S)
            else:
                time.sleep(_POLL_S / 5)
            self.reports.extend(self.executor.reports())

    def outcome(self, future: Any) -> TrialOutcome:
        """Wait for ``future`` and return its outcome, with every report it sent collected."""
        self.until(future.done, [future], "a submitted trial was not done")
        outcome = self.executor.result(future)
        self.until(lambda: len(self.reports_of(outcome.trial_id)) >= outcome.reports, (),
                   f"trial {outcome.trial_id}'s {outcome.reports} reports did not all arrive")
        return outcome

    def reports_of(self, trial_id: str) -> list[tuple[int, dict[str, float]]]:
        return [(step, metrics) for tid, step, metrics in self.reports if tid == trial_id]


class ExecutorConformance:
    """Contract tests; subclasses provide ``make_executor(max_workers)`` as a fixture.

    ``make_executor`` returns a new, unstarted executor that runs up to
    ``max_workers`` trials at once (the tests pass 2). Set the capabilities the
    executor claims:

    Attributes:
        kills_trials: :meth:`~tunecore.executors.Executor.kill` ends a running
            trial at once and the executor then takes new trials.
        isolates_trials: Trials run outside the driver's process, so one whose
            process ends fails that trial alone.
    """

    kills_trials: bool = False
    isolates_trials: bool = False

    @pytest.fixture
    def make_executor(self) -> MakeExecutor:
        """Override: return ``make_executor(max_workers) -> Executor``, a new executor per call."""
        raise NotImplementedError("Provide a make_executor fixture.")

    @pytest.fixture
    def driver(self, make_executor: MakeExecutor) -> Iterator[_Driver]:
        """A started executor and the loop that feeds it; shut down (cancelling) after the test."""
        driver = _Driver(make_executor(2))
        try:
            yield driver
        finally:
            driver.executor.shutdown(cancel=True)

    def _require(self, capability: str, executor: Executor) -> None:
        if not getattr(self, capability):
            pytest.skip(f"{type(self).__name__} does not claim {capability}")
        if capability == "kills_trials" and not executor.remote:
            pytest.skip("in process, no trial is still running when submit returns")

    def _require_remote(self, executor: Executor) -> None:
        if not executor.remote:
            pytest.skip(f"{type(executor).__name__} is not remote: its trials report to the oracle directly")

    def test_capacity_is_a_positive_number_of_trials(self, driver: _Driver) -> None:
        capacity = driver.executor.capacity
        assert isinstance(capacity, int) and capacity >= 1

    def test_a_trial_runs_and_its_outcome_comes_back(self, driver: _Driver) -> None:
        future, trial = driver.submit("return")
        outcome = driver.outcome(future)
        assert isinstance(outcome, TrialOutcome)
        assert (outcome.trial_id, outcome.status) == (trial.trial_id, TrialStatus.COMPLETED)
        assert outcome.metrics == {"loss": float(trial.hyperparameters["n"])}

    def test_trials_in_flight_together_each_get_their_own_outcome(self, driver: _Driver) -> None:
        submitted = [driver.submit("return") for _ in range(min(driver.executor.capacity, 4))]
        for future, trial in submitted:
            outcome = driver.outcome(future)
            assert outcome.trial_id == trial.trial_id
            assert outcome.metrics == {"loss": float(trial.hyperparameters["n"])}

    def test_a_raising_trial_becomes_a_failed_outcome(self, driver: _Driver) -> None:
        future, trial = driver.submit("raise")
        outcome = driver.outcome(future)
        assert (outcome.trial_id, outcome.status) == (trial.trial_id, TrialStatus.FAILED)
        message = outcome.message or ""
        assert "ValueError" in message and "raised on purpose" in message, message
        assert outcome.retryable
        future, _ = driver.submit("return")
        assert driver.outcome(future).status == TrialStatus.COMPLETED

    def test_every_report_reaches_the_driver_in_order(self, driver: _Driver) -> None:
        self._require_remote(driver.executor)
        future, trial = driver.submit("report")
        outcome = driver.outcome(future)
        n = trial.hyperparameters["n"]
        assert outcome.reports == 3
        assert driver.reports_of(trial.trial_id) == [(step, {"loss": float(n + step)}) for step in range(3)]

    def test_reports_arrive_while_the_trial_runs_and_stop_reaches_it(self, driver: _Driver) -> None:
        self._require_remote(driver.executor)
        future, trial = driver.submit("until_stopped")
        driver.until(lambda: bool(driver.reports_of(trial.trial_id)), [future],
                     "no report arrived while the trial ran")
        assert not future.done(), "the trial ended before it was stopped"
        driver.executor.stop(trial.trial_id)
        outcome = driver.outcome(future)
        assert outcome.status == TrialStatus.STOPPED

    def test_wait_returns_at_its_timeout_while_the_trial_runs(self, driver: _Driver) -> None:
        self._require_remote(driver.executor)
        future, trial = driver.submit("until_stopped")
        driver.until(lambda: bool(driver.reports_of(trial.trial_id)), [future], "the trial did not start")
        done, not_done = driver.executor.wait([future], timeout=_POLL_S)
        assert (set(done), set(not_done)) == (set(), {future})
        driver.executor.stop(trial.trial_id)
        assert driver.outcome(future).status == TrialStatus.STOPPED

    def test_kill_ends_a_running_trial_and_the_next_one_runs(self, driver: _Driver) -> None:
        self._require("kills_trials", driver.executor)
        future, trial = driver.submit("until_stopped")
        driver.until(lambda: bool(driver.reports_of(trial.trial_id)), [future], "the trial did not start")
        assert driver.executor.kill(future) is True
        after, _ = driver.submit("return")
        assert driver.outcome(after).status == TrialStatus.COMPLETED

    def test_a_trial_whose_process_ends_fails_alone(self, driver: _Driver) -> None:
        self._require("isolates_trials", driver.executor)
        dying, _ = driver.submit("exit")
        beside = driver.submit("return") if driver.executor.capacity > 1 else None
        driver.until(dying.done, [dying], "the future of a trial whose process ended was not done")
        with pytest.raises(Exception):
            driver.executor.result(dying)
        if beside is not None:
            future, trial = beside
            assert driver.outcome(future).trial_id == trial.trial_id
        after, _ = driver.submit("return")
        assert driver.outcome(after).status == TrialStatus.COMPLETED
