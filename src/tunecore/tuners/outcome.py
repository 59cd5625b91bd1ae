"""Running one trial with a tuner, in the driver or in a worker.

Metrics reach the oracle one way wherever a trial runs: ``report`` calls while
it runs (live), then its final result in a :class:`TrialOutcome`. In the
driver, ``tuner.oracle`` is the oracle itself. In a worker, it is a
:class:`WorkerOracle` that sends each report through the executor's channel
(:class:`~tunecore.executors.runner.ReportChannel`) to the driver, which hands it to
the oracle as it arrives and answers with the oracle's decision (STOPPED).
"""

import linecache
import numbers
import pickle
import re
import time
import traceback
import types
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tunecore.errors import (
    FailedTrialError,
    FatalError,
    FatalProjectError,
    FatalTypeError,
    FatalValueError,
    InvalidSpaceError,
    OversizedModelError,
    ProjectError,
    TrialStopped,
)
from tunecore.executors.runner import ReportChannel, TrialOutcome
from tunecore.objective import to_metrics
from tunecore.signatures import binding_error
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
        # A report that is not numbers is a bug every trial would repeat: it stops the search.
        if isinstance(step, bool) or not (
            isinstance(step, numbers.Integral) or (isinstance(step, float) and float(step).is_integer())
        ):
            raise FatalTypeError(
                f"trial.report(step, ...) takes the step as an integer (the epoch or iteration); "
                f"got step={step!r} of type {type(step).__name__}."
            )
        try:
            to_metrics(metrics, self._oracle.objective)
        except TypeError as exc:
            raise FatalTypeError(f"trial.report(step={step!r}, ...): {exc}") from None
        if self._oracle.report(self.trial_id, int(step), **metrics) == TrialStatus.STOPPED:
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
            mismatch = binding_error(self.tuner.run_trial, (trial, *self.fit_args), self.fit_kwargs)
            if mismatch is not None:  # every trial would fail the same way
                raise FatalTypeError(
                    f"{type(self.tuner).__name__}.run_trial cannot be called with the search's arguments: "
                    f"{mismatch}. It is called as run_trial(trial, *args, **kwargs) with the arguments given "
                    "to search(*args, **kwargs): pass what it needs there."
                )
            with self.tuner.trial_scope():
                results = self.tuner.run_trial(trial, *self.fit_args, **self.fit_kwargs)
            if not remote and oracle.updated_directly(trial.trial_id):
                warnings.warn(_UPDATE_TRIAL_DEPRECATED, DeprecationWarning, stacklevel=2)
            try:
                outcome.metrics = self.tuner.results_to_metrics(results)
            except TypeError as exc:  # a programming error: every trial would fail the same way
                outcome.status, outcome.retryable, outcome.fatal = TrialStatus.FAILED, False, FatalTypeError
                outcome.message = str(exc)
            if outcome.metrics is None:
                outcome.returned = _describe_empty(results)
        except TrialStopped as exc:
            outcome.status, outcome.retryable, outcome.message = TrialStatus.STOPPED, False, str(exc) or None
        except OversizedModelError as exc:
            outcome.status, outcome.retryable, outcome.message = TrialStatus.INVALID, False, str(exc)
        except FailedTrialError:
            outcome.status, outcome.retryable = TrialStatus.FAILED, False
            outcome.message = traceback.format_exc()
        except FatalError as exc:
            self._fatal(outcome, exc, type(exc))
        except ProjectError as exc:  # the project refuses a trial's file: retrying meets it again
            self._fatal(outcome, exc, FatalProjectError)
        except InvalidSpaceError as exc:
            # A definition the trial made is invalid (a range, a reserved name...): every
            # trial would repeat it, so it stops the search instead of being retried.
            self._fatal(outcome, exc, FatalTypeError if isinstance(exc, TypeError) else FatalValueError)
        except Exception:
            outcome.status = TrialStatus.FAILED
            outcome.message = traceback.format_exc()
        outcome.seconds = time.perf_counter() - start
        if remote:
            outcome.reports = oracle.sent
            outcome.hyperparameters = trial.hyperparameters
        return outcome

    def _fatal(self, outcome: TrialOutcome, exc: BaseException, fatal: type[FatalError]) -> None:
        outcome.status, outcome.retryable = TrialStatus.FAILED, False
        outcome.message = traceback.format_exc()
        if self.channel is None:  # in the driver: the search's error is chained to this one
            outcome.fatal, outcome.error = fatal, exc
        else:  # the outcome goes back to the driver, which must be able to import the class
            outcome.fatal = _importable(fatal)


