"""What a search optimises: a metric name and a direction."""

import numbers
import re

from tunecore.errors import InvalidObjectiveError

_MINIMISED = re.compile(
    r"(loss|error|mse|mae|mape|msle|rmse|crossentropy|hinge|huber|kld|divergence|"
    r"regret|cost|time|latency|perplexity)"
)
_MAXIMISED = re.compile(
    r"(accuracy|acc|auc|precision|recall|f1|fbeta|r2|iou|score|map|ndcg|"
    r"likelihood|reward|return|sharpe)"
)


def infer_direction(name):
    """Return ``"min"`` or ``"max"`` for a metric name, or None when unknown."""
    bare = name.lower()
    for prefix in ("val_", "test_", "train_"):
        if bare.startswith(prefix):
            bare = bare[len(prefix):]
    if _MINIMISED.search(bare):
        return "min"
    if _MAXIMISED.search(bare):
        return "max"
    return None


class Objective:
    """A metric to optimise.

    Args:
        name: Metric name as reported by the trial, e.g. ``"val_accuracy"``.
        direction: ``"min"`` or ``"max"``.
    """

    def __init__(self, name, direction):
        if direction not in ("min", "max"):
            raise InvalidObjectiveError(
                f"Objective {name!r} has direction {direction!r}; expected 'min' or 'max'."
            )
        self.name = name
        self.direction = direction

    @property
    def names(self):
        """The metric names this objective reads."""
        return [self.name]

    def has_value(self, metrics):
        return all(name in metrics for name in self.names)

    def get_value(self, metrics):
        """The objective's value in a dict of metrics."""
        return float(metrics[self.name])

    def better_than(self, a, b):
        """Whether value ``a`` is strictly better than ``b``."""
        return a > b if self.direction == "max" else a < b

    def sort_key(self, value):
        """A key that sorts better values first."""
        return -value if self.direction == "max" else value

    def get_config(self):
        return {"name": self.name, "direction": self.direction}

    def __eq__(self, other):
        return isinstance(other, Objective) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash(str(self.get_config()))

    def __repr__(self):
        return f"Objective(name={self.name!r}, direction={self.direction!r})"


class MultiObjective(Objective):
    """Keras Tuner's weighted sum of several objectives, minimised.

    Maximised objectives enter the sum negated, so lower is always better.
    """

    def __init__(self, objectives):
        self.objectives = list(objectives)
        super().__init__("multi_objective", "min")

    @property
    def names(self):
        return [o.name for o in self.objectives]

    def get_value(self, metrics):
        return sum(
            -float(metrics[o.name]) if o.direction == "max" else float(metrics[o.name])
            for o in self.objectives
        )

    def get_config(self):
        return {"objectives": [o.get_config() for o in self.objectives]}

    def __repr__(self):
        return f"MultiObjective({self.objectives!r})"


DEFAULT_OBJECTIVE = "default_objective"


def create_objective(objective):
    """Build an :class:`Objective` from what a user passed.

    ``None`` gives Keras Tuner's ``default_objective`` (minimised), used when a
    trial returns a bare number. A string infers its direction from the name.
    A list gives a :class:`MultiObjective`.

    Raises:
        InvalidObjectiveError: the name's direction cannot be inferred.
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
                f"Cannot infer whether objective {objective!r} should be minimised or "
                f"maximised. Pass tunecore.Objective({objective!r}, direction='min') "
                "or direction='max'."
            )
        return Objective(objective, direction)
    raise InvalidObjectiveError(
        f"objective must be a str, an Objective or a list of them; got {objective!r}."
    )


def objective_from_config(config):
    if "objectives" in config:
        return MultiObjective([Objective(**c) for c in config["objectives"]])
    return Objective(**config)


def to_metrics(results, objective):
    """Keras Tuner's conversion of what a trial returns into a dict of metrics.

    A number is the objective's value; a dict is taken as is; a list (one entry
    per execution) is averaged over the metrics all entries share. None means
    the trial reported its metrics itself.

    Raises:
        TypeError: ``results`` is none of these.
    """
    if results is None:
        return None
    if isinstance(results, numbers.Real):
        return {objective.name: float(results)}
    if isinstance(results, dict):
        return {name: float(value) for name, value in results.items()}
    if isinstance(results, (list, tuple)):
        converted = [to_metrics(r, objective) for r in results if r is not None]
        if not converted:
            return None
        names = set.intersection(*(set(c) for c in converted))
        return {name: sum(c[name] for c in converted) / len(converted) for name in names}
    raise TypeError(
        "A trial must return a number, a dict of metrics, a list of those, or None; "
        f"got {type(results).__name__}: {results!r}."
    )
