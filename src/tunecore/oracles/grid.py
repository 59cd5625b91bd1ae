"""Grid search, in Keras Tuner 1.4's order.

Keras Tuner does not enumerate a grid fixed in advance: the space may grow as
trials declare hyperparameters, so each trial's successor is derived from a
finished trial's values, like an odometer (the last hyperparameter turns
fastest; a hyperparameter turns from its default through the rest of its
values; when it wraps, the ones before it turn). A new hyperparameter starts
at its default in the trials after the one that declared it. This oracle does
the same, so a grid visits the same configurations, in the same order, as
Keras Tuner's ``GridSearchOracle``; and, as there, a search whose trials are
still declaring hyperparameters waits (IDLE) for running trials rather than
guess.

Once the space is complete (no trial has added to it since it was first
declared, up front or by the first trial, as a function tuner's is), waiting
would only cost parallelism: a worker that finds no successor ready then takes
the next untried configuration of the whole grid.
"""

from collections.abc import Iterator
from typing import Any

from tunecore import schedule
from tunecore.errors import InvalidSpaceError
from tunecore.hyperparameters import Float, HyperParameters, Int, Parent
from tunecore.hyperparameters.walk import iter_grid
from tunecore.oracles.base import Oracle
from tunecore.trial import TrialStatus

class GridSearch(Oracle):
    """Tries every combination, in Keras Tuner's order (the last hyperparameter varies fastest).

    Each hyperparameter goes through its default first, then the rest of its
    values. A ``Float`` without ``step`` contributes 10 values evenly spaced
    in its sampling scale (and its default). Hyperparameters declared by the
    trials themselves join the grid as they appear. The grid resumes where it
    stopped: the successors of the trials already run, in this run or an
    earlier one, are what is tried next. Arguments are those of
    :class:`Oracle`; ``max_trials=None`` runs the whole grid.
    """

    _expanded: set[int]
    _grid: Iterator[dict[str, Any]] | None
    _grid_space: list[tuple[str, list[Parent]]] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whose successors were considered: the first trial as started, and the
        # finished trials (by position in creation order). Part of the state, so
        # that a resumed search expands what an uninterrupted one would.
        self._first_expanded = False
        self._expanded = set()
        self._discovering = False
        self._declarer: str | None = None
        self._grid = self._grid_space = None

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        trials = list(self.trials.values())
        if not trials or not (self.hyperparameters.space or self.is_tried({})):  # the space is still unknown
            return {"status": TrialStatus.RUNNING, "values": self._complete({})}
        for trial in self._expansions(trials):
            values = self._successor(trial.hyperparameters.values)
            if values is not None and not self.is_tried(values):
                return {"status": TrialStatus.RUNNING, "values": values}
        if not self.ongoing_trials:
            return {"status": TrialStatus.STOPPED}
        if not self._discovering and self._declarer not in self.ongoing_trials and not self._running_undeclared():
            values = self._next_untried()
            if values is not None:
                return {"status": TrialStatus.RUNNING, "values": values}
        return {"status": TrialStatus.IDLE}

    def _running_undeclared(self):
        """Whether a running trial lacks values for part of the space: another driver
        recorded the hyperparameters the trial declared before the values it runs
        with, which the grid would otherwise hand out again (their defaults)."""
        return any(self._complete(t.hyperparameters.values) != t.hyperparameters.values
                   for t in self.ongoing_trials.values())

    def update_space(self, hyperparameters: HyperParameters) -> None:
        known = len(self.hyperparameters.space)
        super().update_space(hyperparameters)
        if self.trials and len(self.hyperparameters.space) > known:
            if known:
                self._discovering = True
            else:  # the first trial declares the space (a function tuner's): it may declare more until it ends
                self._declarer = next(iter(self.trials))

    def get_state(self) -> dict[str, Any]:
        return {
            **super().get_state(),
            "discovering": self._discovering,
            "declarer": self._declarer,
            "first_expanded": self._first_expanded,
            "expanded": _ranges(sorted(self._expanded)),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self._discovering = bool(state.get("discovering", False))
        self._declarer = state.get("declarer")
        self._first_expanded = bool(state.get("first_expanded", False))
        self._expanded = {i for start, stop in state.get("expanded", []) for i in range(start, stop)}

    # Keras Tuner's odometer ---------------------------------------------------

    def _expansions(self, trials):
        """The trials whose successor to consider next, each once, in Keras Tuner's order.

        The first trial as soon as it starts (so that a second worker has work),
        then each finished trial with the values it ended with, which include
        the hyperparameters it declared.
        """
        if not self._first_expanded:
            self._first_expanded = True
            yield trials[0]
        for position, trial in enumerate(trials):
            if trial.status in TrialStatus.FINISHED and position not in self._expanded:
                self._expanded.add(position)
                yield trial

    def _successor(self, values):
        """The configuration after ``values`` in the odometer over the current space, or None."""
        space = self.hyperparameters.space
        values = dict(values)
        for hp in reversed(space):
            if schedule.is_scheduling(hp.name) or not hp.is_active(values):
                continue
            following = _next_value(hp, values.get(hp.name, hp.default))
            if following is not None:
                values[hp.name] = following
                return self._complete(values)
            values[hp.name] = hp.default
        return None

    def _complete(self, values):
        """The active values of ``values``; defaults for the active hyperparameters it lacks."""
        complete = {}
        for hp in self.hyperparameters.space:
            if hp.is_active(complete):
                value = values.get(hp.name, hp.default)
                complete[hp.name] = value if _valid(hp, value) else hp.default
        return complete

    def _next_untried(self):
        space = self.hyperparameters.space
        key = [(hp.name, hp.conditions) for hp in space]
        if self._grid is None or key != self._grid_space:
            self._grid, self._grid_space = iter_grid(space, _values_in_order), key
        for values in self._grid:
            if not self.is_tried(values):
                return values
        return None


def _ranges(positions):
    """Sorted integers as ``[start, stop)`` runs: a long grid's state stays short."""
    runs = []
    for i in positions:
        if runs and runs[-1][1] == i:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return runs


def _ordered_grid(hp):
    """The grid in the order of the unit interval: Keras Tuner's order for a stepped reverse_log."""
    grid = hp.grid_values()
    stepped = isinstance(hp, (Int, Float)) and hp.step is not None
    if stepped and hp.sampling == "reverse_log":
        return list(reversed(grid))
    return grid


def _values_in_order(hp):
    """Every value of ``hp`` in Keras Tuner's grid order: the default, then the rest."""
    return [hp.default, *(value for value in _ordered_grid(hp) if value != hp.default)]


def _next_value(hp, value):
    """The value after ``value`` in :func:`_values_in_order`, or None after the last one."""
    grid = _ordered_grid(hp)
    if value == hp.default:
        start = 0
    else:
        try:
            start = grid.index(value) + 1
        except ValueError:  # off the grid (an enqueued value): nothing follows it
            return None
    for index in range(start, min(start + 2, len(grid))):  # the default is skipped once at most
        if grid[index] != hp.default:
            return grid[index]
    return None


def _valid(hp, value):
    try:
        hp.validate(value)
    except InvalidSpaceError:
        return False
    return True