def _importable(fatal: type[FatalError]) -> type[FatalError]:
    """``fatal``, or its nearest base of :mod:`tunecore.errors` if it cannot be pickled by reference.

    A user's own ``FatalError`` subclass defined in ``__main__`` or a notebook
    is recreated by value in a worker, so it has no name the driver can load;
    the trial's traceback (the message) still names it.
    """
    try:
        pickle.dumps(fatal)
        return fatal
    except Exception:  # noqa: BLE001 - whatever pickling refuses
        return next(c for c in fatal.__mro__ if c.__module__ == FatalError.__module__ and issubclass(c, FatalError))


def _describe_empty(results: Any) -> str:
    """``results`` that hold no metrics (None, ``[]``, ``[None]``...), in words for a message."""
    if results is None:
        return "None"
    if isinstance(results, (list, tuple)):
        kind = type(results).__name__
        if not results:
            return f"an empty {kind}"
        return f"a {kind} of {', '.join(sorted({_describe_empty(r) for r in results}))}"
    return repr(results)


_DYNAMIC_FRAME = re.compile(r'^  File "<dynamic-code>", line (\d+), in (\S+)$')


def resolve_remote_traceback(text: str, functions: Iterable[Any]) -> str:
    """A worker's traceback with the user's own frames named again.

    cloudpickle ships functions defined in ``__main__`` or a notebook by value
    and names their file ``<dynamic-code>``, so a worker's traceback loses the
    user's file and line. The driver still has the functions: a frame whose
    name and line match exactly one of theirs (or of the functions their module
    defines) gets its file and source line back.

    Args:
        text: The traceback, as ``traceback.format_exc()`` wrote it in the worker.
        functions: The callables a trial runs (the tuned function, a hypermodel's methods).
    """
    if "<dynamic-code>" not in text:
        return text
    codes = _user_codes(functions)
    lines = []
    for line in text.splitlines():
        match = _DYNAMIC_FRAME.match(line)
        found = None
        if match:
            number, name = int(match.group(1)), match.group(2)
            candidates = {
                code.co_filename for code in codes
                if code.co_name == name and number in {n for _, _, n in code.co_lines() if n is not None}
            }
            found = candidates.pop() if len(candidates) == 1 else None
        if found is None:
            lines.append(line)
            continue
        lines.append(f'  File "{found}", line {number}, in {name}')
        source = linecache.getline(found, number).strip()
        if source:
            lines.append(f"    {source}")
    return "\n".join(lines) + "\n"


def _user_codes(functions: Iterable[Any]) -> list[types.CodeType]:
    """The code objects of ``functions``, of the functions their modules define, and nested ones."""
    roots: list[Any] = []
    for function in functions:
        function = getattr(function, "__func__", function)
        code = getattr(function, "__code__", None)
        if code is None:
            continue
        roots.append(code)
        for value in list(getattr(function, "__globals__", {}).values()):
            inner = getattr(getattr(value, "__func__", value), "__code__", None)
            if inner is not None and inner.co_filename == code.co_filename:
                roots.append(inner)
    codes, seen = [], set()
    while roots:
        code = roots.pop()
        if id(code) in seen:
            continue
        seen.add(id(code))
        codes.append(code)
        roots.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return codes
