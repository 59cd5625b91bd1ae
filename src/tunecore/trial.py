"""A trial: one configuration of hyperparameters and what it measured."""

import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from tunecore.hyperparameters import HyperParameters
from tunecore.objective import infer_direction


class TrialStatus:
    """Keras Tuner's trial states, as plain strings."""

    RUNNING = "RUNNING"
    IDLE = "IDLE"
    INVALID = "INVALID"
    STOPPED = "STOPPED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    FINISHED = (INVALID, STOPPED, COMPLETED, FAILED)


class MetricObservation:
    """A metric's value(s) at one step: one per execution reported at that step.

    Keras Tuner's class. It also unpacks, indexes and compares as ``(step, mean)``,
    so ``for step, value in trial.metrics.get_history("loss")`` works.

    Args:
        value: A float or a list of floats.
        step: The step (an epoch, a rung).
    """

    def __init__(self, value: float | list[float] | tuple[float, ...], step: int) -> None:
        self.value: list[float] = list(value) if isinstance(value, (list, tuple)) else [value]
        self.step = step

    def append(self, value: float | list[float] | tuple[float, ...]) -> None:
        self.value += list(value) if isinstance(value, (list, tuple)) else [value]

    def mean(self) -> float:
        return sum(self.value) / len(self.value)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value, "step": self.step}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "MetricObservation":
        return cls(**config)

    def __iter__(self) -> Iterator[float]:
        return iter((self.step, self.mean()))

    def __getitem__(self, index: int) -> float:
        return (self.step, self.mean())[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MetricObservation):
            return other.value == self.value and other.step == self.step
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    def __repr__(self) -> str:
        return f"MetricObservation(value={self.value}, step={self.step})"


