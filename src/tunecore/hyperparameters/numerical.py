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
value, so that a uniform ``p`` picks every value equally often: in ascending
order, but for reverse_log, whose bins run from ``hi`` down as in Keras Tuner
(``p`` near 0 gives ``hi``), so that positions mean what they meant there.

An `Int` always has a grid under linear sampling (``step`` defaults to 1).
Under log sampling without a step it warps onto ``[lo, hi + 1)`` and rounds
down, which gives every integer a bin of its own.

Exactness: an `Int` works in Python ints (its grid, its bins, its validation),
so that ``Int("n", 0, 2**62)`` loses no value to float rounding. Its log warp is
computed in floats while they hold every integer of the range (below 2**53),
and in `decimal` arithmetic with enough digits above. A grid is never built as
a list: ``grid_values()`` returns a lazy sequence, `_Grid`.

The formulas are evaluated in forms that cannot overflow for finite bounds
(``hi - (lo (hi/lo)^(1-p) - lo)`` for reverse_log, logarithms when ``hi / lo``
exceeds the float range), and ``p = 0`` and ``p = 1`` give ``lo`` and ``hi``
exactly.
"""

import decimal
import functools
import math
import numbers
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError
from tunecore.hyperparameters.base import (
    _INVALID,
    HyperParameter,
    Parent,
    _index_to_prob,
    _plain,
    _preimage,
    _prob_to_index,
    _to_kind,
)

_SAMPLINGS = ("linear", "log", "reverse_log")

# How many values `grid_values()` takes from a range without a step.
_UNSTEPPED_GRID_SIZE = 10

# Floats hold every integer below this one.
_FLOAT_INTEGERS = 2**53


def _clip(x, lo, hi):
    return min(max(x, lo), hi)


def _warp(sampling, lo, hi, prob):
    """Maps `prob` in [0, 1] onto [lo, hi] in floats (see the module docstring)."""
    if lo == hi or prob <= 0:
        return lo
    if prob >= 1:
        return hi
    if sampling == "linear":
        span = hi - lo
        if math.isinf(span):
            return (1 - prob) * lo + prob * hi
        return lo + prob * span
    ratio = hi / lo
    if math.isinf(ratio):
        log_lo, log_ratio = math.log(lo), math.log(hi) - math.log(lo)
        if sampling == "log":
            return math.exp(log_lo + prob * log_ratio)
        return hi - (math.exp(log_lo + (1 - prob) * log_ratio) - lo)
    if sampling == "log":
        return lo * ratio**prob
    return hi - (lo * ratio ** (1 - prob) - lo)


def _unwarp(sampling, lo, hi, value):
    """The inverse of `_warp`."""
    if lo == hi:
        return 0.5
    if sampling == "linear":
        span = hi - lo
        if math.isinf(span):
            return (value / 2 - lo / 2) / (hi / 2 - lo / 2)
        return (value - lo) / span
    log_ratio = math.log(hi) - math.log(lo) if math.isinf(hi / lo) else math.log(hi / lo)
    if sampling == "log":
        return (math.log(value) - math.log(lo)) / log_ratio
    # hi - value first: hi + lo - value may round to 0 when lo << hi.
    return 1 - (math.log((hi - value) + lo) - math.log(lo)) / log_ratio


def _decimal_context(hi):
    # Every integer up to `hi` has a digit to spare, and 12 guard digits more.
    return decimal.Context(prec=hi.bit_length() * 30103 // 100000 + 14)


@functools.lru_cache(maxsize=64)
def _decimal_log_ratio(lo, hi):
    with decimal.localcontext(_decimal_context(hi)):
        return (decimal.Decimal(hi) / decimal.Decimal(lo)).ln()


def _int_warp(sampling, lo, hi, prob):
    """``floor(_warp(sampling, lo, hi, prob))`` in decimal arithmetic, for ints beyond floats.

    Each operation rounds monotonically, so the result is non-decreasing in `prob`.
    """
    with decimal.localcontext(_decimal_context(hi)):
        lo_d, hi_d, prob_d = decimal.Decimal(lo), decimal.Decimal(hi), decimal.Decimal(prob)
        log_ratio = _decimal_log_ratio(lo, hi)
        if sampling == "log":
            x = lo_d * (prob_d * log_ratio).exp()
        else:
            x = hi_d - (lo_d * ((1 - prob_d) * log_ratio).exp() - lo_d)
        return int(x.to_integral_value(rounding=decimal.ROUND_FLOOR))


def _int_unwarp(sampling, lo, hi, value):
    """The inverse of `_int_warp` (before the rounding down), as a float."""
    with decimal.localcontext(_decimal_context(hi)):
        lo_d, hi_d, value_d = decimal.Decimal(lo), decimal.Decimal(hi), decimal.Decimal(value)
        log_ratio = _decimal_log_ratio(lo, hi)
        if sampling == "log":
            return float((value_d / lo_d).ln() / log_ratio)
        return float(1 - (((hi_d - value_d) + lo_d) / lo_d).ln() / log_ratio)


def _scaled_power(lo, step, k):
    """``lo * step**k``, also where ``step**k`` alone overflows a float."""
    try:
        return lo * step**k
    except OverflowError:
        return math.exp(math.log(lo) + k * math.log(step))


def _bisect_grid(n, grid_value, value):
    """The first index in ``range(n)`` whose ascending grid value is >= `value` (or n).

    ``bisect`` cannot do it: it needs ``len()``, which a grid may exceed.
    """
    low, high = 0, n
    while low < high:
        middle = (low + high) // 2
        if grid_value(middle) < value:
            low = middle + 1
        else:
            high = middle
    return low


class _Grid(Sequence):
    """The values of a stepped range, computed on demand.

    A grid may hold 2**62 values or more, so it is never a list; it still
    compares equal to a list (or tuple) of the same values, in order. Membership
    and ``index`` are computed, not searched. ``len`` fails beyond
    ``sys.maxsize`` values, like ``range``'s; the hyperparameter's
    ``cardinality`` counts them exactly.
    """

    def __init__(self, hp):
        self._hp = hp

    def __len__(self):
        return self._hp._n

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._hp._grid_value(i) for i in range(self._hp._n)[index]]
        return self._hp._grid_value(range(self._hp._n)[operator.index(index)])

    def __iter__(self):
        return map(self._hp._grid_value, range(self._hp._n))

    def __reversed__(self):
        return map(self._hp._grid_value, reversed(range(self._hp._n)))

    def __contains__(self, value):
        checked = self._hp._check(_plain(value))
        return checked is not _INVALID and checked == value

    def index(self, value, start=0, stop=None):
        position = None if value not in self else self._hp._grid_index(_plain(value))
        if position is None or position not in range(self._hp._n)[start:stop]:
            raise ValueError(f"{value!r} is not in {self!r}")
        return position

    def count(self, value):
        return int(value in self)

    def __eq__(self, other):
        if isinstance(other, _Grid):
            return self._hp == other._hp or (
                self._hp._n == other._hp._n and all(a == b for a, b in zip(self, other))
            )
        if isinstance(other, (list, tuple)):
            return self._hp._n == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def __repr__(self):
        return f"<grid of {self._hp._label}: {self._hp._grid_summary()}>"


class _Numerical(HyperParameter):
    """What `Int` and `Float` share.

    A subclass provides `cardinality`, `_count()` (the grid size), `_tidy()`,
    `_grid_index()` (the exact or nearest grid position of a value) and
    `_unstepped_value()` / `_unstepped_prob()` (the encoding without a step).
    """

    _kind: str | None = None  # "int" or "float": the type of the bounds, the step and the values.

    min_value: Any
    max_value: Any
    step: Any
    sampling: str
    # Provided by the subclasses (see above).
    _count: Callable[[], int]
    _grid_index: Callable[[Any], int | None]
    _unstepped_value: Callable[[float], Any]
    _unstepped_prob: Callable[[Any], float]
    _n: Any  # the grid size, or None without a step

    def __init__(self, name: str, min_value: Any, max_value: Any, step: Any, sampling: str | None, default: Any,
                 conditions: Parent | Iterable[Parent] | None) -> None:
        super().__init__(name, conditions=conditions)
        if sampling is None:
            sampling = "linear"
        if not isinstance(sampling, str) or sampling.lower() not in _SAMPLINGS:
            raise InvalidSpaceError(
                f"{self._label}: unknown sampling {sampling!r}; sampling must be one of "
                f"{', '.join(map(repr, _SAMPLINGS))}."
            )
        self.sampling = sampling.lower()
        self.min_value = self._number(min_value, "min_value")
        self.max_value = self._number(max_value, "max_value")
        if self.min_value > self.max_value:
            raise InvalidSpaceError(
                f"{self._label}: the min_value {self.min_value!r} is greater than the max_value "
                f"{self.max_value!r}."
            )
        if self.sampling != "linear" and self.min_value <= 0:
            raise InvalidSpaceError(
                f"{self._label}: sampling={self.sampling!r} does not support negative values "
                f"or zero; it needs min_value > 0, got min_value={self.min_value!r}."
            )
        self.step = None if step is None else self._number(step, "step")
        if self.step is not None and self.step <= 0:
            raise InvalidSpaceError(f"{self._label}: step must be > 0, got step={step!r}.")
        if self.step is not None and self.sampling != "linear" and self.step <= 1:
            raise InvalidSpaceError(
                f"For HyperParameters.{type(self).__name__}(name={self.name!r}), expected step > 1 "
                f"with sampling={self.sampling!r} (the step is a factor), got step={step!r}. "
                "Leave step out for a continuous range."
            )
        self._n = None if self.step is None else self._count()
        if default is None:
            # A reverse_log grid starts at min_value only when max_value is on the log grid.
            default = self.min_value if self.step is None else self._grid_value(0)
        self.default = self._validated(default, "default")

    def _number(self, value, arg):
        value = _plain(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InvalidSpaceTypeError(
                f"{self._label}: {arg} must be a number, got {value!r} of type "
                f"{type(value).__name__}."
            )
        if not isinstance(value, numbers.Integral) and not math.isfinite(value):
            raise InvalidSpaceError(f"{self._label}: {arg} must be finite, got {value!r}.")
        number = _to_kind(self._kind, value)
        if number is _INVALID and self._kind == "int":
            raise InvalidSpaceError(f"{self._label}: {arg} must be an integer, got {value!r}.")
        if number is _INVALID:
            raise InvalidSpaceError(
                f"{self._label}: {arg} must be finite as a float, got {value!r}, which "
                f"exceeds the float range (about 1.8e308)."
            )
        return number

    def prob_to_value(self, prob: float) -> Any:
        if self.step is None:
            return self._unstepped_value(prob)
        return self._grid_value(self._bin_to_index(_prob_to_index(prob, self._n)))

    def value_to_prob(self, value: Any) -> float:
        value = self.validate(value)
        if self.step is None:
            return self._unstepped_prob(value)
        # On a Float grid finer than floats several indices share a value; any
        # float that gives the value back will do.
        bin_ = self._bin_to_index(self._grid_index(value))
        return _preimage(self.prob_to_value, value, _index_to_prob(bin_, self._n))

    def _bin_to_index(self, i):
        """The grid index of the i-th bin of the unit interval, and back (an involution).

        Keras Tuner 1.4 numbers a stepped reverse_log grid from max_value down
        (``hi, hi + lo - lo * step, ...``), so its first bin is max_value; the
        same positions give the same values here.
        """
        return self._n - 1 - i if self.sampling == "reverse_log" else i

    @property
    def values(self) -> Sequence[Any]:
        """Keras Tuner's name for :meth:`grid_values`: every value a grid search tries."""
        return self.grid_values()

    def grid_values(self) -> Sequence[Any]:
        """Returns the grid in ascending order, as a lazy sequence.

        Without a step: the values at the centres of 10 equal bins of the unit
        interval (what Keras Tuner 1.4's grid search visits), ascending, without
        duplicates, as a list.
        """
        if self.step is None:
            probs = (_index_to_prob(i, _UNSTEPPED_GRID_SIZE) for i in range(_UNSTEPPED_GRID_SIZE))
            return sorted({self.prob_to_value(p) for p in probs})
        return _Grid(self)

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
            return repr(list(self.grid_values()))
        head = ", ".join(repr(self._grid_value(i)) for i in range(3))
        return f"[{head}, ..., {self._grid_value(self._n - 1)!r}] ({self._n} values)"

    def _grid_value(self, index):
        lo, hi, step = self.min_value, self.max_value, self.step
        if self.sampling == "linear":
            return self._tidy(lo + index * step)
        if self.sampling == "log":
            return self._tidy(_scaled_power(lo, step, index))
        return self._tidy(hi - (_scaled_power(lo, step, self._n - 1 - index) - lo))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "min_value": self.min_value,
            "max_value": self.max_value,
            "step": self.step,
            "sampling": self.sampling,
        }

    def __repr__(self) -> str:
        quote = "'" if self._kind == "float" else ""  # Keras Tuner quotes a Float's fields
        fields = [f"{key}: {quote}{getattr(self, key)}{quote}"
                  for key in ("min_value", "max_value", "step", "sampling", "default")]
        return self._repr(", ".join([f"name: '{self.name}'", *fields]))


