"""Running one trial with a tuner, in the driver or in a worker.

Metrics reach the oracle one way wherever a trial runs: ``report`` calls while
it runs (live), then its final result in a :class:`TrialOutcome`. In the
driver, ``tuner.oracle`` is the oracle itself. In a worker, it is a
:class:`WorkerOracle` that sends each report through the executor's channel
(:class:`~tunecore.executors.runner.ReportChannel`) to the driver, which hands it to
the oracle as it arrives and answers with the oracle's decision (STOPPED).
"""

import time
import traceback
import warnings
from typing import TYPE_CHECKING, Any

from tunecore.errors import FailedTrialError, FatalError, FatalTypeError, OversizedModelError, TrialStopped
from tunecore.executors.runner import ReportChannel, TrialOutcome
from tunecore.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from tunecore.hyperparameters import HyperParameters
    from tunecore.oracles.base import Oracle
    from tunecore.tuners.base_tuner import BaseTuner

_UPDATE_TRIAL_DEPRECATED = (
    "Calling `self.oracle.update_trial(trial_id, metrics)` in `run_trial()` to report metrics is "
    "deprecated, as in Keras Tuner: it skips the pruner and the search's stop requests. Please "
    "remove the call and return the metrics from `run_trial()`, or report them with "
    "`self.oracle.report(trial_id, step, **metrics)`."
)


class WorkerOracle:
    """Stands in for the oracle inside a worker: reports go to the driver's.

    The space and the objective are read-only copies; ``report`` and Keras
    Tuner's ``update_trial`` send the metrics through :attr:`channel` and
    return the driver's latest answer for the trial (RUNNING or STOPPED).
    """

    def __init__(self, oracle: "Oracle") -> None:
        self.objective = oracle.objective
        self.hyperparameters = oracle.hyperparameters.copy()
        self.max_trials = oracle.max_trials
        self.channel: ReportChannel | None = None
        self.sent = 0

    def report(self, trial_id: str, step: int = 0, **metrics: float) -> str:
        self.sent += 1
        assert self.channel is not None, "a remote executor sets the channel before trials run"
        return self.channel.send(trial_id, step, {name: float(v) for name, v in metrics.items()})

    def update_trial(self, trial_id: str, metrics: dict[str, float], step: int = 0) -> str:
        return self.report(trial_id, step, **metrics)

    def get_space(self) -> "HyperParameters":
        return self.hyperparameters.copy()


class RunningTrial:
    """The handle a function objective gets as its ``trial`` argument.

    Example:
        ```python
        def objective(hp, trial):
            model = make_model(hp)
            for epoch in range(20):
                loss = train_one_epoch(model)
                trial.report(epoch, loss=loss)  # raises TrialStopped when pruned
            return loss
        ```

    Attributes:
        trial_id: The trial's id.
        hyperparameters: Its :class:`~tunecore.HyperParameters`.
    """

    def __init__(self, oracle: "Oracle | WorkerOracle", trial: Trial) -> None:
        self._oracle = oracle
        self.trial_id = trial.trial_id
        self.hyperparameters = trial.hyperparameters

    def report(self, step: int, **metrics: float) -> None:
        """Record ``metrics`` at ``step`` (live, wherever the trial runs).

        Raises:
            TrialStopped: the search wants this trial stopped (its pruner, the
                oracle, ``trial_timeout``, or a cancelled search). Let it
                propagate (clean up in ``finally``); the trial ends with what
                it reported.
        """
        if self._oracle.report(self.trial_id, step, **metrics) == TrialStatus.STOPPED:
            raise TrialStopped(f"Trial {self.trial_id} was asked to stop at step {step}.")

    def __repr__(self) -> str:
        return f"RunningTrial({self.trial_id!r})"


class TunerRunner:
    """The search's :class:`~tunecore.executors.runner.TrialRunner`: calls
    ``tuner.run_trial(trial, *fit_args, **fit_kwargs)`` and packs the outcome.

    Attributes:
        channel: Where a worker's reports go; set by a remote executor.
    """

    def __init__(self, tuner: "BaseTuner", fit_args: tuple[Any, ...], fit_kwargs: dict[str, Any]) -> None:
        self.tuner = tuner
        self.fit_args = fit_args
        self.fit_kwargs = fit_kwargs
        self.channel: ReportChannel | None = None

    @property
    def tuner_id(self) -> str:
        return str(self.tuner.tuner_id)

    def __call__(self, trial: Trial) -> TrialOutcome:
        oracle: Any = self.tuner.oracle  # a WorkerOracle where a remote executor set the channel
        remote = self.channel is not None
        if remote:
            oracle.channel, oracle.sent = self.channel, 0
        outcome = TrialOutcome(trial.trial_id, TrialStatus.COMPLETED)
        start = time.perf_counter()
        try:
            with self.tuner.trial_scope():
                results = self.tuner.run_trial(trial, *self.fit_args, **self.fit_kwargs)
            if not remote and oracle.updated_directly(trial.trial_id):
                warnings.warn(_UPDATE_TRIAL_DEPRECATED, DeprecationWarning, stacklevel=2)
            try:
                outcome.metrics = self.tuner.results_to_metrics(results)
            except TypeError as exc:  # a programming error: every trial would fail the same way
                outcome.status, outcome.retryable, outcome.fatal = TrialStatus.FAILED, False, FatalTypeError
                outcome.message = str(exc)
        except TrialStopped as exc:
            outcome.status, outcome.retryable, outcome.message = TrialStatus.STOPPED, False, str(exc) or None
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