class MetricHistory:
    """Every observation of one metric, by step, and which way is better.

    Args:
        direction: ``"min"`` or ``"max"``.
    """

    def __init__(self, direction: str = "min") -> None:
        if direction not in ("min", "max"):
            raise ValueError(f"direction must be 'min' or 'max'; got {direction!r}.")
        self.direction = direction
        self._observations: dict[int, MetricObservation] = {}

    def update(self, value: float | list[float] | tuple[float, ...], step: int) -> None:
        if step in self._observations:
            self._observations[step].append(value)
        else:
            self._observations[step] = MetricObservation(value, step=step)

    def replace(self, value: float, step: int) -> None:
        """Make ``value`` the only observation at ``step`` (a final result, not another execution)."""
        self._observations[step] = MetricObservation(value, step=step)

    def get_history(self) -> list[MetricObservation]:
        return sorted(self._observations.values(), key=lambda obs: obs.step)

    def set_history(self, observations: Iterable[MetricObservation]) -> None:
        for obs in observations:
            self.update(obs.value, step=obs.step)

    def get_best_value(self) -> float | None:
        best = self._best()
        return None if best is None else best.mean()

    def get_best_step(self) -> int | None:
        best = self._best()
        return None if best is None else best.step

    def get_last_value(self) -> float | None:
        history = self.get_history()
        return history[-1].mean() if history else None

    def get_statistics(self) -> dict[str, float]:
        values = [v for v in (obs.mean() for obs in self.get_history()) if not math.isnan(v)]
        if not values:
            return {}
        mean = sum(values) / len(values)
        ordered = sorted(values)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        var = sum((v - mean) ** 2 for v in values) / len(values)
        return {"min": min(values), "max": max(values), "mean": mean, "median": median,
                "var": var, "std": math.sqrt(var)}

    def _best(self) -> MetricObservation | None:
        best = None
        for obs in self._observations.values():
            value = obs.mean()
            if math.isnan(value):
                continue
            if best is None or (value > best.mean() if self.direction == "max" else value < best.mean()):
                best = obs
        return best

    def get_config(self) -> dict[str, Any]:
        return {"direction": self.direction, "observations": [o.get_config() for o in self.get_history()]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "MetricHistory":
        history = cls(config["direction"])
        history.set_history([MetricObservation.from_config(o) for o in config["observations"]])
        return history


class MetricsTracker:
    """Every metric a trial reported: Keras Tuner's ``MetricsTracker``.

    ``metrics`` maps names to :class:`MetricHistory`. A metric's direction is
    the objective's for an objective metric (set by the oracle), else inferred
    from its name (``"val_accuracy"``: max), else ``"min"``. Reporting a step
    again adds an observation to it (Keras Tuner's executions); its value is
    their mean. A told final result replaces the values at its step instead.

    Args:
        metrics: Names (or objects with a ``name``) to register up front.
    """

    def __init__(self, metrics: Iterable[Any] | None = None) -> None:
        self.metrics: dict[str, MetricHistory] = {}
        for metric in metrics or []:
            self.register(getattr(metric, "name", metric))

    def exists(self, name: str) -> bool:
        return name in self.metrics

    def register(self, name: str, direction: str | None = None) -> None:
        """Add a metric. Raises ValueError if it exists."""
        if self.exists(name):
            raise ValueError(f"Metric already exists: {name}")
        if direction is None:
            direction = infer_direction(name) or "min"
        self.metrics[name] = MetricHistory(direction)

    def update(self, name: str, value: float, step: int = 0) -> bool:
        """Record ``value`` at ``step``; returns whether the best value changed."""
        if not self.exists(name):
            self.register(name)
        history = self.metrics[name]
        before = history.get_best_value()
        history.update(float(value), step=int(step))
        return history.get_best_value() != before

    def update_all(self, metrics: dict[str, float], step: int = 0) -> None:
        for name, value in metrics.items():
            self.update(name, value, step)

    def clear(self) -> None:
        self.metrics = {}

    def get_history(self, name: str) -> list[MetricObservation]:
        return self._history(name).get_history()

    def set_history(self, name: str, observations: Iterable[MetricObservation]) -> None:
        if not self.exists(name):
            self.register(name)
        self.metrics[name].set_history(observations)

    def get_best_value(self, name: str) -> float | None:
        return self._history(name).get_best_value()

    def get_best_step(self, name: str) -> int | None:
        return self._history(name).get_best_step()

    def get_statistics(self, name: str) -> dict[str, float]:
        return self._history(name).get_statistics()

    def get_last_value(self, name: str) -> float | None:
        return self._history(name).get_last_value()

    def get_direction(self, name: str) -> str:
        return self._history(name).direction

    def at_step(self, step: int) -> dict[str, float]:
        """Every metric's value (mean of its observations) at ``step``."""
        found: dict[str, float] = {}
        for name, history in self.metrics.items():
            obs = history._observations.get(step)
            if obs is not None:
                found[name] = obs.mean()
        return found

    def steps(self) -> list[int]:
        return sorted({step for history in self.metrics.values() for step in history._observations})

    def get_config(self) -> dict[str, Any]:
        return {"metrics": {name: history.get_config() for name, history in self.metrics.items()}}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "MetricsTracker":
        tracker = cls()
        tracker.metrics = {
            name: MetricHistory.from_config(history) for name, history in config["metrics"].items()
        }
        return tracker

    def _history(self, name: str) -> MetricHistory:
        if name not in self.metrics:
            raise ValueError(f"Unknown metric: {name}. Reported: {sorted(self.metrics) or 'none'}.")
        return self.metrics[name]


class Trial:
    """One evaluation of a configuration.

    Attributes:
        trial_id: Unique id within the project (zero-padded string).
        hyperparameters: The :class:`HyperParameters` of this trial.
        status: One of :class:`TrialStatus`.
        metrics: A :class:`MetricsTracker` with every reported step.
        score: The objective's best value, set when the trial ends.
        best_step: The step at which ``score`` was reached.
        message: Why the trial failed (its traceback), if it did.
        attempts: How many times the trial was started (retries included).
        created_at, started_at, ended_at: When the trial was created, last
            started and ended (seconds since the epoch, or None).

    A trial's status changes only through its oracle's lifecycle
    (:meth:`~tunecore.oracles.Oracle.ask`, ``report``, ``tell``), which checks
    every transition (see :meth:`tunecore.ledger.TrialRecord.transition`).
    """

    def __init__(self, hyperparameters: HyperParameters, trial_id: str | None = None,
                 status: str = TrialStatus.RUNNING, tuner_id: str | None = None,
                 message: str | None = None) -> None:
        self._build: Callable[[], HyperParameters] | None = None
        self.hyperparameters = hyperparameters
        self.trial_id = uuid.uuid4().hex if trial_id is None else trial_id
        self.status = status
        self.tuner_id = tuner_id
        self.metrics = MetricsTracker()
        self.score: float | None = None
        self.best_step: int | None = None
        self.message = message
        self.attempts = 0
        self.retryable = True
        self.created_at: float | None = None
        self.started_at: float | None = None
        self.ended_at: float | None = None

    @property
    def hyperparameters(self) -> HyperParameters:
        """The trial's :class:`~tunecore.HyperParameters` (its values: ``.values``)."""
        if self._build is not None:
            self._hyperparameters, self._build = self._build(), None
        return self._hyperparameters

    @hyperparameters.setter
    def hyperparameters(self, hyperparameters: HyperParameters) -> None:
        self._hyperparameters, self._build = hyperparameters, None

    def defer_hyperparameters(self, build: Callable[[], HyperParameters]) -> None:
        """Build :attr:`hyperparameters` with ``build()`` when first read (a resume reads thousands)."""
        self._build = build

    def summary(self) -> None:
        """Print the trial's hyperparameters and score, as Keras Tuner does."""
        print(f"Trial {self.trial_id} summary")
        print("Hyperparameters:")
        self.display_hyperparameters()
        if self.score is not None:
            print(f"Score: {self.score}")
        if self.message:
            print(self.message)

    def display_hyperparameters(self) -> None:
        """Print ``name: value`` per hyperparameter, or Keras Tuner's "default configuration"."""
        print("\n".join(value_lines(self.hyperparameters.values)))

    def get_state(self) -> dict[str, Any]:
        return {
            "trial_id": self.trial_id,
            "hyperparameters": self.hyperparameters.get_config(),
            "status": self.status,
            "tuner_id": self.tuner_id,
            "metrics": self.metrics.get_config(),
            "score": self.score,
            "best_step": self.best_step,
            "message": self.message,
            "attempts": self.attempts,
            "retryable": self.retryable,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.trial_id = state["trial_id"]
        self.hyperparameters = HyperParameters.from_config(state["hyperparameters"])
        self.status = state["status"]
        self.tuner_id = state.get("tuner_id")
        self.metrics = MetricsTracker.from_config(state["metrics"])
        self.score = state["score"]
        self.best_step = state["best_step"]
        self.message = state["message"]
        self.attempts = state.get("attempts", 0)
        self.retryable = state.get("retryable", True)
        self.created_at = state.get("created_at")
        self.started_at = state.get("started_at")
        self.ended_at = state.get("ended_at")

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Trial":
        trial = cls(HyperParameters())
        trial.set_state(state)
        return trial

    def __repr__(self) -> str:
        return (
            f"Trial(trial_id={self.trial_id!r}, status={self.status!r}, "
            f"score={self.score!r}, values={self.hyperparameters.values!r})"
        )


def value_lines(values: dict[str, Any]) -> list[str]:
    """The lines Keras Tuner prints for a trial's values: ``name: value`` each, or "default configuration"."""
    return [f"{name}: {value}" for name, value in values.items()] or ["default configuration"]
