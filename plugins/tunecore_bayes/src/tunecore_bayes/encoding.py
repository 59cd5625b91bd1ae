"""Encoding a search space into the unit cube for the Gaussian process.

Notation:
    d        number of encoded columns.
    X        (n, d) encoded points in [0, 1]^d.

Each tunable hyperparameter (``Fixed`` ones and Keras Tuner's ``tuner/*``
bookkeeping values are left out) gets columns:

* numbers and ordered choices: one column, the hyperparameter's own unit
  encoding ``value_to_prob`` (log / reverse-log warping included). A discrete
  one rounds to the nearest encoded value, so the acquisition is evaluated only
  at points that exist.
* unordered choices with three or more values: a one-hot block, rounded by
  argmax, so that no order between categories is invented. Two values (and
  ``Boolean``) need one column: with two categories there is no order to invent.

An inactive hyperparameter (its conditional parent holds another value) is
encoded as a constant — 0.5, or an all-zero block — so that points that differ
only in dimensions that did not matter are the same point to the kernel.

With ``activity=True`` each set of hyperparameters that share their conditions
also gets an activity column, 1 where they are active and 0 where not, after
all value columns. The constant alone makes an inactive input look like an
active one at 0.5; the indicator, with its own length scale, lets the kernel
say how much a point where the inputs are active resembles one where they are
not (a one-column version of the "arc" kernel of Swersky et al., 2014, and of
the activity inputs of SMAC's random forests).
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from tunecore import schedule
from tunecore.hyperparameters import Boolean, Choice, Fixed, HyperParameter, Int

_MAX_TABLE = 4096
_INACTIVE = 0.5


class _Column:
    """One numeric or ordinal hyperparameter: one column."""

    def __init__(self, hp, start):
        self.hp = hp
        self.start, self.width = start, 1
        self.values = _all_values(hp)
        if self.values is None:
            self.centres = None
        else:
            pairs = sorted((hp.value_to_prob(v), i) for i, v in enumerate(self.values))
            self.centres = np.array([p for p, _ in pairs])
            self._order = [i for _, i in pairs]
            self._edges = (self.centres[1:] + self.centres[:-1]) / 2

    def round(self, X):
        if self.centres is not None:
            X[:, self.start] = self.centres[np.searchsorted(self._edges, X[:, self.start])]

    def decode(self, row):
        return self.hp.prob_to_value(float(row[self.start]))

    def encode(self, value, row):
        row[self.start] = self.hp.value_to_prob(value)

    def index(self, X):
        """Per row, the index in ``self.values`` of the rounded value (discrete only)."""
        position = np.searchsorted(self._edges, X[:, self.start])
        return np.asarray(self._order)[position]

    def deactivate(self, X, mask):
        X[mask, self.start] = _INACTIVE


class _OneHot:
    """An unordered choice: a block of one column per value."""

    def __init__(self, hp, start):
        self.hp = hp
        self.values = list(hp.values)
        self.start, self.width = start, len(self.values)

    def round(self, X):
        block = X[:, self.start:self.start + self.width]
        hot = block.argmax(axis=1)
        block[:] = 0.0
        block[np.arange(len(X)), hot] = 1.0

    def decode(self, row):
        return self.values[int(np.argmax(row[self.start:self.start + self.width]))]

    def encode(self, value, row):
        row[self.start:self.start + self.width] = 0.0
        row[self.start + self.values.index(value)] = 1.0

    def index(self, X):
        return X[:, self.start:self.start + self.width].argmax(axis=1)

    def deactivate(self, X, mask):
        X[mask, self.start:self.start + self.width] = 0.0


class SpaceEncoder:
    """Maps configurations (dicts of active values) to rows of X and back.

    Args:
        space: The oracle's list of hyperparameters, in definition order.
        activity: Also encode, per set of conditions, whether the
            hyperparameters under it are active (see the module docstring).

    Attributes:
        d: The number of columns.
        d_values: The number of value columns (``d`` less the activity columns).
    """

    def __init__(self, space: Sequence[HyperParameter], activity: bool = False) -> None:
        self.columns: list[_Column | _OneHot] = []
        self._by_name: dict[str, _Column | _OneHot] = {}
        # A name defined in several conditional branches has a column per branch.
        self._by_definition: dict[tuple[str, tuple[Any, ...]], _Column | _OneHot] = {}
        start = 0
        for hp in space:
            if isinstance(hp, Fixed) or schedule.is_scheduling(hp.name):
                continue
            column: _Column | _OneHot
            if isinstance(hp, Choice) and not hp.ordered and len(hp.values) > 2:
                column = _OneHot(hp, start)
            else:
                column = _Column(hp, start)
            self.columns.append(column)
            self._by_name[hp.name] = column
            self._by_definition[(hp.name, tuple(hp.conditions))] = column
            start += column.width
        self.d_values = start
        # Activity column of each set of conditions, and a member column whose activity it copies.
        self._activity: dict[tuple[Any, ...], tuple[int, _Column | _OneHot]] = {}
        if activity:
            for column in self.columns:
                conditions = _conditions_key(column.hp)
                if conditions and conditions not in self._activity:
                    self._activity[conditions] = (start, column)
                    start += 1
        self.d = start
        self.key = space_key(space)
        self._rows: dict[tuple[Any, ...], np.ndarray] = {}  # Every trial is re-encoded at every suggestion otherwise.

    def encode(self, values: Mapping[str, Any]) -> np.ndarray:
        """One configuration to a row; missing or inactive dimensions get the constant."""
        row = np.zeros(self.d)
        inactive = np.zeros(1, dtype=bool)
        for column in self.columns:
            if column.hp.name in values and column.hp.is_active(values):
                try:
                    column.encode(values[column.hp.name], row)
                    continue
                except ValueError:  # a value of the name's other branch (its parent just changed)
                    pass
            inactive[0] = True
            column.deactivate(row[None, :], inactive)
            inactive[0] = False
        for index, member in self._activity.values():
            row[index] = float(member.hp.name in values and member.hp.is_active(values))
        return row

    def encode_many(self, configurations: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Rows for many configurations, shape (k, d); each configuration is encoded once per encoder."""
        if not configurations:
            return np.zeros((0, self.d))
        rows = []
        for values in configurations:
            key = tuple(values.items())
            if key not in self._rows:
                self._rows[key] = self.encode(values)
            rows.append(self._rows[key])
        return np.stack(rows)

    def round(self, X: np.ndarray) -> np.ndarray:
        """Snap rows onto existing values and constant-encode inactive dimensions (a copy)."""
        X = np.array(X, dtype=float, copy=True)
        for column in self.columns:
            column.round(X)
        if any(column.hp.conditions for column in self.columns):
            self._apply_conditions(X)
        return X

    def decode(self, row: np.ndarray, space: Iterable[HyperParameter]) -> dict[str, Any]:
        """A row back to a dict of active values, in the space's definition order."""
        values: dict[str, Any] = {}
        for hp in space:
            if not hp.is_active(values):
                continue
            column = self._by_definition.get((hp.name, tuple(hp.conditions)))
            values[hp.name] = hp.default if column is None else column.decode(row)
        return values

    def categorical(self) -> list[_Column | _OneHot]:
        """The columns of unordered choices (``Boolean`` and two-value choices included)."""
        return [column for column in self.columns if _is_categorical(column.hp)]

    def branching(self) -> _Column | _OneHot | None:
        """The unordered choice that other hyperparameters are conditional on (the
        first such), else the first unordered choice; None if there is none. Only
        an unconditional choice qualifies: it has a value in every row."""
        choices = [column for column in self.categorical() if not column.hp.conditions]
        parents = {condition.name for column in self.columns for condition in column.hp.conditions}
        return next((column for column in choices if column.hp.name in parents), choices[0] if choices else None)

    def with_option(self, X: np.ndarray, column: _Column | _OneHot, index: int) -> np.ndarray:
        """Rows with option ``index`` of the unordered choice ``column``, rounded (a copy)."""
        X = np.array(np.atleast_2d(X), dtype=float, copy=True)
        row = np.zeros(self.d)
        column.encode(column.values[index], row)
        X[:, column.start:column.start + column.width] = row[column.start:column.start + column.width]
        return self.round(X)

    def category_variants(self, X: np.ndarray) -> np.ndarray:
        """Every row with each option of each unordered choice in turn, rounded (a conditional
        child that a switch turns on starts at its inactive constant, the middle of its range), shape (k * m, d):
        row i's m variants are rows i * m, ..., i * m + m - 1."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        variants = []
        for row in X:
            for column in self.categorical():
                for value in column.values:
                    variant = row.copy()
                    column.encode(value, variant)
                    variants.append(variant)
        if not variants:
            return np.zeros((0, self.d))
        return self.round(np.stack(variants))

    def free_columns(self, X: np.ndarray) -> np.ndarray:
        """Per row, the columns a local search may move, shape (k, d): the active
        numeric ones; categories, inactive dimensions and activity columns stay."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        free = np.zeros(X.shape, dtype=bool)
        masks = self._active_masks(X) if any(column.hp.conditions for column in self.columns) else {}
        for column in self.columns:
            if not _is_categorical(column.hp):
                free[:, column.start] = masks.get(id(column), True)
        return free

    def _active_masks(self, X):
        """``{id(column): mask of the rows where it is active}`` under the rows' categories."""
        active = {}
        masks = {}
        for column in self.columns:
            mask = np.ones(len(X), dtype=bool)
            for condition in column.hp.conditions:
                parent = self._by_name.get(condition.name)
                if parent is None or parent.values is None:
                    continue
                mask &= active.get(condition.name, True)
                allowed = np.isin(np.arange(len(parent.values)), [
                    i for i, v in enumerate(parent.values) if v in condition.values
                ])
                mask &= allowed[parent.index(X)]
            name = column.hp.name
            active[name] = active[name] | mask if name in active else mask
            masks[id(column)] = mask
        return masks

    def _apply_conditions(self, X):
        masks = self._active_masks(X)
        for column in self.columns:
            column.deactivate(X, ~masks[id(column)])
        for index, member in self._activity.values():
            X[:, index] = masks[id(member)]


def _is_categorical(hp):
    return isinstance(hp, Boolean) or (isinstance(hp, Choice) and not hp.ordered)


def _conditions_key(hp):
    return tuple((condition.name, tuple(map(repr, condition.values))) for condition in hp.conditions)


def space_key(space: Iterable[HyperParameter]) -> tuple[tuple[str, str], ...]:
    """Identifies a space's definitions: an encoder is valid while the key is unchanged."""
    return tuple((hp.name, repr(hp.get_config())) for hp in space)


def _all_values(hp):
    """Every value of a discrete hyperparameter, or None if it is continuous or huge."""
    size = hp.cardinality
    if size is None or size > _MAX_TABLE:
        return None
    if isinstance(hp, Int) and hp.step is None:
        return list(range(hp.min_value, hp.max_value + 1))
    values = hp.grid_values()
    return values if len(values) == size else None
