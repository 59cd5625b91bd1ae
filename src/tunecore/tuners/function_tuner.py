"""Tune a plain function ``fn(hp) -> float | dict``, no subclass needed."""

import difflib
import inspect
import os
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tunecore import oracles
from tunecore.callbacks import Callback
from tunecore.errors import FatalTypeError, InvalidArgumentError
from tunecore.objective import DEFAULT_OBJECTIVE, Objective
from tunecore.signatures import accepts_keyword, binding_error, names_parameter
from tunecore.storage import InMemoryStorage, Storage
from tunecore.trial import Trial, TrialStatus
from tunecore.tuners.base_tuner import BaseTuner
from tunecore.tuners.outcome import RunningTrial


_SEARCH_OPTIONS = [
    "executor", "max_parallel_trials", "timeout", "trial_timeout", "callbacks", "cancel_running", "ask_ahead",
    "initial_points",
]


class FunctionTuner(BaseTuner):
    """Tunes ``fn(hp, *args, **kwargs)``, which returns the objective or a dict of metrics.

    A function with a parameter named ``trial`` (second, ``fn(hp, trial, *args)``,
    or keyword) gets a :class:`~tunecore.tuners.outcome.RunningTrial`: ``trial.report(step, **metrics)``
    records intermediate values (so the trial can be pruned, and has a
    learning curve) and raises :class:`~tunecore.errors.TrialStopped` when the
    search wants it stopped.

    Args:
        fn: The function to tune. It declares its hyperparameters as it runs.
        objective: The metric to optimise (default: the returned number, minimised).
        max_trials: How many trials to run.
        oracle: A registered oracle name (``"random"``, ``"grid"``, ``"bayesian"``...)
            or an :class:`~tunecore.oracles.Oracle` instance.
        directory: Keep the project under ``directory/project_name`` (default:
            in memory only).
        storage: Keep the project in a database instead: a URL
            (``"sqlite:///runs.db"``, ``"postgresql://..."``) or a
            :class:`~tunecore.storage.Storage`; ``project_name`` names the
            search in it, and every process started with the same two shares it.
        **oracle_kwargs: Passed to the oracle (``seed``, ``hyperparameters``...).
    """

    discover_space_by_building = False

    def __init__(
        self,
        fn: Callable[..., Any],
        objective: str | Objective | Sequence[str | Objective] | None = None,
        max_trials: int | None = None,
        oracle: str | oracles.Oracle = "random",
        directory: str | os.PathLike[str] | None = None,
        project_name: str | None = None,
        overwrite: bool = False,
        storage: Storage | str | None = None,
        **oracle_kwargs: Any,
    ) -> None:
        self.fn = fn
        self._called_by_tune = False
        try:
            instance = oracles.create(oracle, objective=objective, max_trials=max_trials, **oracle_kwargs)
        except TypeError as exc:
            unexpected = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
            if unexpected is None:
                raise
            name = unexpected.group(1)
            known = list(oracles.ORACLE_ARGUMENTS) + _SEARCH_OPTIONS + ["directory", "project_name", "overwrite", "storage"]
            close = difflib.get_close_matches(name, known, n=1)
            raise InvalidArgumentError(
                f"Unknown argument {name!r}: it is neither a search option ({', '.join(_SEARCH_OPTIONS)}) "
                f"nor an argument of the oracle {oracle!r}."
                + (f" Did you mean {close[0]!r}?" if close else "")
            ) from None
        super().__init__(
            instance, directory=directory, project_name=project_name, overwrite=overwrite,
            storage=storage if storage is not None or directory is not None else InMemoryStorage(),
        )
        if instance.pruner is not None and callable(fn) and not names_parameter(fn, "trial"):
            name = instance.objective.name if isinstance(instance.objective, Objective) else DEFAULT_OBJECTIVE
            report = "loss" if name == DEFAULT_OBJECTIVE else name
            warnings.warn(
                f"The pruner {instance.pruner!r} can never stop a trial of this search: the tuned function "
                f"{getattr(fn, '__qualname__', fn)!r} has no `trial` parameter, so its trials report nothing "
                f"while they run, and a pruner acts on those reports. To prune, write it as fn(hp, trial) and "
                f"call trial.report(step, {report}=...) as it runs"
                + (" (and name the objective: objective='loss')." if name == DEFAULT_OBJECTIVE else "."),
                UserWarning, stacklevel=_caller_level(),
            )

    def _interrupted_line(self) -> str:
        storage = self.oracle.ledger.storage
        if self._called_by_tune and storage.project_dir is None and not storage.shared:
            # tune() raised, so the caller has no tuner to call search() on again
            ended = sum(t.status in TrialStatus.FINISHED for t in self.oracle.trials.values())
            return (
                f"Search interrupted: its {ended} ended trials were kept in memory only, and tune() "
                "returns no tuner after Ctrl-C; pass directory= to keep a project you can resume."
            )
        return super()._interrupted_line()

    def _trial_source(self) -> str:
        return f"the tuned function {getattr(self.fn, '__qualname__', self.fn)!r}"

    def fit_target(self) -> Callable[..., Any]:
        return self.fn

    def run_trial(self, trial: Trial, *args: Any, **kwargs: Any) -> Any:
        if not callable(self.fn):
            hint = f" To name the metric to optimise, pass objective={self.fn!r}." if isinstance(self.fn, str) else ""
            raise FatalTypeError(
                f"tune() and FunctionTuner tune a function fn(hp) that returns the objective; got "
                f"{self.fn!r} of type {type(self.fn).__name__}, which cannot be called.{hint}"
            )
        if inspect.iscoroutinefunction(self.fn) or inspect.isasyncgenfunction(self.fn):
            raise FatalTypeError(
                f"{self._trial_source()[0].upper()}{self._trial_source()[1:]} is an async function: calling it "
                "returns a coroutine, not the objective. Tune a plain function that runs it, e.g. "
                "lambda hp: asyncio.run(fn(hp))."
            )
        if not accepts_keyword(self.fn, "verbose"):
            kwargs.pop("verbose", None)
        call_args: tuple[Any, ...] = (trial.hyperparameters, *args)
        if names_parameter(self.fn, "trial"):
            handle = RunningTrial(self.oracle, trial)
            if _second_parameter(self.fn) == "trial":  # fn(hp, trial, *args)
                call_args = (trial.hyperparameters, handle, *args)
            else:
                kwargs["trial"] = handle
        mismatch = binding_error(self.fn, call_args, kwargs)
        if mismatch is not None:  # every trial would fail the same way
            raise FatalTypeError(
                f"{self._trial_source()[0].upper()}{self._trial_source()[1:]} cannot be called with the "
                f"search's arguments: {mismatch}. It is called as fn(hp, *args, **kwargs) with the extra "
                "arguments given to tune(fn, *args, ...) or search(*args, **kwargs): pass what it needs there."
            )
        return self.fn(*call_args, **kwargs)


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the user's line, through ``tune()`` or not."""
    frame, level = inspect.currentframe(), 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    return level - 1


