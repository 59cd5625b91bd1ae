"""Hyperparameters with a listed set of values: `Choice`, `Boolean` and `Fixed`.

Value ``i`` of ``n`` owns the bin ``[i/n, (i+1)/n)`` of the unit interval and is
encoded as its centre ``(i + 0.5)/n``.
"""

from collections.abc import Iterable
from typing import Any

from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError
from tunecore.hyperparameters.base import (
    _INVALID,
    HyperParameter,
    Parent,
    _index_to_prob,
    _plain,
    _prob_to_index,
    _scalar_kind,
    _to_kind,
)


class Choice(HyperParameter):
    """One value among a list.

    Unlike Keras Tuner, a list of bools stays bools (Keras Tuner turns them into
    0 and 1), and ints mixed with floats become floats.

    Args:
        name: The name.
        values: Non-empty list of distinct values, all int, float, str or bool
            (numpy scalars are converted to these), all of one type but for
            ints mixed with floats.
        ordered: Whether the order of `values` means something; defaults to True
            for numbers. Must be False for str and bool values.
        default: Defaults to ``values[0]``.
        conditions: `Parent` conditions for the hyperparameter to be active.
    """

    def __init__(self, name: str, values: Iterable[Any], ordered: bool | None = None, default: Any = None,
                 conditions: Parent | Iterable[Parent] | None = None) -> None:
        super().__init__(name, conditions=conditions)
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise InvalidSpaceTypeError(f"{self._label}: values must be a list, got {values!r}.")
        values = [_plain(value) for value in values]
        if not values:
            raise InvalidSpaceError(f"{self._label}: `values` must be provided (a non-empty list).")
        kinds = {_scalar_kind(value) for value in values}
        if None in kinds:
            bad = next(value for value in values if _scalar_kind(value) is None)
            raise InvalidSpaceTypeError(
                f"{self._label}: a `Choice` can contain only `int`, `float`, `str`, or `bool` values; got {bad!r} of type "
                f"{type(bad).__name__}."
            )
        if kinds == {"int", "float"}:
            kinds = {"float"}
        if len(kinds) > 1:
            raise InvalidSpaceTypeError(
                f"{self._label}: a `Choice` can contain only one type of value, got {values!r} "
                f"(types: {', '.join(sorted(kinds))})."
            )
        self._kind = kinds.pop()
        self.values = [_to_kind(self._kind, value) for value in values]
        if _INVALID in self.values:
            bad = values[self.values.index(_INVALID)]
            raise InvalidSpaceError(
                f"{self._label}: value {bad!r} cannot be a float like the other values: it "
                f"exceeds the float range (about 1.8e308)."
            )
        seen = set()
        for value in self.values:
            if value in seen:
                raise InvalidSpaceError(f"{self._label}: duplicate value {value!r} in {values!r}.")
            seen.add(value)
        numeric = self._kind in ("int", "float")
        if ordered and not numeric:
            raise InvalidSpaceError(
                f"{self._label}: `ordered` must be `False` for non-numeric values; got ordered=True "
                f"with {self._kind} values."
            )
        self.ordered = numeric if ordered is None else bool(ordered)
        self.default = self._validated(
            self.values[0] if default is None else default, "default",
            "The default value should be one of the choices.",
        )

    @property
    def cardinality(self) -> int:
        return len(self.values)

    def grid_values(self) -> list[Any]:
        return list(self.values)

    def prob_to_value(self, prob: float) -> Any:
        return self.values[_prob_to_index(prob, len(self.values))]

    def value_to_prob(self, value: Any) -> float:
        return _index_to_prob(self.values.index(self.validate(value)), len(self.values))

    def _check(self, value):
        value = _to_kind(self._kind, value)
        return value if value is not _INVALID and value in self.values else _INVALID

    def _expected(self):
        return f"one of {self.values!r}"

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "values": list(self.values), "ordered": self.ordered}

    def __repr__(self) -> str:
        return self._repr(
            f"name: '{self.name}', values: {self.values}, ordered: {self.ordered}, default: {self.default}"
        )


class Boolean(HyperParameter):
    """True or False, encoded like ``Choice([False, True])``.

    Args:
        name: The name.
        default: Defaults to False.
        conditions: `Parent` conditions for the hyperparameter to be active.
    """

    _VALUES = (False, True)

    def __init__(self, name: str, default: bool = False, conditions: Parent | Iterable[Parent] | None = None) -> None:
        super().__init__(name, conditions=conditions)
        self.default = self._validated(default, "default", "`default` must be a Python boolean.")

    @property
    def values(self) -> list[Any]:
        """Keras Tuner's name for :meth:`grid_values`: every value a grid search tries."""
        return [True, False]  # Keras Tuner's order

    @property
    def cardinality(self) -> int:
        return 2

    def grid_values(self) -> list[Any]:
        return list(self._VALUES)

    def prob_to_value(self, prob: float) -> Any:
        return self._VALUES[_prob_to_index(prob, 2)]

    def value_to_prob(self, value: Any) -> float:
        return _index_to_prob(self._VALUES.index(self.validate(value)), 2)

    def _check(self, value):
        return value if isinstance(value, bool) else _INVALID

    def _expected(self):
        return "True or False"

    def __repr__(self) -> str:
        return self._repr(f'name: "{self.name}", default: {self.default}')


class Fixed(HyperParameter):
    """A single value, not tuned.

    Args:
        name: The name.
        value: An int, float, str, bool or None (a numpy scalar is converted).
        conditions: `Parent` conditions for the hyperparameter to be active.
    """

    def __init__(self, name: str, value: Any, conditions: Parent | Iterable[Parent] | None = None) -> None:
        super().__init__(name, conditions=conditions)
        value = _plain(value)
        self._kind = _scalar_kind(value)
        if value is not None and self._kind is None:
            raise InvalidSpaceTypeError(
                f"`Fixed` value must be an `int`, `float`, `str`, or `bool`, found {value!r} "
                f"(of type {type(value).__name__}) for {self._label}; None is allowed too."
            )
        self.value = None if value is None else _to_kind(self._kind, value)
        self.default = self.value

    @property
    def values(self) -> list[Any]:
        """Keras Tuner's name for :meth:`grid_values`: every value a grid search tries."""
        return self.grid_values()

    @property
    def cardinality(self) -> int:
        return 1

    def grid_values(self) -> list[Any]:
        return [self.value]

    def prob_to_value(self, prob: float) -> Any:
        return self.value

    def value_to_prob(self, value: Any) -> float:
        self.validate(value)
        return 0.5

    def _check(self, value):
        if self.value is None or value is None:
            return value if value is self.value else _INVALID
        value = _to_kind(self._kind, value)
        return self.value if value is not _INVALID and value == self.value else _INVALID

    def _expected(self):
        return repr(self.value)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["default"]
        return {**config, "value": self.value}

    def __repr__(self) -> str:
        return self._repr(f"name: {self.name}, value: {self.value}")