class Int(_Numerical):
    """Integer hyperparameter; `max_value` is included.

    Exact for any range of Python ints (see the module docstring).

    Args:
        name: The name.
        min_value: Lower bound, inclusive.
        max_value: Upper bound, inclusive.
        step: Distance between values (linear; defaults to 1) or factor between
            values (log and reverse_log; defaults to none: every integer).
        sampling: "linear", "log" or "reverse_log".
        default: Defaults to `min_value` (to the smallest grid value for a
            reverse_log grid, which holds `min_value` only when `max_value` is
            on the log grid).
        conditions: `Parent` conditions for the hyperparameter to be active.
    """

    _kind = "int"

    def __init__(
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str | None = "linear",
        default: int | None = None,
        conditions: Parent | Iterable[Parent] | None = None,
    ) -> None:
        if step is None and sampling in (None, "linear"):
            step = 1
        super().__init__(name, min_value, max_value, step, sampling, default, conditions)

    @property
    def cardinality(self) -> int:
        return self._n if self.step is not None else self.max_value - self.min_value + 1

    def _count(self):
        if self.sampling == "linear":
            return (self.max_value - self.min_value) // self.step + 1
        n, value = 0, self.min_value
        while value <= self.max_value:
            n, value = n + 1, value * self.step
        return n

    def _tidy(self, value):
        return value

    def _grid_index(self, value):
        """The index of `value` on the grid, or None: exact, in ints."""
        if self.sampling == "linear":
            index, remainder = divmod(value - self.min_value, self.step)
            return index if remainder == 0 and 0 <= index < self._n else None
        # A log grid has few values (at most log2(max_value)): bisect them.
        index = _bisect_grid(self._n, self._grid_value, value)
        return index if index < self._n and self._grid_value(index) == value else None

    def _unstepped_value(self, prob):
        lo, hi = self.min_value, self.max_value
        prob = _clip(float(prob), 0.0, 1.0)
        if hi + 1 <= _FLOAT_INTEGERS:
            x = math.floor(_warp(self.sampling, lo, hi + 1, prob))
        else:
            x = _int_warp(self.sampling, lo, hi + 1, prob)
        return _clip(x, lo, hi)

    def _unstepped_prob(self, value):
        # The centre of the value's bin [value, value + 1) in the unit interval,
        # or a float inside the bin when the centre rounds out of it.
        lo, hi = self.min_value, self.max_value + 1
        unwarp = _unwarp if hi <= _FLOAT_INTEGERS else _int_unwarp
        centre = (
            unwarp(self.sampling, lo, hi, value) + unwarp(self.sampling, lo, hi, value + 1)
        ) / 2
        return _preimage(self._unstepped_value, value, _clip(centre, 0.0, 1.0))


