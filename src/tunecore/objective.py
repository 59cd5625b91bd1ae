"""What a search optimises: a metric name and a direction."""

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from tunecore.errors import InvalidObjectiveError, InvalidObjectiveTypeError

# Words whose metric is minimised or maximised. A word also matches its plural.
_MINIMISED_WORDS = frozenset({
    "loss", "error", "mse", "mae", "mape", "msle", "rmse", "rmsle", "crossentropy", "hinge",
    "huber", "kld", "divergence", "deviance", "brier", "nll", "regret", "cost", "time",
    "latency", "perplexity", "ce", "false",  # ce: Keras's crossentropy alias; false_positives
})
_MAXIMISED_WORDS = frozenset({
    "accuracy", "acc", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou", "score", "map",
    "ndcg", "likelihood", "reward", "return", "sharpe",
})
# Each of these words negates the metric: scikit-learn's ``neg_mean_squared_error``
# is maximised, a ``negative_log_likelihood`` minimised.
_NEGATING_WORDS = frozenset({"neg", "negative"})

# Words: runs of capitals (AUC), capitalised or lower-case runs (camelCase), digits.
# Anything else (_ - / . space) separates them.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# The substring rule for names without a known word, kept for compounds
# ("logloss", "MeanIoU", "episode_rewards"), as before word matching existed.
_MINIMISED = re.compile(
    r"(loss|error|mse|mae|mape|msle|rmse|crossentropy|hinge|huber|kld|divergence|"
    r"regret|cost|time|latency|perplexity)"
)
_MAXIMISED = re.compile(
    r"(accuracy|acc|auc|precision|recall|f1|fbeta|r2|iou|score|map|ndcg|"
    r"likelihood|reward|return|sharpe)"
)


def _words(name):
    """The lower-cased words of a metric name, and each word glued to the digits after it."""
    matches = list(_WORD.finditer(name))
    words = [m.group().lower() for m in matches]
    for before, after in zip(matches, matches[1:]):
        if before.end() == after.start() and after.group().isdigit() and before.group().isalpha():
            words.append((before.group() + after.group()).lower())  # f1, r2
    return words


def _matches(word, vocabulary):
    if word in vocabulary:
        return True
    return word.endswith("s") and (word[:-1] in vocabulary or word[:-2] in vocabulary)


def _direction_by_substring(name):
    bare = name.lower()
    for prefix in ("val_", "test_", "train_"):
        if bare.startswith(prefix):
            bare = bare[len(prefix):]
    if _MINIMISED.search(bare):
        return "min"
    if _MAXIMISED.search(bare):
        return "max"
    return None


def infer_direction(name: Any) -> str | None:
    """Return ``"min"`` or ``"max"`` for a metric name, or None when unknown.

    The name is split into words (on ``_ - / .``, spaces, digits and camelCase;
    ``f1`` and ``r2`` stay words). A minimised word (``loss``, ``error``,
    ``time``...) decides first, then a maximised one (``accuracy``, ``auc``,
    ``score``...): ``last_timestep_accuracy`` is an accuracy. Each ``neg`` or
    ``negative`` word flips the direction, as scikit-learn's ``neg_*`` scorers
    (``neg_log_loss``: maximised) and ``negative_log_likelihood`` (minimised)
    mean. A name without a known word falls back to finding one inside its
    words (``logloss``, ``MeanIoU``).
    """
    if not isinstance(name, str):  # a metric function or object, as Keras Tuner accepts
        name = getattr(name, "__name__", None) or getattr(name, "name", None) or type(name).__name__
    words = _words(name)
    if any(_matches(word, _MINIMISED_WORDS) for word in words):
        direction = "min"
    elif any(_matches(word, _MAXIMISED_WORDS) for word in words):
        direction = "max"
    else:
        direction = _direction_by_substring(name)
    if direction is not None and sum(word in _NEGATING_WORDS for word in words) % 2:
        direction = "max" if direction == "min" else "min"
    return direction


