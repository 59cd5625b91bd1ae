"""From what ``fit`` returns (Keras ``History`` objects) to the metrics a trial reports.

Keras Tuner's rules: one execution scores its best epoch for the objective;
several executions average their best epochs' metrics.
"""

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from tunecore.objective import Objective
from tunecore_keras.backend import keras


def epoch_metrics(history: Any) -> dict[int, dict[str, float]]:
    """``{epoch: {metric: value}}`` of a ``History``, epochs numbered as ``fit`` did.

    A ``History`` built by hand (a custom ``fit`` that sets only its
    ``history`` dict, as Keras Tuner's tests do) numbers its epochs from 0.
    """
    epochs = getattr(history, "epoch", None) or range(
        max((len(values) for values in history.history.values()), default=0)
    )
    return {
        epoch: {name: float(values[i]) for name, values in history.history.items() if i < len(values)}
        for i, epoch in enumerate(epochs)
    }


def best_epoch(
    epochs: Mapping[int, Mapping[str, float]], objective: Objective
) -> tuple[int, Mapping[str, float]] | None:
    """``(epoch, metrics)`` of the best epoch in ``{epoch: metrics}``, or None.

    The first of equal epochs wins; epochs without the objective, or where it
    is NaN, are skipped.
    """
    best: tuple[float, int] | None = None
    for epoch, metrics in epochs.items():
        if not objective.has_value(metrics):
            continue
        value = objective.get_value(metrics)
        if math.isnan(value):
            continue
        if best is None or objective.better_than(value, best[0]):
            best = (value, epoch)
    return None if best is None else (best[1], epochs[best[1]])


def to_metrics(result: Any, objective: Objective) -> Any:
    """A ``History`` becomes its best epoch's metrics (its last epoch if none is best)."""
    if not isinstance(result, keras.callbacks.History):
        return result
    epochs = epoch_metrics(result)
    found = best_epoch(epochs, objective)
    if found is not None:
        return found[1]
    return epochs[max(epochs)] if epochs else {}


def _mean(dicts):
    names = {name for d in dicts for name in d}
    return {
        name: statistics.fmean(d[name] for d in dicts if name in d) for name in names
    }


def executions_curve(
    executions: Sequence[Mapping[int, Mapping[str, float]]], objective: Objective
) -> list[tuple[int, dict[str, float]]]:
    """The metrics to report, by step, for several executions of one trial.

    Each step holds the mean over executions of that epoch's metrics, except
    Keras Tuner's best step (the mean of the executions' best epochs), which
    holds the mean of their best epochs' metrics. That value is never worse
    than any epoch's mean, so the trial's score is Keras Tuner's.

    Args:
        executions: One ``{epoch: metrics}`` per execution.
        objective: The oracle's objective.

    Returns:
        ``[(step, metrics), ...]`` in step order.
    """
    steps = sorted({epoch for epochs in executions for epoch in epochs})
    curve = {step: _mean([e[step] for e in executions if step in e]) for step in steps}
    bests: list[Any] = [best_epoch(epochs, objective) for epochs in executions]
    if bests and all(b is not None for b in bests):
        step = int(statistics.mean(epoch for epoch, _ in bests))
        curve[step] = {**curve.get(step, {}), **_mean([metrics for _, metrics in bests])}
    return sorted(curve.items())
