"""Properties of every hyperparameter definition, checked on generated ones (hypothesis).

For any valid definition: its config survives a JSON round trip; every value
the unit encoding produces is valid and inside the space; and encoding that
value again gives it back. Any invalid definition fails with the space's own
errors, never with whatever a builtin happened to raise.
"""

import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError, TunecoreError
from tunecore.hyperparameters import (
    Boolean,
    Choice,
    Fixed,
    Float,
    HyperParameters,
    Int,
    Parent,
    deserialize,
    serialize,
)

# No deadline: a huge log range is computed in decimal arithmetic, slower on a
# first call. No database: nothing is written into the checkout.
FAST = settings(max_examples=150, deadline=None, database=None)

names = st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=8)
conditions = st.lists(
    st.builds(Parent, st.sampled_from(["parent", "other"]), st.sampled_from([["a"], [1, 2], True])),
    max_size=2,
)
# Small numbers most of the time, and ranges far beyond what floats count exactly.
ints = st.one_of(st.integers(-1000, 1000), st.integers(-(2**200), 2**200))
spans = st.one_of(st.integers(0, 1000), st.integers(0, 2**200))
positive_ints = st.one_of(st.integers(1, 1000), st.integers(1, 2**200))
finite_floats = st.one_of(
    st.floats(-1e6, 1e6), st.floats(allow_nan=False, allow_infinity=False)
)
positive_floats = st.one_of(
    st.floats(1e-6, 1e6), st.floats(min_value=5e-324, max_value=1.7e308)
)
probs = st.one_of(
    st.floats(0, 1, allow_nan=False),
    st.sampled_from([0.0, 1.0, 0.5, 1 - 2**-53, 5e-324, 2**-1074 * 3]),
)


@st.composite
def int_definitions(draw):
    sampling = draw(st.sampled_from(["linear", "log", "reverse_log"]))
    if sampling == "linear":
        lo = draw(ints)
        hi = lo + draw(spans)
        step = draw(st.one_of(st.none(), st.integers(1, 10), st.integers(1, (hi - lo) + 1)))
    else:
        lo = draw(positive_ints)
        hi = lo + draw(spans)
        step = draw(st.one_of(st.none(), st.integers(2, 10), st.integers(2, 2**40)))
    return _with_default(draw, Int, draw(names), lo, hi, step=step, sampling=sampling,
                         conditions=draw(conditions))


@st.composite
def float_definitions(draw):
    sampling = draw(st.sampled_from(["linear", "log", "reverse_log"]))
    if sampling == "linear":
        lo, hi = sorted([draw(finite_floats), draw(finite_floats)])
        half_width = hi / 2 - lo / 2  # hi - lo may overflow
        # From a grid of 10**15 values (finer than floats tell apart) to one value.
        smallest, largest = max(half_width * 2e-15, 5e-324), min(max(half_width * 4, 1.0), 1e308)
        step = draw(st.one_of(st.none(), st.floats(smallest, largest)))
    else:
        lo, hi = sorted([draw(positive_floats), draw(positive_floats)])
        step = draw(st.one_of(st.none(), st.floats(1 + 2**-52, 1e300), st.floats(1.001, 10)))
    return _with_default(draw, Float, draw(names), lo, hi, step=step, sampling=sampling,
                         conditions=draw(conditions))


def _with_default(draw, cls, name, lo, hi, **kwargs):
    """Half the time, a default drawn from the definition's own values."""
    hp = cls(name, lo, hi, **kwargs)
    if draw(st.booleans()):
        hp = cls(name, lo, hi, default=hp.prob_to_value(draw(probs)), **kwargs)
    return hp


def _numpy(value):
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return np.int64(value)
    if isinstance(value, float):
        return np.float64(value)
    return value


scalar_lists = st.one_of(
    st.lists(st.integers(-(2**80), 2**80), min_size=1, max_size=6, unique=True),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=6,
             unique_by=lambda x: x + 0.0),  # 0.0 and -0.0 are one value
    st.lists(st.text(max_size=5), min_size=1, max_size=6, unique=True),
    st.lists(st.booleans(), min_size=1, max_size=2, unique=True),
)


@st.composite
def choice_definitions(draw):
    values = draw(scalar_lists)
    if draw(st.booleans()):
        values = [_numpy(value) for value in values]
    numeric = not isinstance(values[0], (str, bool, np.bool_))
    ordered = draw(st.sampled_from([None, False, True] if numeric else [None, False]))
    default = draw(st.one_of(st.none(), st.sampled_from(values)))
    return Choice(draw(names), values, ordered=ordered, default=default,
                  conditions=draw(conditions))