class Float(_Numerical):
    """Floating-point hyperparameter.

    Args:
        name: The name.
        min_value: Lower bound, inclusive.
        max_value: Upper bound, inclusive.
        step: Distance between values (linear) or factor between values (log and
            reverse_log). Defaults to none: a continuous range.
        sampling: "linear", "log" or "reverse_log".
        default: Defaults to `min_value` (to the smallest grid value for a
            reverse_log grid, which holds `min_value` only when `max_value` is
            on the log grid).
        conditions: `Parent` conditions for the hyperparameter to be active.

    Raises:
        InvalidSpaceError: Besides bad arguments, a step so small that the grid
            would hold more values than a float can count.
    """

    _kind = "float"

    def __init__(
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str | None = "linear",
        default: float | None = None,
        conditions: Parent | Iterable[Parent] | None = None,
    ) -> None:
        super().__init__(name, min_value, max_value, step, sampling, default, conditions)

    @property
    def cardinality(self) -> Any:  # int | None; Any as callers use it as an int once `step` is set
        return self._n

    def _count(self):
        lo, hi, step = self.min_value, self.max_value, self.step
        if self.sampling == "linear":
            span = (hi - lo) / step if math.isfinite(hi - lo) else hi / step - lo / step
        else:
            ratio = hi / lo
            log_ratio = math.log(ratio) if math.isfinite(ratio) else math.log(hi) - math.log(lo)
            span = log_ratio / math.log(step)
        if not math.isfinite(span):
            raise InvalidSpaceError(
                f"{self._label}: step={step!r} is too small for [{lo!r}, {hi!r}]: the grid "
                f"would hold more than 1.8e308 values. Use a larger step, or none."
            )
        # The epsilon keeps max_value on the grid when the division lands a hair short.
        return int(span + 1e-9) + 1

    def _tidy(self, value):
        # 15 significant digits drop the noise of repeated float arithmetic
        # (0.30000000000000004 -> 0.3) and keep the grid inside the range.
        return _clip(float(f"{value:.15g}"), self.min_value, self.max_value)

    def _same(self, a, b):
        width = self.max_value * 1e-9 - self.min_value * 1e-9
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=width)

    def _grid_index(self, value):
        """The index of the grid value equal to `value` (up to rounding), or None."""
        lo, hi, step = self.min_value, self.max_value, self.step
        if self.sampling == "linear":
            offset = value - lo
            position = offset / step if math.isfinite(offset) else value / step - lo / step
        elif self.sampling == "log":
            if value <= 0:
                return None
            position = (math.log(value) - math.log(lo)) / math.log(step)
        else:
            distance = (hi - value) + lo
            if distance <= 0:
                return None
            position = self._n - 1 - (math.log(distance) - math.log(lo)) / math.log(step)
        index = round(position) if math.isfinite(position) else None
        if index is not None and 0 <= index < self._n and self._grid_value(index) == value:
            return index
        # Rounding moved `position` off the grid value equal to `value`, if there is
        # one (on a grid finer than floats, several indices share a value): find it.
        exact = _bisect_grid(self._n, self._grid_value, value)
        if exact < self._n and self._grid_value(exact) == value:
            return exact
        if index is not None and 0 <= index < self._n:
            return index if self._same(self._grid_value(index), value) else None
        return None

    def _unstepped_value(self, prob):
        x = _warp(self.sampling, self.min_value, self.max_value, _clip(float(prob), 0.0, 1.0))
        return _clip(x, self.min_value, self.max_value)

    def _unstepped_prob(self, value):
        return _clip(_unwarp(self.sampling, self.min_value, self.max_value, value), 0.0, 1.0)
