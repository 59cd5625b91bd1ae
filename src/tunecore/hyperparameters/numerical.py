"""Numeric ranges: `Int` and `Float`.

Notation: ``[lo, hi]`` is the range (``min_value``, ``max_value``), ``p`` a
position in the unit interval, ``n`` the number of values on a stepped grid.
The sampling warps the unit interval onto the range:

    linear        v = lo + p (hi - lo)
    log           v = lo (hi / lo)^p                     uniform in log space
    reverse_log   v = hi + lo - lo (hi / lo)^(1 - p)     log mirrored: dense near hi

With a step the values form a grid, as in Keras Tuner 1.4: ``lo, lo + step,
...`` for linear; ``lo, lo * step, lo * step**2, ...`` for log (``step > 1`` is
a factor); and the mirror image ``hi, hi + lo - lo * step, ...`` for
reverse_log. The unit interval is then cut into ``n`` equal bins, one per grid
value in ascending order, so that a uniform ``p`` picks every value equally often.

An `Int` always has a grid under linear sampling (``step`` defaults to 1).
Under log sampling without a step it warps onto ``[lo, hi + 1)`` and rounds
down, which gives every integer a bin of its own.
"""

import math
import numbers

from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError
from tunecore.hyperparameters.base import (
    _INVALID,
    HyperParameter,
    _index_to_prob,
    _prob_to_index,
    _to_kind,
)

_SAMPLINGS = ("linear", "log", "reverse_log")

# How many values `grid_values()` takes from a range without a step.
_UNSTEPPED_GRID_SIZE = 10


def _clip(x, lo, hi):
    return min(max(x, lo), hi)


def _warp(sampling, lo, hi, prob):
    """Maps `prob` in [0, 1] onto [lo, hi] (see the module docstring)."""
    if lo == hi:
        return lo
    if sampling == "linear":
        return lo + prob * (hi - lo)
    if sampling == "log":
        return lo * (hi / lo) ** prob
    return hi + lo - lo * (hi / lo) ** (1 - prob)


def _unwarp(sampling, lo, hi, value):
    """The inverse of `_warp`."""
    if lo == hi:
        return 0.5
    if sampling == "linear":
        return (value - lo) / (hi - lo)
    if sampling == "log":
        return math.log(value / lo) / math.log(hi / lo)
    return 1 - math.log((hi + lo - value) / lo) / math.log(hi / lo)


class _Numerical(HyperParameter):
    """What `Int` and `Float` share.

    A subclass provides `cardinality`, `_count()` (the grid size), `_tidy()` and
    `_same()` (rounding and comparing grid values), and `_unstepped_value()` /
    `_unstepped_prob()` (the encoding without a step).
    """

    _kind = None  # "int" or "float": the type of the bounds, the step and the values.

    def __init__(self, name, min_value, max_value, step, sampling, default, conditions):
        super().__init__(name, conditions)
        if sampling is None:
            sampling = "linear"
        if not isinstance(sampling, str) or sampling.lower() not in _SAMPLINGS:
            raise InvalidSpaceError(
                f"{self._label}: unknown sampling {sampling!r}; expected one of "
                f"{', '.join(map(repr, _SAMPLINGS))}."
            )
        self.sampling = sampling.lower()
        self.min_value = self._number(min_value, "min_value")
        self.max_value = self._number(max_value, "max_value")
        if self.min_value > self.max_value:
            raise InvalidSpaceError(
                f"{self._label}: min_value={self.min_value!r} is greater than "
                f"max_value={self.max_value!r}."
            )
        if self.sampling != "linear" and self.min_value <= 0:
            raise InvalidSpaceError(
                f"{self._label}: sampling={self.sampling!r} needs min_value > 0, "
                f"got min_value={self.min_value!r}."
            )
        self.step = None if step is None else self._number(step, "step")
        if self.step is not None and self.step <= 0:
            raise InvalidSpaceError(f"{self._label}: step must be > 0, got step={step!r}.")
        if self.step is not None and self.sampling != "linear" and self.step <= 1:
            raise InvalidSpaceError(
                f"{self._label}: with sampling={self.sampling!r} the step is a factor and "
                f"must be > 1, got step={step!r} (leave step out for a continuous range)."
            )
        self._n = None if self.step is None else self._count()
        self.default = self._validated(self.min_value if default is None else default, "default")

    def _number(self, value, arg):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidSpaceTypeError(
                f"{self._label}: {arg} must be a number, got {value!r} of type "
                f"{type(value).__name__}."
            )
        if not math.isfinite(value):
            raise InvalidSpaceError(f"{self._label}: {arg} must be finite, got {value!r}.")
        number = _to_kind(self._kind, value)
        if number is _INVALID:
            raise InvalidSpaceError(f"{self._label}: {arg} must be an integer, got {value!r}.")
        return number

    def prob_to_value(self, prob):
        if self.step is None:
            return self._unstepped_value(prob)
        return self._grid_value(_prob_to_index(prob, self._n))

    def value_to_prob(self, value):
        value = self.validate(value)
        if self.step is None:
            return self._unstepped_prob(value)
        return _index_to_prob(self._grid_index(value), self._n)

    def grid_values(self):
        """Returns the grid in ascending order.

        Without a step: the values at the centres of 10 equal bins of the unit
        interval (what Keras Tuner 1.4's grid search visits), ascending, without
        duplicates.
        """
        if self.step is None:
            probs = (_index_to_prob(i, _UNSTEPPED_GRID_SIZE) for i in range(_UNSTEPPED_GRID_SIZE))
            return sorted({self.prob_to_value(p) for p in probs})
        return [self._grid_value(i) for i in range(self._n)]

    def _check(self, value):
        value = _to_kind(self._kind, value)
        if value is _INVALID:
            return _INVALID
        if self.step is not None:
            index = self._grid_index(value)
            return _INVALID if index is None else self._grid_value(index)
        return value if self.min_value <= value <= self.max_value else _INVALID

    def _expected(self):
        kind = "an int" if self._kind == "int" else "a float"
        if self.step is None or (self._kind == "int" and self.step == 1):
            return f"{kind} in [{self.min_value!r}, {self.max_value!r}]"
        return f"{kind} on the grid {self._grid_summary()}"

    def _grid_summary(self):
        if self._n <= 6:
            return repr(self.grid_values())
        head = ", ".join(repr(self._grid_value(i)) for i in range(3))
        return f"[{head}, ..., {self._grid_value(self._n - 1)!r}] ({self._n} values)"

    def _grid_value(self, index):
        lo, hi, step = self.min_value, self.max_value, self.step
        if self.sampling == "linear":
            return self._tidy(lo + index * step)
        if self.sampling == "log":
            return self._tidy(lo * step**index)
        return self._tidy(hi + lo - lo * step ** (self._n - 1 - index))

    def _grid_index(self, value):
        """The index of the grid value equal to `value` (up to rounding), or None."""
        lo, hi, step = self.min_value, self.max_value, self.step
        if self.sampling == "linear":
            position = (value - lo) / step
        elif self.sampling == "log":
            if value <= 0:
                return None
            position = math.log(value / lo) / math.log(step)
        else:
            if hi + lo - value <= 0:
                return None
            position = self._n - 1 - math.log((hi + lo - value) / lo) / math.log(step)
        index = round(position)
        if 0 <= index < self._n and self._same(self._grid_value(index), value):
            return index
        return None

    def get_config(self):
        return {
            **super().get_config(),
            "min_value": self.min_value,
            "max_value": self.max_value,
            "step": self.step,
            "sampling": self.sampling,
        }


