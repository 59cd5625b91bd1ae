"""Running one trial, in the driver or in a worker, and what comes back.

Metrics reach the oracle one way wherever a trial runs: ``report`` calls while
it runs (live), then its final result in a :class:`TrialOutcome`. In the
driver, ``tuner.oracle`` is the oracle itself. In a worker, it is a
:class:`WorkerOracle` that sends each report through the executor's channel
(:class:`~tunecore.executors.ReportChannel`) to the driver, which hands it to
the oracle as it arrives and answers with the oracle's decision (STOPPED).
"""

import dataclasses
import time
import traceback

from tunecore.errors import FailedTrialError, FatalError, FatalTypeError, OversizedModelError
from tunecore.trial import TrialStatus


@dataclasses.dataclass
class TrialOutcome:
    """What a finished trial sends back to the driver.

    Attributes:
        trial_id: The trial.
        status: COMPLETED, FAILED or INVALID.
        metrics: What ``run_trial`` returned, as a dict of floats (or None).
        hyperparameters: The trial's hyperparameters at the end, when it ran
            in a worker (it may declare new ones).
        message: The traceback of a failure.
        retryable: Whether a failure may be retried.
        fatal: The :class:`~tunecore.errors.FatalError` class to stop the search with, or None.
        seconds: Wall time of ``run_trial``.
        reports: How many reports it sent through a channel (the driver waits
            for them all before ending the trial).
    """

    trial_id: str
    status: str
    metrics: dict = None
    hyperparameters: object = None
    message: str = None
    retryable: bool = True
    fatal: type = None
    seconds: float = 0.0
    reports: int = 0


class WorkerOracle:
    """Stands in for the oracle inside a worker: reports go to the driver's.

    The space and the objective are read-only copies; ``report`` and Keras
    Tuner's ``update_trial`` send the metrics through :attr:`channel` and
    return the driver's latest answer for the trial (RUNNING or STOPPED).
    """

    def __init__(self, oracle):
        self.objective = oracle.objective
        self.hyperparameters = oracle.hyperparameters.copy()
        self.max_trials = oracle.max_trials
        self.channel = None
        self.sent = 0

    def report(self, trial_id, step=0, **metrics):
        self.sent += 1
        return self.channel.send(trial_id, step, {name: float(v) for name, v in metrics.items()})

    def update_trial(self, trial_id, metrics, step=0):
        return self.report(trial_id, step, **metrics)

    def get_space(self):
        return self.hyperparameters.copy()


class TrialRunner:
    """Calls ``tuner.run_trial(trial, *fit_args, **fit_kwargs)`` and packs the outcome.

    Attributes:
        channel: Where a worker's reports go; set by a remote executor.
    """

    def __init__(self, tuner, fit_args, fit_kwargs):
        self.tuner = tuner
        self.fit_args = fit_args
        self.fit_kwargs = fit_kwargs
        self.channel = None

    def __call__(self, trial):
        oracle = self.tuner.oracle
        remote = isinstance(oracle, WorkerOracle)
        if remote:
            oracle.channel, oracle.sent = self.channel, 0
        outcome = TrialOutcome(trial.trial_id, TrialStatus.COMPLETED)
        start = time.perf_counter()
        try:
            with self.tuner.trial_scope():
                results = self.tuner.run_trial(trial, *self.fit_args, **self.fit_kwargs)
            try:
                outcome.metrics = self.tuner.results_to_metrics(results)
            except TypeError as exc:  # a programming error: every trial would fail the same way
                outcome.status, outcome.retryable, outcome.fatal = TrialStatus.FAILED, False, FatalTypeError
                outcome.message = str(exc)
        except OversizedModelError as exc:
            outcome.status, outcome.retryable, outcome.message = TrialStatus.INVALID, False, str(exc)
        except FailedTrialError:
            outcome.status, outcome.retryable = TrialStatus.FAILED, False
            outcome.message = traceback.format_exc()
        except FatalError as exc:
            outcome.status, outcome.retryable, outcome.fatal = TrialStatus.FAILED, False, type(exc)
            outcome.message = traceback.format_exc()
        except Exception:
            outcome.status = TrialStatus.FAILED
            outcome.message = traceback.format_exc()
        outcome.seconds = time.perf_counter() - start
        if remote:
            outcome.reports = oracle.sent
            outcome.hyperparameters = trial.hyperparameters
        return outcome
