"""Pruners: stop running trials that are not worth finishing.

A pruner is given to any oracle (``pruner=``, a shared oracle argument) and
consulted each time a running trial reports the objective, in the driver,
wherever the trial runs. When it says stop, the trial's next report answers
STOPPED (a function objective's ``trial.report`` raises
:class:`~tunecore.errors.TrialStopped`, the Keras tuner ends ``fit``) and the
trial ends STOPPED with the metrics it reported and the pruner's reason as
its message.

A STOPPED trial keeps its score (its best value over the steps it ran), is
never among the best trials, and counts as tried: it is not suggested again.
The Bayesian oracles use that score as an observation: it is what the trial
reached when it was stopped, a pessimistic but honest value for its region.

Pruners compare trials at the same step. "Step" is whatever the trial
reports with (an epoch, an iteration, a fold): report it monotonically. The
objective's direction is respected. The percentile rules take a trial's best
value up to a step; successive halving its value at the rung. Trials that
FAILED or were INVALID are ignored.
Successive halving compares every trial that reached a rung (running and
stopped ones too: it is asynchronous by design); the percentile rules compare
with COMPLETED trials only.

Writing one: subclass :class:`Pruner` and implement :meth:`Pruner.prune`.
"""

import bisect
import difflib
import math
from collections.abc import Mapping

import numpy as np

from tunecore.objective import Objective
from tunecore.trial import Trial, TrialStatus

_IGNORED = (TrialStatus.FAILED, TrialStatus.INVALID)


class Pruner:
    """Decides, at each report, whether a running trial stops."""

    def prune(self, trial: Trial, step: int, trials: Mapping[str, Trial], objective: Objective) -> str | None:
        """Whether ``trial``, which just reported at ``step``, should stop.

        Args:
            trial: The running :class:`~tunecore.Trial` (its metrics include this report).
            step: The step it reported.
            trials: ``{trial_id: Trial}``, every trial of the search (this one included).
            objective: The search's :class:`~tunecore.Objective`.

        Returns:
            None to let it run, or a short reason (a string) to stop it.
        """
        raise NotImplementedError


class NopPruner(Pruner):
    """Never stops a trial."""

    def prune(self, trial: Trial, step: int, trials: Mapping[str, Trial], objective: Objective) -> str | None:
        return None

    def __repr__(self) -> str:
        return "NopPruner()"


class PercentilePruner(Pruner):
    """Stop a trial whose best value so far is worse than the ``percentile`` of the others at the same step.

    ``percentile=25`` keeps the best quarter going. The others are the
    COMPLETED trials that reached the step (as in Vizier's median stopping
    rule and Optuna): stopped trials would lower the bar, running ones are
    still moving.

    Args:
        percentile: In (0, 100]: the share of trials, best first, that go on.
        warmup_steps: Never stop a trial before this step.
        min_trials: Completed trials needed at a step before its rule applies.
        interval_steps: Judge only every this many steps (from ``warmup_steps``).
    """

    def __init__(self, percentile: float, warmup_steps: int = 0, min_trials: int = 5,
                 interval_steps: int = 1) -> None:
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile must be in (0, 100]; got {percentile!r}.")
        _check_int("warmup_steps", warmup_steps, 0)
        _check_int("min_trials", min_trials, 1)
        _check_int("interval_steps", interval_steps, 1)
        self.percentile = float(percentile)
        self.warmup_steps = warmup_steps
        self.min_trials = min_trials
        self.interval_steps = interval_steps
        self._curves: dict[str, tuple[list[int], list[float]]] = {}  # completed trials' running bests
        self._objective: Objective | None = None

    def prune(self, trial: Trial, step: int, trials: Mapping[str, Trial], objective: Objective) -> str | None:
        if step < self.warmup_steps or (step - self.warmup_steps) % self.interval_steps:
            return None
        own = best_loss(trial, step, objective)
        if own is None:
            return None
        others = []
        for steps, bests in self._completed_curves(trials, objective, trial):
            if steps and steps[-1] >= step:
                i = bisect.bisect_right(steps, step) - 1
                if i >= 0 and math.isfinite(bests[i]):
                    others.append(bests[i])
        if len(others) < self.min_trials:
            return None
        threshold = float(np.percentile(others, self.percentile))
        if own > threshold:
            return (
                f"its best {objective.name} by step {step} ({_value(own, objective):.6g}) is worse than the "
                f"{self._rank()} of {len(others)} completed trials ({_value(threshold, objective):.6g})"
            )
        return None

    def _completed_curves(self, trials, objective, trial):
        """Each other COMPLETED trial's steps and running best loss (a completed trial never
        changes, so each is computed once: a report costs a bisection per trial, not a scan)."""
        if objective is not self._objective:
            self._curves, self._objective = {}, objective
        for other in trials.values():
            if other is trial or other.status != TrialStatus.COMPLETED:
                continue
            curve = self._curves.get(other.trial_id)
            if curve is None:
                steps = sorted(other.metrics.steps())
                losses = [_step_loss(other, s, objective) for s in steps]
                curve = self._curves[other.trial_id] = (steps, list(np.fmin.accumulate(losses)) if losses else [])
            yield curve

    def _rank(self) -> str:
        return f"{self.percentile:g}th percentile"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self.percentile:g}, warmup_steps={self.warmup_steps}, "
            f"min_trials={self.min_trials}, interval_steps={self.interval_steps})"
        )