class Int(_Numerical):
    """Integer hyperparameter; `max_value` is included.

    Args:
        name: The name.
        min_value: Lower bound, inclusive.
        max_value: Upper bound, inclusive.
        step: Distance between values (linear; defaults to 1) or factor between
            values (log and reverse_log; defaults to none: every integer).
        sampling: "linear", "log" or "reverse_log".
        default: Defaults to `min_value`.
        conditions: `Parent` conditions for the hyperparameter to be active.
    """

    _kind = "int"

    def __init__(
        self,
        name,
        min_value,
        max_value,
        step=None,
        sampling="linear",
        default=None,
        conditions=None,
    ):
        if step is None and sampling in (None, "linear"):
            step = 1
        super().__init__(name, min_value, max_value, step, sampling, default, conditions)

    @property
    def cardinality(self):
        return self._n if self.step is not None else self.max_value - self.min_value + 1

    def _count(self):
        if self.sampling == "linear":
            return (self.max_value - self.min_value) // self.step + 1
        n = 1
        while self.min_value * self.step**n <= self.max_value:
            n += 1
        return n

    def _tidy(self, value):
        return value

    def _same(self, a, b):
        return a == b

    def _unstepped_value(self, prob):
        x = _warp(self.sampling, self.min_value, self.max_value + 1, _clip(prob, 0.0, 1.0))
        return _clip(math.floor(x), self.min_value, self.max_value)

    def _unstepped_prob(self, value):
        # The centre of the value's bin [value, value + 1) in the unit interval.
        lo, hi = self.min_value, self.max_value + 1
        return (
            _unwarp(self.sampling, lo, hi, value) + _unwarp(self.sampling, lo, hi, value + 1)
        ) / 2


class Float(_Numerical):
    """Floating-point hyperparameter.

    Args:
        name: The name.
        min_value: Lower bound, inclusive.
        max_value: Upper bound, inclusive.
        step: Distance between values (linear) or factor between values (log and
            reverse_log). Defaults to none: a continuous range.
        sampling: "linear", "log" or "reverse_log".
        default: Defaults to `min_value`.
        conditions: `Parent` conditions for the hyperparameter to be active.
    """

    _kind = "float"

    def __init__(
        self,
        name,
        min_value,
        max_value,
        step=None,
        sampling="linear",
        default=None,
        conditions=None,
    ):
        super().__init__(name, min_value, max_value, step, sampling, default, conditions)

    @property
    def cardinality(self):
        return self._n

    def _count(self):
        if self.sampling == "linear":
            span = (self.max_value - self.min_value) / self.step
        else:
            span = math.log(self.max_value / self.min_value) / math.log(self.step)
        # The epsilon keeps max_value on the grid when the division lands a hair short.
        return int(span + 1e-9) + 1

    def _tidy(self, value):
        # 15 significant digits drop the noise of repeated float arithmetic
        # (0.30000000000000004 -> 0.3) and keep the grid inside the range.
        return _clip(float(f"{value:.15g}"), self.min_value, self.max_value)

    def _same(self, a, b):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * (self.max_value - self.min_value))

    def _unstepped_value(self, prob):
        x = _warp(self.sampling, self.min_value, self.max_value, _clip(prob, 0.0, 1.0))
        return _clip(x, self.min_value, self.max_value)

    def _unstepped_prob(self, value):
        return _clip(_unwarp(self.sampling, self.min_value, self.max_value, value), 0.0, 1.0)
