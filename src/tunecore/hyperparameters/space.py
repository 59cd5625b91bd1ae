"""`HyperParameters`: a search space and the current values in it."""

import contextlib
import difflib
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from tunecore import schedule
from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError
from tunecore.hyperparameters import discrete, numerical
from tunecore.hyperparameters.base import HyperParameter, Parent, deserialize, serialize

_V = TypeVar("_V")


class _Values(dict):
    """The active values; setting one goes through `HyperParameters.assign` (validated).

    As in Keras Tuner, ``hp.values["units"] = 64`` presets a value, even for a
    hyperparameter that is not defined yet: its definition then takes it.
    """

    def __init__(self, hps, items):
        super().__init__(items)
        self._hps = hps

    def __setitem__(self, name, value):
        super().__setitem__(name, self._hps.assign(name, value))

    def update(self, *args, **kwargs):
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def _unsupported(self, *args, **kwargs):
        raise TypeError("Values cannot be removed from HyperParameters.values; they follow the space.")

    __delitem__ = clear = pop = popitem = _unsupported

    def __reduce__(self):
        return (dict, (dict(self),))


_NONE = object()
_ANY = object()


def _key(name, conditions):
    return (name, tuple(conditions))


class HyperParameters:
    """A search space (hyperparameter definitions, in order) and the current values.

    A hypermodel defines hyperparameters by calling `Int`, `Float`, `Choice`,
    `Boolean` and `Fixed`; each call returns the current value. The first call
    for a name registers the definition with its default as value.

    Activity: a hyperparameter defined inside `conditional_scope` is active
    only while its parents hold the given values. A condition names a parent
    defined earlier, so a single pass in definition order decides activity. An
    inactive hyperparameter keeps its definition and its stored value, but is
    left out of `values` and reads as None (where Keras Tuner 1.4 also gives
    None). The definition methods are typed with the value alone (`Int` ->
    ``int``, `Float` -> ``float``, `Choice` -> the type of its values): code
    that reads an inactive value runs in a branch that is off, which Keras
    Tuner's pattern guards with ``if`` (``if model == "mlp": units =
    hp.Int(...)``), so None in every type would only burden the active case.

    One name, several branches: as in Keras Tuner, a definition is identified
    by its name *and* its conditions, so each branch of a model choice may
    define its own ``"units"`` (``with hp.conditional_scope("model", "mlp"):
    hp.Int("units", 8, 64)`` and, under ``"cnn"``, ``hp.Int("units", 16,
    256)``). They share one value, that of the active definition: it is
    sampled, validated and returned by the definition whose conditions hold.
    An unconditional definition stands for every branch: a later conditional
    definition of its name finds it (so ``Fixed("units", 32)`` passed to a
    tuner fixes the name in every branch).

    Reserved names: names under ``tuner/`` (:mod:`tunecore.schedule`) hold the
    values an oracle injects into a trial (``tuner/epochs``...). The definition
    methods refuse them; `get`, `values`, `register` and `from_config` handle
    them like any other.

    Redefinition: defining a name again returns the current value, and the
    first definition stays (Keras Tuner's rule, which lets tests and users
    pin a value by defining it first); defining it twice *on this object*
    with different definitions also warns. A definition that this object did
    not make itself (it came with `copy()`, `merge()` or `from_config()`)
    overrides later, different definitions silently, as a `Fixed` always does:
    that is how Keras Tuner lets ``Tuner(hyperparameters=hp)`` restrict or fix
    parameters of a hypermodel.
    """

    def __init__(self) -> None:
        self._space: list[HyperParameter] = []
        # name -> its definitions (one per set of conditions), in definition order.
        self._by_name: dict[str, list[HyperParameter]] = {}
        self._values: dict[str, Any] = {}
        # Definitions made by calls on this object, to catch conflicting redefinitions.
        self._declared: dict[tuple[str, tuple[Parent, ...]], HyperParameter] = {}
        self._name_scopes: list[str] = []
        self._conditions: list[Parent] = []
        #: The conditional scopes entered, active or not, each as the
        #: ``(parent, first value)`` pairs that activate it, outermost first
        #: (the tuner builds with each, to meet every branch before a search).
        self.scopes: set[tuple[tuple[str, Any], ...]] = set()

    def Int(
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str | None = "linear",
        default: int | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> int:
        """Defines an integer range; see `tunecore.hyperparameters.Int`.

        Returns:
            The current value, or None if the hyperparameter is inactive.
        """
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self.register(
                numerical.Int(
                    self._definable(name),
                    min_value,
                    max_value,
                    step=step,
                    sampling=sampling,
                    default=default,
                    conditions=self._conditions,
                )
            )

    def Float(
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str | None = "linear",
        default: float | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> float:
        """Defines a float range; see `tunecore.hyperparameters.Float`.

        Returns:
            The current value, or None if the hyperparameter is inactive.
        """
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self.register(
                numerical.Float(
                    self._definable(name),
                    min_value,
                    max_value,
                    step=step,
                    sampling=sampling,
                    default=default,
                    conditions=self._conditions,
                )
            )

    def Choice(
        self, name: str, values: Iterable[_V], ordered: bool | None = None, default: _V | None = None,
        parent_name: str | None = None, parent_values: Any = None
    ) -> _V:
        """Defines a choice among values; see `tunecore.hyperparameters.Choice`.

        Returns:
            The current value, or None if the hyperparameter is inactive.
        """
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self.register(
                discrete.Choice(
                    self._definable(name),
                    values,
                    ordered=ordered,
                    default=default,
                    conditions=self._conditions,
                )
            )

    def Boolean(self, name: str, default: bool = False, parent_name: str | None = None,
                parent_values: Any = None) -> bool:
        """Defines a boolean; see `tunecore.hyperparameters.Boolean`.

        Returns:
            The current value, or None if the hyperparameter is inactive.
        """
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self.register(
                discrete.Boolean(
                    self._definable(name), default=default, conditions=self._conditions
                )
            )

    def Fixed(self, name: str, value: _V, parent_name: str | None = None, parent_values: Any = None) -> _V:
        """Defines a fixed value; see `tunecore.hyperparameters.Fixed`.

        Returns:
            The value, or None if the hyperparameter is inactive.
        """
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self.register(
                discrete.Fixed(self._definable(name), value, conditions=self._conditions)
            )

    def register(self, hp: HyperParameter) -> Any:
        """Adds a definition, or finds the one registered under its name.

        Args:
            hp: A `HyperParameter`. Its conditions must name parents already
                registered.

        Returns:
            The current value of the registered hyperparameter, or None if it is
            inactive.

        Raises:
            InvalidSpaceError: The name was defined on this object before with a
                different definition, or a condition names an unknown parent.
            InvalidSpaceTypeError: `hp` is not a hyperparameter with values
                (the bare `HyperParameter` base class has none).
        """
        if not isinstance(hp, HyperParameter):
            raise InvalidSpaceTypeError(f"register() takes a HyperParameter, got {hp!r}.")
        self._check_not_own_parent(hp)
        siblings = self._by_name.get(hp.name, [])
        existing = self._find(hp.name, hp.conditions)
        if existing is None:
            existing = next((other for other in siblings if not other.conditions), None)
        if existing is None:
            self._check_definition(hp, self._space)
            if not siblings:
                preset = self._values.get(hp.name, _NONE)
                self._values[hp.name] = hp.default if preset is _NONE else hp.validate(preset)
            elif self.is_active(hp) and not any(self.is_active(other) for other in siblings):
                # The stored value is an inactive branch's: the new active branch starts at its default.
                self._values[hp.name] = hp.default
            self._space.append(hp)
            self._by_name.setdefault(hp.name, []).append(hp)
            existing = hp
        else:
            declared = self._declared.get(_key(existing.name, existing.conditions))
            overridden = isinstance(existing, discrete.Fixed) and not isinstance(hp, discrete.Fixed)
            if declared is not None and declared != hp and not overridden:
                warnings.warn(
                    f"Hyperparameter {hp.name!r} is already defined as {declared!r}; the first "
                    f"definition is kept and {hp!r} is ignored (Keras Tuner's rule). Use another "
                    "name if both are meant.",
                    UserWarning,
                    stacklevel=3,
                )
        self._declared.setdefault(_key(existing.name, existing.conditions), hp)
        if existing is not hp and not self.is_active(hp):
            return None  # found an unconditional definition, but this branch is off
        return self._current(existing)

    def _find(self, name, conditions):
        """The definition of `name` under exactly `conditions`, or None."""
        for hp in self._by_name.get(name, ()):
            if hp.conditions == list(conditions):
                return hp
        return None

    def _current(self, hp):
        if not self.is_active(hp):
            return None
        # A space loaded from a config may lack values; the definition call supplies one.
        return self._values.setdefault(hp.name, hp.default)

    @staticmethod
    def _check_not_own_parent(hp):
        for condition in hp.conditions:
            if condition.name == hp.name:
                raise InvalidSpaceError(
                    f"Hyperparameter {hp.name!r} cannot be conditioned on itself: a hyperparameter "
                    "cannot have the same name as its parent condition."
                )

    def _check_definition(self, hp, earlier):
        """Raises unless `hp` can join the space after the definitions `earlier`."""
        if type(hp) is HyperParameter:
            raise InvalidSpaceTypeError(
                f"A search space takes hyperparameters with values (Int, Float, Choice, Boolean, "
                f"Fixed...), got the bare base class: {hp!r}."
            )
        self._check_not_own_parent(hp)
        names = {other.name for other in earlier}
        for condition in hp.conditions:
            if condition.name not in names:
                raise InvalidSpaceError(
                    f"Hyperparameter {hp.name!r} has a condition on {condition.name!r}, which "
                    f"is not defined before it. Define a parent before its children."
                )

    @contextlib.contextmanager
    def name_scope(self, name: str) -> Iterator[None]:
        """Prefixes the names defined (and looked up with `get`) inside with ``name/``."""
        self._name_scopes.append(name)
        try:
            yield
        finally:
            self._name_scopes.pop()

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """Makes the hyperparameters defined inside active only when a parent has given values.

        Scopes nest: a hyperparameter carries the conditions of every enclosing
        scope. Code inside runs whether or not the condition holds; definitions
        there return None while it does not.

        Args:
            parent_name: Name of a hyperparameter already defined (name scopes apply).
            parent_values: The parent values that activate the scope (a list or one value).

        Raises:
            InvalidSpaceError: No hyperparameter named `parent_name` is defined yet.
        """
        full_name = self._scoped(parent_name)
        if full_name not in self._by_name:
            raise InvalidSpaceError(
                f"Cannot open a conditional scope on {full_name!r}: it is not defined (no "
                f"hyperparameter of that name yet).{self._hint(full_name)} Define the parent first."
            )
        self._conditions.append(Parent(full_name, parent_values))
        self.scopes.add(tuple((c.name, c.values[0]) for c in self._conditions))
        try:
            yield
        finally:
            self._conditions.pop()

    @contextlib.contextmanager
    def _maybe_conditional_scope(self, parent_name, parent_values):
        if parent_name is None:
            yield
        else:
            with self.conditional_scope(parent_name, parent_values):
                yield

    def _scoped(self, name):
        return "/".join([*self._name_scopes, name]) if self._name_scopes else name

    def _definable(self, name):
        """The full name of a hyperparameter defined by user code, refusing reserved names.

        Oracles add the scheduling values (:mod:`tunecore.schedule`) with
        `register`, and `from_config` reloads them: those do not come here.
        """
        full_name = self._scoped(name)
        if isinstance(full_name, str) and schedule.is_scheduling(full_name):
            scopes = "/".join(self._name_scopes)
            via_scope = f" (name scope {scopes!r})" if scopes else ""
            raise InvalidSpaceError(
                f"Hyperparameter {full_name!r}{via_scope}: names starting with "
                f"{schedule.PREFIX!r} are reserved for the scheduling values an oracle injects "
                f"into a trial (such as {schedule.EPOCHS!r}; see tunecore.schedule), so it "
                f"would never be tuned. Choose a name outside {schedule.PREFIX!r}; read an "
                f"injected value with hp.get({full_name!r}) or hp.values[{full_name!r}]."
            )
        return full_name

    @property
    def space(self) -> list[HyperParameter]:
        """List of the `HyperParameter` definitions, in definition order."""
        return list(self._space)

    @property
    def declared(self) -> list[HyperParameter]:
        """The definitions made by calls on this object (``hp.Float(...)``...), in order.

        Unlike `space`, these are the definitions as the code wrote them, also
        where the object already held a definition of that name (from `copy`,
        `merge` or `from_config`), whose value the call returned: the tuner
        compares them with the project's to refuse a definition that changed.
        """
        return list(self._declared.values())

    @property
    def values(self) -> dict[str, Any]:
        """Dict of the active hyperparameters' values, in definition order.

        Values preset for names not defined yet follow, as in Keras Tuner (a
        custom oracle's suggestion, a ``hp.values[name] = value``). Assigning
        to it (``hp.values[name] = value``) is :meth:`assign`.
        """
        return _Values(self, [
            *((hp.name, self._values[hp.name]) for hp in self.active_space() if hp.name in self._values),
            *self._undeclared().items(),
        ])

    def active_space(self, values: Mapping[str, Any] | None = None) -> list[HyperParameter]:
        """Returns the hyperparameters active under `values`, in definition order.

        Args:
            values: Dict of values by name; defaults to the current values. Values
                of hyperparameters that turn out inactive are ignored.
        """
        values = self._values if values is None else values
        active: list[HyperParameter] = []
        active_values: dict[str, Any] = {}
        for hp in self._space:
            if hp.is_active(active_values):
                active.append(hp)
                if hp.name in values:
                    active_values[hp.name] = values[hp.name]
        return active

    def get_hyperparameter(self, name: str, conditions: Any = _ANY) -> HyperParameter:
        """Returns a definition registered as `name`, active or not.

        Args:
            name: The hyperparameter's full name.
            conditions: A list of `Parent`: the definition under exactly these
                conditions. By default, the active definition of `name` (the
                first one if none is active), for a name defined in several
                conditional branches.

        Raises:
            KeyError: No hyperparameter has this name (and these conditions).
        """
        definitions = self._by_name.get(name)
        if definitions is None:
            raise KeyError(f"Unknown hyperparameter {name!r}.{self._hint(name)}")
        if conditions is not _ANY:
            hp = self._find(name, conditions)
            if hp is None:
                raise KeyError(
                    f"Hyperparameter {name!r} has no definition with conditions {list(conditions)!r}; "
                    f"its definitions: {definitions!r}."
                )
            return hp
        if len(definitions) == 1:
            return definitions[0]
        return next((hp for hp in definitions if self.is_active(hp)), definitions[0])

    def is_defined(self, name: str, conditions: Any = _ANY) -> bool:
        """Whether a hyperparameter named `name` is defined, active or not.

        Args:
            name: The hyperparameter's full name.
            conditions: A list of `Parent`: whether `name` is defined under
                exactly these conditions. By default, under any.
        """
        if conditions is _ANY:
            return name in self._by_name
        return self._find(name, conditions) is not None

    def is_active(self, hp: HyperParameter | str) -> bool:
        """Whether a hyperparameter (object or name) is active under the current values.

        A name is active when one of its definitions is; an unknown name is not.
        """
        if not isinstance(hp, HyperParameter):
            return any(self.is_active(other) for other in self._by_name.get(hp, ()))
        if not hp.conditions:  # spares building `values` on every definition call
            return True
        return hp.is_active(self.values)

    def get(self, name: str) -> Any:
        """Returns the value of an active hyperparameter (name scopes apply).

        Raises:
            KeyError: No hyperparameter has this name.
            ValueError: The hyperparameter is inactive (or, loaded from a config
                without its value, has none).
        """
        full_name = self._scoped(name)
        values = self.values
        if full_name in values:
            return values[full_name]
        definitions = self._by_name.get(full_name)
        if definitions is None:
            raise KeyError(f"Unknown hyperparameter {full_name!r}: it does not exist.{self._hint(full_name)}")
        if any(hp.is_active(values) for hp in definitions):
            raise ValueError(
                f"Hyperparameter {full_name!r} has no value; call ensure_active_values()."
            )
        conditions = " or ".join(repr(hp.conditions) for hp in definitions)
        raise ValueError(
            f"Hyperparameter {full_name!r} is currently inactive: its conditions {conditions} "
            f"do not hold for the current values."
        )

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: str) -> bool:
        """Whether `name` is an active hyperparameter, as in Keras Tuner."""
        try:
            self.get(name)
        except (KeyError, ValueError):
            return False
        return True

    def assign(self, name: str, value: Any) -> Any:
        """Sets the value of a hyperparameter, active or not, after validating it.

        A name not defined yet keeps the value for its definition, which
        validates it then (Keras Tuner's way to preset values, and a custom
        oracle's to suggest them before the model declares them).

        Returns:
            The value as stored (coerced to the hyperparameter's type).

        Raises:
            InvalidSpaceError: The value is not valid for the hyperparameter.
        """
        self._values[name] = self.validate(name, value) if name in self._by_name else value
        return self._values[name]

    def validate(self, name: str, value: Any) -> Any:
        """Checks a value of the hyperparameter `name` and returns it coerced to its type.

        For a name defined in several conditional branches, a value valid for
        one of the definitions is valid (the active one is tried first): the
        branch it belongs to depends on the parents' values.

        Raises:
            KeyError: No hyperparameter has this name.
            InvalidSpaceError: The value is valid for no definition of `name`.
        """
        definitions = self._by_name.get(name)
        if definitions is None:
            raise KeyError(f"Unknown hyperparameter {name!r}.{self._hint(name)}")
        if len(definitions) == 1:
            return definitions[0].validate(value)
        preferred = self.get_hyperparameter(name)
        error: InvalidSpaceError | None = None
        for hp in [preferred, *(other for other in definitions if other is not preferred)]:
            try:
                return hp.validate(value)
            except InvalidSpaceError as exc:
                error = error or exc
        raise error  # type: ignore[misc]  # set: there are two definitions or more

    def ensure_active_values(self) -> None:
        """Gives every active hyperparameter lacking a value its default.

        Only a space loaded with `from_config` from partial values can lack some.
        """
        for hp in self.active_space():
            self._values.setdefault(hp.name, hp.default)

    def _hint(self, name):
        matches = difflib.get_close_matches(name, self._by_name, n=1)
        if matches:
            return f" Did you mean {matches[0]!r}?"
        if self._by_name:
            return f" Defined: {', '.join(self._by_name)}."
        return " No hyperparameter is defined yet."

    def copy(self) -> "HyperParameters":
        """Returns a copy whose space and values change independently of this one.

        The definitions themselves are shared: they are immutable.
        """
        new = type(self)()
        new._space = list(self._space)
        new._by_name = {name: list(definitions) for name, definitions in self._by_name.items()}
        new._values = dict(self._values)
        return new

    def merge(self, hps: "HyperParameters | Iterable[HyperParameter]", overwrite: bool = True) -> None:
        """Adds definitions and values from another space.

        Args:
            hps: A `HyperParameters` (its definitions and stored values) or a list
                of `HyperParameter` (their definitions and defaults).
            overwrite: For a name defined in both (under the same conditions),
                whether the incoming definition and value replace this object's
                (in place, keeping the order).

        Raises:
            InvalidSpaceError: An incoming condition names a parent that is not
                defined before it.
        """
        if isinstance(hps, HyperParameters):
            incoming = [(hp, hps._values.get(hp.name, hp.default)) for hp in hps._space]
        else:
            incoming = [(hp, hp.default) for hp in hps]
        for hp, value in incoming:
            existing = self._find(hp.name, hp.conditions)
            if existing is None:
                self._check_definition(hp, self._space)
                self._space.append(hp)
                self._by_name.setdefault(hp.name, []).append(hp)
            elif overwrite:
                position = next(i for i, other in enumerate(self._space) if other is existing)
                self._check_definition(hp, self._space[:position])
                self._space[position] = hp
                siblings = self._by_name[hp.name]
                siblings[siblings.index(existing)] = hp
            else:
                continue
            # A name's value is its active branch's: an inactive branch does not overwrite it.
            if len(self._by_name[hp.name]) == 1 or self.is_active(hp):
                self._values[hp.name] = value

    def get_config(self) -> dict[str, Any]:
        """Returns the space and all stored values, JSON-serialisable."""
        return {
            "space": [serialize(hp) for hp in self._space],
            "values": {
                **{hp.name: self._values[hp.name] for hp in self._space if hp.name in self._values},
                **self._undeclared(),
            },
        }

    def _undeclared(self):
        """Values preset for names no definition has yet."""
        return {name: value for name, value in self._values.items() if name not in self._by_name}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "HyperParameters":
        """Rebuilds a `HyperParameters` from `get_config()`; values are validated.

        Raises:
            InvalidSpaceError: A definition or a value is invalid.
        """
        hps = cls()
        for item in config["space"]:
            hp = deserialize(item)
            if hps._find(hp.name, hp.conditions) is not None:
                raise InvalidSpaceError(
                    f"Hyperparameter {hp.name!r} is defined twice in the config with the "
                    f"same conditions {hp.conditions!r}."
                )
            hps._check_definition(hp, hps._space)
            hps._space.append(hp)
            hps._by_name.setdefault(hp.name, []).append(hp)
        for name, value in config["values"].items():
            hps.assign(name, value)
        return hps

    def __eq__(self, other: object) -> bool:
        """Equal when both define the same space (in the same order) and hold the same values."""
        if not isinstance(other, HyperParameters):
            return NotImplemented
        return self.get_config() == other.get_config()

    __hash__: ClassVar[None]  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        inactive = len(self._space) - len(self.active_space())
        return f"HyperParameters(values={dict(self.values)!r}, inactive={inactive})"