def _second_parameter(fn: Callable[..., Any]) -> str | None:
    positional = [
        p.name for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return positional[1] if len(positional) > 1 else None


def tune(fn: Callable[..., Any], *args: Any,
         objective: str | Objective | Sequence[str | Objective] | None = None,
         max_trials: int | None = None, oracle: str | oracles.Oracle = "random", executor: Any = None,
         max_parallel_trials: int | None = None, verbose: int = 1, timeout: float | None = None,
         trial_timeout: float | None = None, callbacks: Callback | Sequence[Any] | None = None,
         cancel_running: bool = False, ask_ahead: int | None = None,
         initial_points: Sequence[dict[str, Any]] | None = None, **kwargs: Any) -> FunctionTuner:
    """Tune ``fn(hp, *args)`` and return the :class:`FunctionTuner` after its search.

    ``executor``, ``max_parallel_trials``, ``timeout``, ``trial_timeout``,
    ``callbacks``, ``cancel_running``, ``ask_ahead`` and ``initial_points`` are
    :meth:`BaseTuner.search`'s; the
    other keyword arguments go to :class:`FunctionTuner` and its oracle
    (``seed``, ``pruner``, ``directory``...).

    Example:
        ```python
        def loss(hp, trial):
            x = hp.Float("x", -5, 5)
            for step in range(10):
                trial.report(step, loss=(x - 1) ** 2 + 1 / (step + 1))
            return (x - 1) ** 2

        tuner = tunecore.tune(loss, objective="loss", max_trials=30, pruner="median")
        tuner.get_best_hyperparameters()[0].values
        ```
    """
    tuner = FunctionTuner(fn, objective=objective, max_trials=max_trials, oracle=oracle, **kwargs)
    tuner._called_by_tune = True
    tuner.search(
        *args, executor=executor, max_parallel_trials=max_parallel_trials, verbose=verbose,
        timeout=timeout, trial_timeout=trial_timeout, callbacks=callbacks, cancel_running=cancel_running,
        ask_ahead=ask_ahead, initial_points=initial_points,
    )
    return tuner
