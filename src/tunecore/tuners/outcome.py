"""Running one trial, in the driver or in a worker, and what comes back."""

import dataclasses
import numbers
import time
import traceback

from tunecore.errors import FailedTrialError, FatalError
from tunecore.trial import TrialStatus


@dataclasses.dataclass
class TrialOutcome:
    """What a finished trial sends back to the driver.

    Attributes:
        trial_id: The trial.
        status: COMPLETED, FAILED, INVALID or STOPPED.
        metrics: What ``run_trial`` returned, as a dict of floats (or None).
        updates: ``(step, metrics)`` reported while running, when it ran remotely.
        hyperparameters: The trial's hyperparameters at the end (it may declare new ones).
        message: The traceback of a failure.
        retryable: Whether a failure may be retried.
        fatal: Whether the search must stop.
        seconds: Wall time of ``run_trial``.
    """

    trial_id: str
    status: str
    metrics: dict = None
    updates: list = dataclasses.field(default_factory=list)
    hyperparameters: object = None
    message: str = None
    retryable: bool = True
    fatal: bool = False
    seconds: float = 0.0


class ReportingOracle:
    """Stands in for the oracle inside a worker process.

    ``update_trial`` calls are recorded and replayed into the real oracle by the
    driver when the outcome arrives; the space and objective are read-only copies.
    """

    def __init__(self, oracle):
        self.objective = oracle.objective
        self.hyperparameters = oracle.hyperparameters.copy()
        self.max_trials = oracle.max_trials
        self.updates = []

    def update_trial(self, trial_id, metrics, step=0):
        self.updates.append((step, dict(metrics)))
        return TrialStatus.RUNNING

    def get_space(self):
        return self.hyperparameters.copy()


class TrialRunner:
    """Calls ``tuner.run_trial(trial, *fit_args, **fit_kwargs)`` and packs the outcome."""

    def __init__(self, tuner, fit_args, fit_kwargs):
        self.tuner = tuner
        self.fit_args = fit_args
        self.fit_kwargs = fit_kwargs

    def __call__(self, trial):
        oracle = self.tuner.oracle
        remote = isinstance(oracle, ReportingOracle)
        if remote:
            oracle.updates = []
        outcome = TrialOutcome(trial.trial_id, TrialStatus.COMPLETED)
        start = time.perf_counter()
        try:
            with self.tuner._trial_scope():
                results = self.tuner.run_trial(trial, *self.fit_args, **self.fit_kwargs)
            outcome.metrics = self.tuner._convert_results(results)
            if trial.status != TrialStatus.RUNNING:
                outcome.status, outcome.message = trial.status, trial.message
        except FailedTrialError:
            outcome.status, outcome.retryable = TrialStatus.FAILED, False
            outcome.message = traceback.format_exc()
        except FatalError:
            outcome.status, outcome.retryable, outcome.fatal = TrialStatus.FAILED, False, True
            outcome.message = traceback.format_exc()
        except Exception:
            outcome.status = TrialStatus.FAILED
            outcome.message = traceback.format_exc()
        outcome.seconds = time.perf_counter() - start
        if remote:
            outcome.updates = oracle.updates
            outcome.hyperparameters = trial.hyperparameters
        return outcome


def convert_results(results, objective):
    """Keras Tuner's conversion of what ``run_trial`` returns into a metrics dict.

    A number is the objective's value; a dict is taken as is; a list (one entry
    per execution) is averaged. None means the trial reported its metrics itself.
    """
    if results is None:
        return None
    if isinstance(results, numbers.Real):
        return {objective.name: float(results)}
    if isinstance(results, dict):
        return {name: float(value) for name, value in results.items()}
    if isinstance(results, (list, tuple)):
        converted = [convert_results(r, objective) for r in results]
        names = set.intersection(*(set(c) for c in converted))
        return {name: sum(c[name] for c in converted) / len(converted) for name in names}
    raise TypeError(
        "run_trial must return a number, a dict of metrics, a list of those, or None; "
        f"got {type(results).__name__}: {results!r}."
    )