class Objective:
    """A metric to optimise.

    Args:
        name: Metric name as reported by the trial, e.g. ``"val_accuracy"``.
        direction: ``"min"`` or ``"max"``.
    """

    name: str
    direction: str

    def __init__(self, name: str, direction: str) -> None:
        if direction not in ("min", "max"):
            raise InvalidObjectiveError(
                f"Objective {name!r} has direction {direction!r}; expected 'min' or 'max'."
            )
        self.name = name
        self.direction = direction

    @property
    def names(self) -> list[str]:
        """The metric names this objective reads."""
        return [self.name]

    def has_value(self, metrics: Mapping[str, Any]) -> bool:
        return all(name in metrics for name in self.names)

    def direction_of(self, name: str) -> str | None:
        """The direction of metric ``name``: this objective's if it reads it, else None."""
        for objective in getattr(self, "objectives", [self]):
            if objective.name == name:
                return objective.direction
        return None

    def get_value(self, metrics: Mapping[str, Any]) -> float:
        """The objective's value in a dict of metrics."""
        return float(metrics[self.name])

    def better_than(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than ``b``."""
        return a > b if self.direction == "max" else a < b

    def sort_key(self, value: float) -> float:
        """A key that sorts better values first."""
        return -value if self.direction == "max" else value

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "direction": self.direction}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Objective) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash(str(self.get_config()))

    def __repr__(self) -> str:
        return f'Objective(name="{self.name}", direction="{self.direction}")'


class MultiObjective(Objective):
    """Keras Tuner's weighted sum of several objectives, minimised.

    Maximised objectives enter the sum negated, so lower is always better.
    """

    objectives: list[Objective]

    def __init__(self, objectives: Iterable[Objective]) -> None:
        self.objectives = list(objectives)
        super().__init__("multi_objective", "min")

    @property
    def names(self) -> list[str]:
        return [o.name for o in self.objectives]

    def get_value(self, metrics: Mapping[str, Any]) -> float:
        return sum(
            -float(metrics[o.name]) if o.direction == "max" else float(metrics[o.name])
            for o in self.objectives
        )

    def get_config(self) -> dict[str, Any]:
        return {"objectives": [o.get_config() for o in self.objectives]}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MultiObjective):
            return NotImplemented
        key = lambda o: (o.name, o.direction)  # noqa: E731
        return sorted(map(key, self.objectives)) == sorted(map(key, other.objectives))

    def __hash__(self) -> int:
        return hash(frozenset((o.name, o.direction) for o in self.objectives))

    def __repr__(self) -> str:
        return f"Multi{super().__repr__()}: [{', '.join(map(repr, self.objectives))}]"


class Pareto(Objective):
    """Several objectives optimised together: the search looks for their Pareto front.

    A plain list of objectives keeps Keras Tuner's meaning (a weighted sum,
    :class:`MultiObjective`); ``Pareto`` is the explicit opt-in to
    multi-objective search:

    ```python
    tunecore.tune(fn, objective=tunecore.Pareto([
        tunecore.Objective("val_loss", "min"), tunecore.Objective("params", "min"),
    ]))
    ```

    A trial's values are those of its last step at which every objective was
    reported and finite (its final values, as Optuna's multi-objective studies
    keep). Its ``score`` is the first objective's value there, so that the
    progress display and code written for one objective keep working; the
    per-objective values are :meth:`get_values` of the metrics at
    ``trial.best_step``, or :meth:`tunecore.oracles.Oracle.objective_values`.

    ``get_best_trials(num_trials)`` returns the non-dominated (Pareto-optimal)
    feasible trials: see :meth:`tunecore.oracles.Oracle.get_best_trials`.

    Args:
        objectives: Two or more metric names or :class:`Objective` (a name's
            direction is inferred as for a single objective).

    Raises:
        InvalidObjectiveError: fewer than two objectives, or a name repeated.
    """

    objectives: list[Objective]

    def __init__(self, objectives: Iterable[Any]) -> None:
        parts = [create_objective(o) for o in objectives]
        if len(parts) < 2 or any(isinstance(o, MultiObjective) for o in parts):
            raise InvalidObjectiveError(
                f"Pareto takes two or more single objectives; got {objectives!r}."
            )
        names = [o.name for o in parts]
        if len(set(names)) != len(names):
            raise InvalidObjectiveError(f"Pareto objectives must have distinct names; got {names}.")
        self.objectives = parts
        super().__init__("pareto", parts[0].direction)

    @property
    def names(self) -> list[str]:
        return [o.name for o in self.objectives]

    def get_value(self, metrics: Mapping[str, Any]) -> float:
        """The first objective's value: a trial's ``score`` (see the class docstring)."""
        return float(metrics[self.objectives[0].name])

    def get_values(self, metrics: Mapping[str, Any]) -> tuple[float, ...]:
        """Each objective's value, in the objectives' order and own directions."""
        return tuple(float(metrics[o.name]) for o in self.objectives)

    def losses(self, values: Iterable[float]) -> tuple[float, ...]:
        """``values`` as losses: maximised objectives negated, so lower is better in each."""
        return tuple(-v if o.direction == "max" else v for o, v in zip(self.objectives, values))

    def get_config(self) -> dict[str, Any]:
        return {"pareto": [o.get_config() for o in self.objectives]}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pareto) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash(str(self.get_config()))

    def __repr__(self) -> str:
        return f"Pareto({self.objectives!r})"


def is_pareto(objective: object) -> TypeGuard[Pareto]:
    """Whether ``objective`` asks for a Pareto front (a :class:`Pareto`)."""
    return isinstance(objective, Pareto)


class Constraint:
    """A bound on a reported metric; a trial that breaks one is infeasible.

    Pass constraints to the oracle (``constraints=[...]``, an argument every
    oracle and tuner takes). A trial reports the metric like any other (return
    it in the dict of metrics); it is read at the trial's ``best_step``, or
    at its last report if it was not reported there. A trial that never
    reported it is infeasible. Infeasible trials are never best trials nor
    on a Pareto front; model-based oracles model the probability that a
    configuration is feasible.

    Args:
        name: The metric, e.g. ``"latency_ms"``.
        max: The largest feasible value (inclusive), or None.
        min: The smallest feasible value (inclusive), or None.

    Raises:
        InvalidObjectiveError: neither bound is given, or ``min > max``.
    """

    name: str
    max: float | None
    min: float | None

    def __init__(self, name: str, max: float | None = None,  # noqa: A002 - the natural spelling
                 min: float | None = None) -> None:  # noqa: A002
        if not isinstance(name, str) or not name:
            raise InvalidObjectiveError(f"A Constraint needs a metric name; got {name!r}.")
        if max is None and min is None:
            raise InvalidObjectiveError(f"Constraint {name!r} needs max=..., min=... or both.")
        if max is not None and min is not None and min > max:
            raise InvalidObjectiveError(f"Constraint {name!r} has min={min!r} > max={max!r}.")
        self.name = name
        self.max = None if max is None else float(max)
        self.min = None if min is None else float(min)

    def violation(self, value: float | None) -> float:
        """How far ``value`` is outside the bounds: 0 when feasible, inf for NaN or missing."""
        if value is None or math.isnan(value):
            return math.inf
        over = 0.0 if self.max is None else max(value - self.max, 0.0)
        under = 0.0 if self.min is None else max(self.min - value, 0.0)
        return over + under

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "max": self.max, "min": self.min}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Constraint":
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Constraint) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash(str(self.get_config()))

    def __str__(self) -> str:
        parts = [f"{self.min:g} <=" if self.min is not None else "", self.name,
                 f"<= {self.max:g}" if self.max is not None else ""]
        return " ".join(p for p in parts if p)

    def __repr__(self) -> str:
        bounds = ", ".join(f"{k}={v!r}" for k, v in (("max", self.max), ("min", self.min)) if v is not None)
        return f"Constraint({self.name!r}, {bounds})"


def create_constraints(constraints: Any) -> list[Constraint]:
    """A list of :class:`Constraint` from what a user passed (None, one, or a list).

    Raises:
        InvalidObjectiveError: an entry is not a Constraint, or a metric is bounded twice.
    """
    if constraints is None:
        return []
    if isinstance(constraints, Constraint):
        constraints = [constraints]
    constraints = list(constraints)
    for c in constraints:
        if not isinstance(c, Constraint):
            raise InvalidObjectiveError(
                f"constraints must be tunecore.Constraint objects, e.g. "
                f"Constraint('latency_ms', max=50); got {c!r}."
            )
    names = [c.name for c in constraints]
    if len(set(names)) != len(names):
        raise InvalidObjectiveError(f"Each metric may be constrained once; got {names}.")
    return constraints


DEFAULT_OBJECTIVE = "default_objective"


def create_objective(objective: Any) -> Objective:
    """Build an :class:`Objective` from what a user passed.

    ``None`` gives Keras Tuner's ``default_objective`` (minimised), used when a
    trial returns a bare number. A string infers its direction from the name.
    A list gives a :class:`MultiObjective`.

    Raises:
        InvalidObjectiveError: the name's direction cannot be inferred.
        InvalidObjectiveTypeError: ``objective`` is of none of these types.
    """
    if objective is None:
        return Objective(DEFAULT_OBJECTIVE, "min")
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, (list, tuple)):
        parts = [create_objective(o) for o in objective]
        return parts[0] if len(parts) == 1 else MultiObjective(parts)
    if isinstance(objective, str):
        direction = infer_direction(objective)
        if direction is None:
            raise InvalidObjectiveError(
                f"Could not infer optimization direction: cannot tell whether objective {objective!r} should be minimised or "
                f"maximised. Pass tunecore.Objective({objective!r}, direction='min') "
                "or direction='max'."
            )
        return Objective(objective, direction)
    raise InvalidObjectiveTypeError(
        "`objective` not understood, expected str or `Objective` object, found: "
        f"{objective!r}. Pass a metric name, a tunecore.Objective or a list of them."
    )


def objective_from_config(config: Mapping[str, Any]) -> Objective:
    """The objective :meth:`Objective.get_config` described (what a journal header records)."""
    if "pareto" in config:
        return Pareto([Objective(**c) for c in config["pareto"]])
    if "objectives" in config:
        return MultiObjective([Objective(**c) for c in config["objectives"]])
    return Objective(**config)


def to_metrics(results: Any, objective: Objective) -> dict[str, float] | None:
    """Keras Tuner's conversion of what a trial returns into a dict of metrics.

    A number is the objective's value; a dict is taken as is (its values
    converted to floats); a list (one entry per execution) is averaged over the
    metrics all entries share. None, or a list with nothing but None and empty
    lists, means the trial reported its metrics itself.

    Raises:
        TypeError: ``results`` is none of these, or a metric value is not a number.
    """
    if results is None:
        return None
    if isinstance(results, numbers.Real):
        return {objective.name: float(results)}
    scalar = _as_float(results)
    if scalar is not None:  # what a metric value may be (a numpy or tensor scalar) is a result too
        return {objective.name: scalar}
    if isinstance(results, dict):
        return {name: _metric_value(name, value) for name, value in results.items()}
    if isinstance(results, (list, tuple)):
        converted: list[Any] = [to_metrics(r, objective) for r in results]
        converted = [c for c in converted if c is not None]
        if not converted:
            return None
        names = set.intersection(*(set(c) for c in converted))
        return {name: sum(c[name] for c in converted) / len(converted) for name in names}
    raise TypeError(
        "A trial must return a number, a dict of metrics, a list of those, or None; "
        f"got {type(results).__name__}: {results!r}."
    )


def _as_float(value: Any) -> float | None:
    """``value`` as a float if it is a number or a scalar that converts itself (numpy, tensors), else None."""
    if isinstance(value, (str, bytes, dict, list, tuple)) or not (
        isinstance(value, numbers.Real) or hasattr(value, "__float__")
    ):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _metric_value(name, value):
    """`value` as a float: a number, or a scalar that converts itself (numpy, tensors)."""
    converted = _as_float(value)
    if converted is not None:
        return converted
    raise TypeError(
        f"The trial's metric {name!r} has the value {value!r} of type "
        f"{type(value).__name__}; a metric value must be a number (int, float or a "
        "numpy or tensor scalar)."
    )


#: Keras Tuner's name for :func:`infer_direction`.
infer_metric_direction = infer_direction
