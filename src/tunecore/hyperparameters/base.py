"""The hyperparameter interface, the `Parent` condition and (de)serialization.

A :class:`HyperParameter` is one dimension of the search space. Besides Keras
Tuner's API it exposes the unit-interval encoding that the oracles work in:
``prob_to_value`` maps a number in [0, 1] onto a value (warped by the sampling,
and binned onto the grid when the values are discrete, one equal-width bin per
value) and ``value_to_prob`` maps a value back to the centre of its bin, so that
``prob_to_value(value_to_prob(v)) == v`` for every valid ``v`` that some float
maps to. Bins are computed exactly, with integers, so that a range of 2**62
values (or more) loses none to float rounding; when a bin is narrower than the
floats around it, ``value_to_prob`` returns a float inside it rather than its
rounded centre.

Numpy scalars (``np.bool_``, ``np.integer``, ``np.floating``) are accepted
wherever a value is, and stored as the builtin type.

Definitions are immutable once built: containers share them between copies.
"""

import json
import numbers
import random
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError

# Returned by the `_check` methods for a value outside the space, because `None`
# is a valid value (of `Fixed(name, None)`).
_INVALID = object()

# class_name -> class, for `deserialize`. Subclasses register themselves.
_CLASSES: dict[str, "type[HyperParameter] | type[Parent]"] = {}


def _plain(value):
    """`value` as a builtin bool, int or float if it is a numpy one; else `value` itself."""
    if type(value) in _BUILTIN_KINDS:
        return value
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    return value


_BUILTIN_KINDS = {bool: "bool", int: "int", float: "float", str: "str"}


def _scalar_kind(value):
    """Returns 'bool', 'int', 'float' or 'str' for a scalar value, else None."""
    kind = _BUILTIN_KINDS.get(type(value))
    if kind is not None:  # the common case, without the ABC checks below
        return kind
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


def _to_kind(kind, value):
    """Returns `value` as the builtin type named by `kind`, or `_INVALID`.

    Ints are accepted as floats, and integral floats (``1e3``) as ints; bools
    are never numbers, so that ``True`` cannot pass for ``1``.
    """
    if kind == "bool":
        return value if isinstance(value, bool) else _INVALID
    if kind == "str":
        return str(value) if isinstance(value, str) else _INVALID
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return _INVALID
    if isinstance(value, numbers.Integral):
        if kind == "int":
            return int(value)
        try:
            return float(value)
        except OverflowError:  # an int beyond the float range
            return _INVALID
    if kind == "float":
        return float(value)
    return int(value) if float(value).is_integer() else _INVALID


def _prob_to_index(prob, n):
    """The bin of `prob` when [0, 1] is cut into `n` equal bins: floor(prob * n), exactly.

    Exact for any int `n` (a float product would round 2**62 bins together).
    """
    prob = float(prob)
    # Optimisers may step a hair outside the unit interval.
    if prob <= 0:
        return 0
    if prob >= 1:
        return n - 1
    numerator, denominator = prob.as_integer_ratio()
    return numerator * n // denominator


def _index_to_prob(index, n):
    """A float in bin `index` of `n` equal bins of [0, 1]: its centre, when that rounds into it."""
    # int / int is correctly rounded in Python, however large the ints.
    centre = (2 * index + 1) / (2 * n)
    return _preimage(lambda prob: _prob_to_index(prob, n), index, centre)


_ONE_BITS = struct.unpack("<q", struct.pack("<d", 1.0))[0]


def _preimage(to_value, value, guess):
    """A float `prob` in [0, 1] with ``to_value(prob) == value``.

    Returns `guess` if it qualifies (the usual case), else bisects the floats of
    [0, 1] in order (non-negative floats sort like their bit patterns), which
    needs `to_value` non-decreasing. Returns `guess` if no float qualifies.
    """
    if to_value(guess) == value:
        return guess
    low, high = 0, _ONE_BITS
    while low < high:
        middle = (low + high) // 2
        if to_value(_bits_to_float(middle)) < value:
            low = middle + 1
        else:
            high = middle
    prob = _bits_to_float(low)
    return prob if to_value(prob) == value else guess


