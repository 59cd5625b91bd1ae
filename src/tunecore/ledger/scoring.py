"""Scores and best trials: a trial's value of the objective, its constraints, and the ranking.

A trial's score is the objective's best value over its steps (for a
:class:`~tunecore.objective.Pareto` objective, the last step where every
objective is finite); its values and constraints are read at that step. The
best trials are the feasible COMPLETED ones, ranked by score, or the Pareto
front (see :meth:`Scorer.best`).
"""

import math
from collections.abc import Iterable, Sequence
from typing import Any

from tunecore import pareto
from tunecore.objective import Constraint, Objective, is_pareto
from tunecore.trial import Trial


class Scorer:
    """Scores and ranks trials for one objective and its constraints.

    Args:
        objective: The :class:`~tunecore.Objective`.
        constraints: :class:`~tunecore.objective.Constraint` objects; best
            trials are feasible ones.
    """

    def __init__(self, objective: Objective, constraints: Iterable[Constraint] = ()) -> None:
        self.objective = objective
        self.constraints = list(constraints)

    def best_of(self, trial: Trial) -> tuple[float, int] | None:
        """``(score, step)``: the objective's best value over the trial's steps, or None.

        A Pareto objective takes the last step where every objective is finite.
        """
        best = None
        for step in trial.metrics.steps():
            metrics = trial.metrics.at_step(step)
            if not self.objective.has_value(metrics):
                continue
            if is_pareto(self.objective):
                if all(math.isfinite(v) for v in self.objective.get_values(metrics)):
                    best = (self.objective.get_value(metrics), step)
                continue
            value = self.objective.get_value(metrics)
            if math.isnan(value):
                continue
            if best is None or self.objective.better_than(value, best[0]):
                best = (value, step)
        return best

    def unscored(self, trial: Trial) -> str:
        """Why a trial that ended without a score failed."""
        if any(self.objective.has_value(trial.metrics.at_step(s)) for s in trial.metrics.steps()):
            return f"The objective {self.objective.names} was NaN at every step."
        return (
            f"The objective {self.objective.names} was never reported; the trial "
            f"reported {sorted(trial.metrics.metrics) or 'nothing'}. Return it from "
            "run_trial or name a reported metric as the objective."
        )

    def best(self, scored: Sequence[Trial], num_trials: int | None = 1) -> list[Trial]:
        """The best feasible trials of ``scored`` (trials with a score, judged at their ``best_step``).

        With one objective (or Keras Tuner's weighted sum): the best scores
        first. With a :class:`~tunecore.objective.Pareto` objective: the
        Pareto front, i.e. the trials no other feasible trial dominates
        (trials with equal values are all on it), sorted by the first
        objective, best first. When the front has more than ``num_trials``
        trials, those that keep its spread are kept (NSGA-II's crowding
        truncation: the extremes of each objective always stay); with
        ``num_trials=1`` (Keras Tuner's default), the front's best trial in
        the first objective.
        """
        feasible = [t for t in scored if self.violation(t, t.best_step) == 0.0]
        if is_pareto(self.objective):
            return self._front(feasible, num_trials)
        feasible.sort(key=lambda t: self.objective.sort_key(t.score))  # type: ignore[arg-type]  # scored
        return feasible if num_trials is None else feasible[:num_trials]

    def _front(self, trials, num_trials):
        if not trials:
            return []
        losses = [self.objective.losses(self.objective_values(t, t.best_step)) for t in trials]
        mask = pareto.non_dominated(losses)
        front = [t for t, on in zip(trials, mask) if on]
        if num_trials == 1 and len(front) > 1:  # Keras Tuner's "the best": the first objective's
            front = [min(front, key=lambda t: self.objective.sort_key(t.score))]
        elif num_trials is not None and len(front) > num_trials:
            Y = [losses[i] for i, on in enumerate(mask) if on]
            front = [front[i] for i in sorted(pareto.select_spread(Y, num_trials))]
        front.sort(key=lambda t: self.objective.sort_key(t.score))
        return front

    def objective_values(self, trial: Trial, step: int | None) -> Any:  # tuple[float, ...] | None
        """The trial's value of each objective at ``step`` (a 1-tuple for a single objective), or None."""
        if step is None:
            return None
        metrics = trial.metrics.at_step(step)
        if not self.objective.has_value(metrics):
            return None
        if is_pareto(self.objective):
            return self.objective.get_values(metrics)
        return (self.objective.get_value(metrics),)

    def constraint_values(self, trial: Trial, step: int | None) -> tuple[float | None, ...]:
        """The trial's value of each constraint's metric (None where never reported).

        Read at ``step``, or at its last report if not reported there.
        """
        at_step = trial.metrics.at_step(step) if step is not None else {}
        values: list[float | None] = []
        for constraint in self.constraints:
            if constraint.name in at_step:
                values.append(float(at_step[constraint.name]))
            elif trial.metrics.exists(constraint.name):
                values.append(float(trial.metrics.get_last_value(constraint.name)))  # type: ignore[arg-type]  # exists
            else:
                values.append(None)
        return tuple(values)

    def violation(self, trial: Trial, step: int | None) -> float:
        """The sum of how far the trial is outside each constraint (0: feasible)."""
        if not self.constraints:
            return 0.0
        return sum(c.violation(v) for c, v in zip(self.constraints, self.constraint_values(trial, step)))

    def describe_violation(self, trial: Trial, step: int | None) -> str:
        """Which constraints ``trial`` breaks, as text: ``latency_ms=73.2 (latency_ms <= 50)``."""
        parts = []
        for constraint, value in zip(self.constraints, self.constraint_values(trial, step)):
            if constraint.violation(value) > 0:
                shown = "never reported" if value is None else f"{constraint.name}={value:.6g}"
                parts.append(f"{shown} ({constraint})")
        return ", ".join(parts)