class MedianPruner(PercentilePruner):
    """Stop a trial whose best value so far is worse than the median of the others at the same step.

    Args:
        warmup_steps: Never stop a trial before this step.
        min_trials: Completed trials needed at a step before its rule applies.
        interval_steps: Judge only every this many steps.
    """

    def __init__(self, warmup_steps: int = 0, min_trials: int = 5, interval_steps: int = 1) -> None:
        super().__init__(50.0, warmup_steps=warmup_steps, min_trials=min_trials, interval_steps=interval_steps)

    def _rank(self) -> str:
        return "median"

    def __repr__(self) -> str:
        return (
            f"MedianPruner(warmup_steps={self.warmup_steps}, min_trials={self.min_trials}, "
            f"interval_steps={self.interval_steps})"
        )


class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving (ASHA), stopping variant.

    Rungs sit at steps ``min_resource * reduction_factor ** (k + min_early_stopping_rate)``.
    When a trial first reports at or past a rung, it goes on only if its
    value there (its last report up to the rung, as in the ASHA paper) is
    among the best ``1 / reduction_factor`` of all trials that
    reached the rung so far (itself included); while fewer than
    ``reduction_factor`` have, only the best goes on (as Optuna's pruner
    does). Decisions never wait for other trials.

    Args:
        min_resource: The step of the first rung.
        reduction_factor: Keep one in this many at each rung (>= 2).
        min_early_stopping_rate: Skip this many rungs first.
    """

    def __init__(self, min_resource: int = 1, reduction_factor: int = 3, min_early_stopping_rate: int = 0) -> None:
        _check_int("min_resource", min_resource, 1)
        _check_int("reduction_factor", reduction_factor, 2)
        _check_int("min_early_stopping_rate", min_early_stopping_rate, 0)
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor
        self.min_early_stopping_rate = min_early_stopping_rate

    def rung_step(self, k: int) -> int:
        return self.min_resource * self.reduction_factor ** (k + self.min_early_stopping_rate)

    def prune(self, trial: Trial, step: int, trials: Mapping[str, Trial], objective: Objective) -> str | None:
        steps = sorted(trial.metrics.steps())
        previous = steps[-2] if len(steps) > 1 else -math.inf
        rung = None
        k = 0
        while self.rung_step(k) <= step:
            if self.rung_step(k) > previous:
                rung = self.rung_step(k)
            k += 1
        if rung is None:  # no new rung reached by this report
            return None
        own = loss_at(trial, rung, objective)
        if own is None:
            return None
        reached = [own] + [
            loss for other in trials.values()
            if other is not trial and other.status not in _IGNORED
            and max(other.metrics.steps(), default=-math.inf) >= rung
            and (loss := loss_at(other, rung, objective)) is not None
        ]
        keep = max(len(reached) // self.reduction_factor, 1)
        if sum(loss < own for loss in reached) >= keep:
            return (
                f"at the rung of step {rung}, its {objective.name} ({_value(own, objective):.6g}) is not "
                f"among the best {keep} of the {len(reached)} trials that reached it"
            )
        return None

    def __repr__(self) -> str:
        return (
            f"SuccessiveHalvingPruner(min_resource={self.min_resource}, reduction_factor="
            f"{self.reduction_factor}, min_early_stopping_rate={self.min_early_stopping_rate})"
        )


def _step_loss(trial: Trial, step: int, objective: Objective) -> float:
    """The objective's value at exactly ``step``, as a loss; NaN where it was not reported."""
    metrics = trial.metrics.at_step(step)
    if not objective.has_value(metrics):
        return math.nan
    loss = objective.sort_key(objective.get_value(metrics))
    return loss if math.isfinite(loss) else math.nan


def loss_at(trial: Trial, step: int, objective: Objective) -> float | None:
    """The trial's objective value at its last report up to ``step``, as a loss (lower is better).

    None if that report has no finite objective value.
    """
    steps = [s for s in trial.metrics.steps() if s <= step]
    if not steps:
        return None
    metrics = trial.metrics.at_step(max(steps))
    if not objective.has_value(metrics):
        return None
    loss = objective.sort_key(objective.get_value(metrics))
    return loss if math.isfinite(loss) else None


def best_loss(trial: Trial, step: int, objective: Objective) -> float | None:
    """The trial's best objective value over its steps up to ``step``, as a loss (lower is better).

    None if it reported no finite objective value by then.
    """
    best = None
    for s in trial.metrics.steps():
        if s > step:
            continue
        metrics = trial.metrics.at_step(s)
        if not objective.has_value(metrics):
            continue
        loss = objective.sort_key(objective.get_value(metrics))
        if math.isfinite(loss) and (best is None or loss < best):
            best = loss
    return best


_NAMES = {
    "median": MedianPruner,
    "successive_halving": SuccessiveHalvingPruner,
    "asha": SuccessiveHalvingPruner,
    "none": NopPruner,
}


def create(pruner: Pruner | str | None) -> Pruner | None:
    """A :class:`Pruner` from an instance, None, or a name (``"median"``, ``"asha"``, ``"none"``)."""
    if pruner is None or isinstance(pruner, Pruner):
        return pruner
    if isinstance(pruner, str) and pruner in _NAMES:
        return _NAMES[pruner]()
    close = difflib.get_close_matches(pruner, list(_NAMES), n=1) if isinstance(pruner, str) else []
    raise ValueError(
        f"pruner must be a tunecore.pruners.Pruner or one of {sorted(_NAMES)}; got {pruner!r}."
        + (f" Did you mean {close[0]!r}?" if close else "")
    )


def _value(loss: float, objective: Objective) -> float:
    return objective.sort_key(loss)  # sort_key is its own inverse


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