def _bits_to_float(bits):
    return struct.unpack("<d", struct.pack("<q", bits))[0]


def _canonical(config):
    # JSON text tells True from 1 and 1 from 1.0, which == on dicts does not.
    return json.dumps(config, sort_keys=True)


class HyperParameter:
    """One dimension of the search space.

    The base class holds what every hyperparameter has (a name, a default,
    conditions) and round-trips through ``get_config`` / ``from_config``, as
    Keras Tuner's does. It defines no values: searching it (``prob_to_value``,
    ``grid_values``...) raises ``NotImplementedError``, and a search space
    refuses it. A subclass sets its own attributes in ``__init__``, then
    ``self.default = self._validated(default, "default")``, and implements
    those methods. Its ``get_config()`` must hold exactly the keyword
    arguments of its ``__init__``, so that ``from_config`` can rebuild it.

    Args:
        name: The name, unique within a search space.
        default: The value used when none is chosen.
        conditions: `Parent` conditions that must all hold for the
            hyperparameter to be active (one `Parent` or a list).

    Attributes:
        name: The name.
        default: The value used when none is chosen.
        conditions: List of `Parent`.
    """

    name: str
    default: Any
    conditions: list["Parent"]

    def __init__(
        self, name: str, default: Any = None, conditions: "Parent | Iterable[Parent] | None" = None
    ) -> None:
        if not isinstance(name, str):
            raise InvalidSpaceTypeError(
                f"A hyperparameter name must be a str, got {name!r} of type {type(name).__name__}."
            )
        if not name:
            raise InvalidSpaceError("A hyperparameter name must not be empty.")
        self.name = name
        self.default = _plain(default)
        if conditions is None:
            conditions = []
        elif isinstance(conditions, Parent):
            conditions = [conditions]
        conditions = list(conditions)
        for condition in conditions:
            if not isinstance(condition, Parent):
                raise InvalidSpaceTypeError(
                    f"{self._label}: conditions must be Parent objects, got {condition!r}."
                )
        self.conditions = conditions

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            _CLASSES[cls.__name__] = cls

    @property
    def cardinality(self) -> int | None:
        """The number of distinct values, or None when the values are continuous."""
        raise self._no_values("cardinality")

    def grid_values(self) -> Sequence[Any]:
        """Returns the values that grid search visits, in order.

        A sequence (it supports ``len``, indexing, ``in`` and iteration, and
        equals a list of the same values), computed on demand for a numeric
        range, whose grid may hold 2**62 values or more: ``cardinality``
        counts them exactly (``len`` fails beyond ``sys.maxsize``).
        """
        raise self._no_values("grid_values()")

    def prob_to_value(self, prob: float) -> Any:
        """Returns the value at `prob` in [0, 1] of the unit-interval encoding."""
        raise self._no_values("prob_to_value()")

    def value_to_prob(self, value: Any) -> float:
        """Returns the position in [0, 1] of a valid `value` (its bin centre if discrete).

        Raises:
            InvalidSpaceError: `value` is not a valid value.
        """
        raise self._no_values("value_to_prob()")

    def _check(self, value):
        """Returns `value` coerced to this hyperparameter's type, or `_INVALID`."""
        raise self._no_values("validate()")

    def _expected(self):
        """Describes the valid values, for error messages."""
        raise self._no_values("validate()")

    def _no_values(self, method):
        return NotImplementedError(
            f"{self._label} defines no values, so it has no {method}: use a subclass "
            "(Int, Float, Choice, Boolean, Fixed or one of your own that implements it)."
        )

    @property
    def _label(self):
        return f"{type(self).__name__} {self.name!r}"

    def validate(self, value: Any) -> Any:
        """Returns `value` coerced to this hyperparameter's type (e.g. 3 -> 3.0 for a Float).

        Raises:
            InvalidSpaceError: `value` is not one of the valid values.
        """
        return self._validated(value, "value")

    def _validated(self, value, what, keras_tuner_sentence=""):
        """``value`` checked and coerced; an invalid one raises, led by Keras Tuner's sentence if given."""
        checked = self._check(_plain(value))
        if checked is _INVALID:
            lead = f"{keras_tuner_sentence} " if keras_tuner_sentence else ""
            raise InvalidSpaceError(
                f"{lead}{self._label}: invalid {what} {value!r}; expected {self._expected()}."
            )
        return checked

    def random_sample(self, seed: int | None = None) -> Any:
        """Returns a value drawn uniformly in the unit-interval encoding."""
        return self.prob_to_value(random.Random(seed).random())

    def is_active(self, values: Mapping[str, Any]) -> bool:
        """Whether every condition holds for `values`, a dict of active values by name."""
        return all(condition.is_active(values) for condition in self.conditions)

    def get_config(self) -> dict[str, Any]:
        """Returns the JSON-serialisable constructor arguments."""
        return {
            "name": self.name,
            "default": self.default,
            "conditions": [serialize(condition) for condition in self.conditions],
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "HyperParameter":
        """Rebuilds a hyperparameter from `get_config()`."""
        config = dict(config)
        config["conditions"] = [deserialize(c) for c in config.get("conditions", [])]
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HyperParameter):
            return NotImplemented
        return type(self) is type(other) and _canonical(self.get_config()) == _canonical(
            other.get_config()
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return self._repr(f"name: '{self.name}', default: {self.default}")

    def _repr(self, fields):
        """``Type(fields)`` in Keras Tuner's repr format, with the conditions when there are some."""
        if self.conditions:
            fields += f", conditions: {self.conditions}"
        return f"{type(self).__name__}({fields})"


_CLASSES["HyperParameter"] = HyperParameter


class Parent:
    """Condition: active when the hyperparameter `name` takes one of `values`.

    Args:
        name: Name of the parent hyperparameter.
        values: The parent values that activate the condition (a list, or one
            value). Each is an int, float, str or bool (numpy scalars are
            converted).
    """

    name: str
    values: list[Any]

    def __init__(self, name: str, values: Any) -> None:
        if not isinstance(name, str):
            raise InvalidSpaceTypeError(f"Parent name must be a str, got {name!r}.")
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        values = [_plain(value) for value in values]
        if not values:
            raise InvalidSpaceError(f"Parent {name!r}: values must not be empty.")
        for value in values:
            if _scalar_kind(value) is None:
                raise InvalidSpaceTypeError(
                    f"Parent {name!r}: values must be int, float, str or bool, got {value!r}."
                )
        self.name = name
        self.values = [_to_kind(_scalar_kind(value), value) for value in values]

    def is_active(self, values: Mapping[str, Any]) -> bool:
        """Whether `values` (active values by name) gives the parent one of `self.values`."""
        return self.name in values and values[self.name] in self.values

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "values": list(self.values)}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Parent":
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Parent):
            return NotImplemented
        return _canonical(self.get_config()) == _canonical(other.get_config())

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"Parent({self.name!r}, {self.values!r})"


_CLASSES["Parent"] = Parent


def serialize(obj: Any) -> dict[str, Any]:
    """Returns ``{"class_name": ..., "config": ...}`` for a hyperparameter, a `Parent` or a
    whole `HyperParameters`."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize(config: Mapping[str, Any]) -> Any:
    """Rebuilds the hyperparameter or `Parent` described by `serialize()`'s output.

    Raises:
        InvalidSpaceError: The class name is not a known hyperparameter class.
    """
    if config.get("class_name") == "HyperParameters":  # Keras Tuner serializes whole spaces too
        from tunecore.hyperparameters.space import HyperParameters

        return HyperParameters.from_config(config["config"])
    cls = _CLASSES.get(config["class_name"])
    if cls is None:
        raise InvalidSpaceError(
            f"Unknown hyperparameter class {config['class_name']!r}. "
            f"Known: {', '.join(sorted(_CLASSES))}."
        )
    return cls.from_config(config["config"])
