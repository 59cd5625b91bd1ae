"""Per-search callbacks: watch one search, and stop it.

``tuner.search(..., callbacks=[...])`` (and ``tunecore.tune(fn, callbacks=...)``)
takes :class:`Callback` objects for that search only. Callbacks of other
kinds in the same list (Keras callbacks) still go to the model's ``fit``, as
in Keras Tuner.

Every method is called in the driver, in the order of events, wherever the
trials run: a report from a process-pool or Dask worker reaches
:meth:`Callback.on_trial_report` while the trial runs. A callback ends the
search with ``tuner.stop()``; what happens to the trials still running is
the search's ``cancel_running`` option. An exception raised by a callback
stops the search (the trials that ended are kept, as always).

Process-wide observers (a plugin for every search) are the pluggy hooks of
:mod:`tunecore.hookspecs`; the search loop (:mod:`tunecore.tuners.loop`)
calls a search's callbacks directly, before the hooks.
"""

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tunecore.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from tunecore.tuners.base_tuner import BaseTuner


class Callback:
    """Base class: override the events you need."""

    def on_search_begin(self, tuner: "BaseTuner") -> None:
        """The search starts (a resumed project is loaded)."""

    def on_trial_begin(self, tuner: "BaseTuner", trial: Trial) -> None:
        """``trial`` was created and is about to run."""

    def on_trial_report(
        self, tuner: "BaseTuner", trial: Trial, step: int, metrics: dict[str, float]
    ) -> None:
        """``trial`` reported ``metrics`` (a dict of floats) at ``step``."""

    def on_trial_end(self, tuner: "BaseTuner", trial: Trial) -> None:
        """``trial`` ended in the oracle (``trial.status`` says how)."""

    def on_search_end(self, tuner: "BaseTuner") -> None:
        """The search ends, however it ends."""


class NoImprovement(Callback):
    """Stop the search when ``patience`` trials in a row did not improve the best score.

    Args:
        patience: Ended trials without improvement before stopping.
        min_delta: The smallest change of the objective that counts as improvement.
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience must be an integer >= 1; got {patience!r}.")
        self.patience = patience
        self.min_delta = min_delta
        self.best: float | None = None
        self.waited = 0

    def on_search_begin(self, tuner: "BaseTuner") -> None:
        best = tuner.oracle.ledger.best(1)  # the observed best: later trials are compared by their scores
        self.best = best[0].score if best else None
        self.waited = 0

    def on_trial_end(self, tuner: "BaseTuner", trial: Trial) -> None:
        if trial.status not in TrialStatus.FINISHED:
            return
        score = trial.score
        if score is not None and (self.best is None or _improves(tuner, score, self.best, self.min_delta)):
            self.best, self.waited = score, 0
            return
        self.waited += 1
        if self.waited >= self.patience:
            tuner.stop(f"no improvement in the last {self.patience} trials")


class ObjectiveReached(Callback):
    """Stop the search once a trial's score reaches ``value`` (in the objective's direction)."""

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def on_trial_end(self, tuner: "BaseTuner", trial: Trial) -> None:
        score = trial.score
        if score is None or math.isnan(score):
            return
        if score == self.value or _improves(tuner, score, self.value, 0.0):
            tuner.stop(f"trial {trial.trial_id} reached the objective {self.value:g} ({score:g})")


def _improves(tuner: "BaseTuner", score: float, reference: float, min_delta: float) -> bool:
    objective = tuner.oracle.objective
    return objective.better_than(score, reference) and abs(score - reference) > min_delta


def split(callbacks: Callback | Sequence[Any] | None) -> tuple[list[Callback], list[Any] | None]:
    """``(search callbacks, others)`` from a ``callbacks=`` list."""
    if callbacks is None:
        return [], None
    if isinstance(callbacks, Callback):
        callbacks = [callbacks]
    ours = [c for c in callbacks if isinstance(c, Callback)]
    others = [c for c in callbacks if not isinstance(c, Callback)]
    return ours, others