fixed_values = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**80), 2**80), st.text(max_size=5),
    st.floats(allow_nan=False, allow_infinity=False),
)

definitions = st.one_of(
    int_definitions(),
    float_definitions(),
    choice_definitions(),
    st.builds(Boolean, names, default=st.booleans(), conditions=conditions),
    st.builds(Fixed, names, fixed_values, conditions=conditions),
    st.builds(Fixed, names, st.one_of(st.booleans(), st.integers(-5, 5)).map(_numpy)),
)


def _canonical(config):
    # JSON text tells True from 1 and 1 from 1.0, which == on dicts does not.
    return json.dumps(config, sort_keys=True)


def _continuous(hp):
    return isinstance(hp, Float) and hp.step is None


@FAST
@given(definitions)
def test_config_round_trips_through_json(hp):
    config = json.loads(json.dumps(hp.get_config()))
    assert _canonical(type(hp).from_config(config).get_config()) == _canonical(hp.get_config())
    assert deserialize(json.loads(json.dumps(serialize(hp)))) == hp


@FAST
@given(definitions, probs)
def test_every_encoded_value_is_valid_and_inside_the_space(hp, prob):
    value = hp.prob_to_value(prob)
    checked = hp.validate(value)
    assert _canonical(checked) == _canonical(value)  # same value, same type
    if isinstance(hp, (Int, Float)):
        assert type(value) is (int if isinstance(hp, Int) else float)
        assert hp.min_value <= value <= hp.max_value
        if hp.step is not None:
            assert value in hp.grid_values()
    elif isinstance(hp, Choice):
        assert value in hp.values
    elif isinstance(hp, Boolean):
        assert value in (False, True)
    else:
        assert _canonical(value) == _canonical(hp.value)
    assert hp.validate(hp.default) == hp.default


@FAST
@given(definitions, probs)
def test_encoding_an_encoded_value_gives_it_back(hp, prob):
    value = hp.prob_to_value(prob)
    position = hp.value_to_prob(value)
    assert 0 <= position <= 1
    back = hp.prob_to_value(position)
    if _continuous(hp):
        width = hp.max_value * 1e-9 - hp.min_value * 1e-9
        assert math.isclose(back, value, rel_tol=1e-9, abs_tol=width)
    else:
        assert _canonical(back) == _canonical(value)


@FAST
@given(definitions)
def test_a_definition_call_returns_a_valid_value(hp):
    assume(hp.name not in ("parent", "other"))
    space = HyperParameters()
    space.merge([Choice("parent", ["a", "b"]), Int("other", 0, 3)])
    space.register(hp)
    if hp.is_active(space.values):
        assert hp.validate(space.get(hp.name)) == space.get(hp.name)


# Invalid definitions -----------------------------------------------------------

not_numbers = st.one_of(st.none(), st.text(max_size=3), st.booleans(), st.just([1]), st.just({}))
not_finite = st.sampled_from([math.inf, -math.inf, math.nan])
bad_samplings = st.one_of(
    st.text(max_size=8).filter(lambda s: s.lower() not in ("linear", "log", "reverse_log")),
    st.integers(), st.just(["log"]),
)
not_scalars = st.one_of(st.just([1]), st.just({"a": 1}), st.just((1,)), st.just(object()),
                        st.just(1j), st.just(np.complex64(1)), st.just(np.array([1, 2])))
numeric_classes = st.sampled_from([Int, Float])


