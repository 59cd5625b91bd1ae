"""A trial: one configuration of hyperparameters and what it measured."""

import math

from tunecore.hyperparameters import HyperParameters


class TrialStatus:
    """Keras Tuner's trial states, as plain strings."""

    RUNNING = "RUNNING"
    IDLE = "IDLE"
    INVALID = "INVALID"
    STOPPED = "STOPPED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    FINISHED = (INVALID, STOPPED, COMPLETED, FAILED)


class MetricsTracker:
    """Every value of every metric, by step.

    ``history[name]`` is a list of ``[step, value]`` pairs in the order reported;
    reporting the same step again replaces its value.
    """

    def __init__(self, history=None):
        self.history = {name: [list(p) for p in pairs] for name, pairs in (history or {}).items()}

    def update(self, name, value, step=0):
        pairs = self.history.setdefault(name, [])
        value = float(value)
        if pairs and pairs[-1][0] == step:
            pairs[-1][1] = value
        else:
            pairs.append([int(step), value])

    def update_all(self, metrics, step=0):
        for name, value in metrics.items():
            self.update(name, value, step)

    def clear(self):
        self.history = {}

    def exists(self, name):
        return name in self.history

    def get_history(self, name):
        return [tuple(p) for p in self.history.get(name, [])]

    def get_last_value(self, name):
        pairs = self.history.get(name)
        return pairs[-1][1] if pairs else None

    def get_best_value(self, name, direction="min"):
        values = [v for _, v in self.history.get(name, []) if not math.isnan(v)]
        if not values:
            return None
        return max(values) if direction == "max" else min(values)

    def at_step(self, step):
        """All metrics reported at ``step``."""
        return {
            name: value
            for name, pairs in self.history.items()
            for s, value in pairs
            if s == step
        }

    def steps(self):
        return sorted({s for pairs in self.history.values() for s, _ in pairs})

    def get_config(self):
        return {"history": self.history}

    @classmethod
    def from_config(cls, config):
        return cls(config.get("history"))


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
    every transition (see :func:`tunecore.ledger.transition`).
    """

    def __init__(self, hyperparameters, trial_id=None, status=TrialStatus.RUNNING, tuner_id=None):
        self._build = None
        self.hyperparameters = hyperparameters
        self.trial_id = trial_id
        self.status = status
        self.tuner_id = tuner_id
        self.metrics = MetricsTracker()
        self.score = None
        self.best_step = None
        self.message = None
        self.attempts = 0
        self.retryable = True
        self.created_at = self.started_at = self.ended_at = None

    @property
    def hyperparameters(self):
        """The trial's :class:`~tunecore.HyperParameters` (its values: ``.values``)."""
        if self._build is not None:
            self._hyperparameters, self._build = self._build(), None
        return self._hyperparameters

    @hyperparameters.setter
    def hyperparameters(self, hyperparameters):
        self._hyperparameters, self._build = hyperparameters, None

    def defer_hyperparameters(self, build):
        """Build :attr:`hyperparameters` with ``build()`` when first read (a resume reads thousands)."""
        self._build = build

    def summary(self):
        """Print the trial's hyperparameters and score, as Keras Tuner does."""
        print(f"Trial {self.trial_id} summary")
        print("Hyperparameters:")
        for name, value in self.hyperparameters.values.items():
            print(f"{name}: {value}")
        if self.score is not None:
            print(f"Score: {self.score}")
        if self.message:
            print(self.message)

    def get_state(self):
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

    def set_state(self, state):
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
    def from_state(cls, state):
        trial = cls(HyperParameters())
        trial.set_state(state)
        return trial

    def __repr__(self):
        return (
            f"Trial(trial_id={self.trial_id!r}, status={self.status!r}, "
            f"score={self.score!r}, values={self.hyperparameters.values!r})"
        )