def _numeric_break(cls, lo, hi):
    """Ways to break an otherwise valid `cls(name, lo, hi)`."""
    return st.one_of(
        st.just(lambda: cls("x", hi + 1, lo)),  # min_value > max_value
        bad_samplings.map(lambda s: lambda: cls("x", lo, hi, sampling=s)),
        st.integers(-5, 0).map(lambda step: lambda: cls("x", lo, hi, step=step)),
        st.floats(-5, 0).map(lambda step: lambda: cls("x", lo, hi, step=step)),
        st.integers(-5, 0).map(lambda m: lambda: cls("x", m, hi + 1, sampling="log")),
        st.integers(-5, 0).map(lambda m: lambda: cls("x", m, hi + 1, sampling="reverse_log")),
        st.floats(0, 1).map(lambda step: lambda: cls("x", 1, hi + 2, step=step, sampling="log")),
        not_numbers.map(lambda v: lambda: cls("x", v, hi)),
        not_numbers.map(lambda v: lambda: cls("x", lo, v)),
        not_numbers.filter(lambda v: v is not None).map(lambda v: lambda: cls("x", lo, hi, step=v)),
        not_finite.map(lambda v: lambda: cls("x", lo, hi, step=v)),
        not_finite.map(lambda v: lambda: cls("x", v, hi)),
        st.just(lambda: cls("x", lo, hi, default=hi + 1)),
        st.just(lambda: cls("x", lo, hi, default=lo - 1)),
        not_numbers.filter(lambda v: v is not None).map(
            lambda v: lambda: cls("x", lo, hi, default=v)
        ),
        not_scalars.map(lambda v: lambda: cls(v, lo, hi)),
        st.just(lambda: cls("", lo, hi)),
        not_scalars.map(lambda v: lambda: cls("x", lo, hi, conditions=[v])),
    )


@st.composite
def invalid_definitions(draw):
    kind = draw(st.sampled_from(["numeric", "int", "float", "choice", "boolean", "fixed"]))
    if kind == "numeric":
        cls = draw(numeric_classes)
        lo = draw(st.integers(-100, 100))
        return draw(_numeric_break(cls, lo, lo + draw(st.integers(0, 100))))
    if kind == "int":
        return draw(st.one_of(
            st.floats(0.01, 0.99).map(lambda f: lambda: Int("n", f, 10)),
            st.floats(1.01, 1.99).map(lambda f: lambda: Int("n", 0, 10, step=f)),
            st.just(lambda: Int("n", 0, 9, step=3, default=4)),
            st.just(lambda: Int("n", 1, 64, step=2, sampling="log", default=3)),
            st.just(lambda: Int("n", 0, 2**62, default=2**62 + 1)),
            st.just(lambda: Int("n", 0, 10**400, step=0)),
        ))
    if kind == "float":
        return draw(st.one_of(
            st.just(lambda: Float("x", 0, 1, step=0.3, default=0.5)),
            st.just(lambda: Float("x", 0, 10**400)),
            st.just(lambda: Float("x", 0, 1e308, step=1e-300)),
        ))
    if kind == "choice":
        values = draw(scalar_lists)
        return draw(st.one_of(
            st.just(lambda: Choice("c", [])),
            st.just(lambda: Choice("c", values + values[:1])),  # a duplicate
            st.just(lambda: Choice("c", ["a", 1])),
            st.just(lambda: Choice("c", [True, 1])),
            st.just(lambda: Choice("c", [np.bool_(True), 0.5])),
            st.text(max_size=4).map(lambda s: lambda: Choice("c", s)),
            not_scalars.map(lambda v: lambda: Choice("c", values + [v])),
            st.just(lambda: Choice("c", [None])),
            st.just(lambda: Choice("c", [10**400, 0.5])),
            st.just(lambda: Choice("c", ["a", "b"], ordered=True)),
            st.just(lambda: Choice("c", [True, False], ordered=True)),
            st.just(lambda: Choice("c", values, default=object())),
            st.just(lambda: Choice("c", 5)),
        ))
    if kind == "boolean":
        return draw(st.one_of(st.integers(), st.text(max_size=3), not_scalars).map(
            lambda v: lambda: Boolean("b", default=v)
        ))
    return draw(not_scalars.map(lambda v: lambda: Fixed("f", v)))


@settings(max_examples=300, deadline=None, database=None)
@given(invalid_definitions())
def test_invalid_definitions_raise_space_errors_only(make):
    with pytest.raises((InvalidSpaceError, InvalidSpaceTypeError)) as info:
        make()
    assert isinstance(info.value, TunecoreError)
    assert isinstance(info.value, (ValueError, TypeError))


@FAST
@given(st.sampled_from(["Int", "Float", "Choice", "Boolean", "Fixed"]), names, st.booleans())
def test_reserved_names_are_refused_by_every_definition_method(method, name, scoped):
    space = HyperParameters()
    arguments = {
        "Int": (0, 9), "Float": (0.0, 1.0), "Choice": (["a", "b"],), "Boolean": (), "Fixed": (3,),
    }[method]
    with pytest.raises(InvalidSpaceError, match="reserved"):
        if scoped:
            with space.name_scope("tuner"):
                getattr(space, method)(name, *arguments)
        else:
            getattr(space, method)(f"tuner/{name}", *arguments)
