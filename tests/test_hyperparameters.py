"""The search space, through the public API: what a hypermodel and an oracle see."""

import copy
import json
import math
import pickle
import random

import pytest

from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError
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


def build(hp):
    """A small hypermodel with a conditional branch, as a user writes it."""
    hp.Int("units", 32, 256, step=32)
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    model = hp.Choice("model", ["mlp", "cnn"])
    with hp.conditional_scope("model", "cnn"):
        hp.Int("filters", 8, 64, step=8, default=16)
        with hp.conditional_scope("filters", [32, 64]):
            hp.Boolean("pool", default=True)
    hp.Fixed("epochs", 3)
    return model


def test_first_call_returns_the_default_of_each_type():
    hp = HyperParameters()
    assert hp.Int("a", 3, 9) == 3
    assert hp.Int("b", 3, 9, default=5) == 5
    assert hp.Float("c", 0.5, 2) == 0.5 and isinstance(hp.get("c"), float)
    assert hp.Choice("d", ["x", "y"]) == "x"
    assert hp.Choice("e", [4, 8], default=8) == 8
    assert hp.Boolean("f") is False
    assert hp.Fixed("g", "adam") == "adam"


def test_a_later_call_returns_the_current_value():
    hp = HyperParameters()
    hp.Int("units", 32, 256, step=32)
    hp.assign("units", 128)
    assert hp.Int("units", 32, 256, step=32) == 128
    assert hp["units"] == 128


def test_values_hold_only_active_hyperparameters_in_definition_order():
    hp = HyperParameters()
    build(hp)
    assert hp.values == {"units": 32, "lr": 1e-4, "model": "mlp", "epochs": 3}
    assert [h.name for h in hp.space] == ["units", "lr", "model", "filters", "pool", "epochs"]


def test_inactive_definitions_return_none_and_nested_scopes_follow_their_parents():
    hp = HyperParameters()
    build(hp)
    with hp.conditional_scope("model", "cnn"):
        assert hp.Int("filters", 8, 64, step=8, default=16) is None
    assert not hp.is_active("filters") and not hp.is_active("pool")
    assert "filters" not in hp

    hp.assign("model", "cnn")
    assert hp.is_active("filters") and not hp.is_active("pool")
    assert hp.values["filters"] == 16

    hp.assign("filters", 32)
    assert hp.is_active("pool")
    assert list(hp.values) == ["units", "lr", "model", "filters", "pool", "epochs"]

    hp.assign("model", "mlp")
    assert not hp.is_active("pool"), "a child of an inactive parent is inactive"
    with pytest.raises(ValueError, match="inactive"):
        hp.get("pool")


def test_parent_arguments_are_a_conditional_scope():
    hp = HyperParameters()
    hp.Choice("opt", ["sgd", "adam"])
    assert hp.Float("momentum", 0, 1, parent_name="opt", parent_values=["sgd"]) == 0.0
    assert hp.space[-1].conditions == [Parent("opt", ["sgd"])]


def test_conditional_scope_needs_a_defined_parent():
    hp = HyperParameters()
    hp.Choice("model", ["a", "b"])
    with (
        pytest.raises(InvalidSpaceError, match="'modle'.*Did you mean 'model'"),
        hp.conditional_scope("modle", "a"),
    ):
        pass


def test_name_scope_prefixes_names_and_lookups():
    hp = HyperParameters()
    with hp.name_scope("block1"):
        hp.Choice("kind", ["dense", "conv"])
        with hp.conditional_scope("kind", "dense"):
            hp.Int("units", 1, 4)
        assert hp.get("units") == 1
    assert hp.values == {"block1/kind": "dense", "block1/units": 1}
    assert hp.space[1].conditions == [Parent("block1/kind", ["dense"])]


def test_choice_keeps_the_type_of_its_values():
    hp = HyperParameters()
    assert hp.Choice("flag", [True, False]) is True
    assert type(hp.Choice("n", [1, 2])) is int
    assert hp.Choice("mixed", [1, 2.5]) == 1.0 and type(hp.get("mixed")) is float
    flag = hp.space[0]
    assert [flag.prob_to_value(p) for p in (0.1, 0.9)] == [True, False]
    assert Choice("n", [1, 2]).ordered and not Choice("s", ["a", "b"]).ordered


@pytest.mark.parametrize(
    "make, error, fragments",
    [
        (lambda: Int("units", 10, 5), InvalidSpaceError, ["'units'", "10", "5"]),
        (lambda: Float("lr", 0, 1, sampling="log"), InvalidSpaceError, ["'lr'", "log", "0"]),
        (lambda: Int("n", 0, 9, sampling="reverse_log"), InvalidSpaceError, ["'n'", "0"]),
        (lambda: Int("n", 1, 9, step=0), InvalidSpaceError, ["'n'", "step=0"]),
        (lambda: Float("x", 0, 1, step=-0.1), InvalidSpaceError, ["'x'", "-0.1"]),
        (lambda: Int("n", 1, 64, step=1, sampling="log"), InvalidSpaceError, ["'n'", "> 1"]),
        (lambda: Int("n", 1, 9, default=12), InvalidSpaceError, ["'n'", "12", "[1, 9]"]),
        (
            lambda: Int("n", 0, 9, step=3, default=4),
            InvalidSpaceError,
            ["'n'", "4", "[0, 3, 6, 9]"],
        ),
        (lambda: Float("x", 0, 1, default=1.5), InvalidSpaceError, ["'x'", "1.5"]),
        (lambda: Choice("act", ["a", "b"], default="c"), InvalidSpaceError, ["'act'", "'c'"]),
        (lambda: Choice("act", []), InvalidSpaceError, ["'act'", "empty"]),
        (lambda: Choice("act", ["a", 1]), InvalidSpaceTypeError, ["'act'", "'a'", "1"]),
        (lambda: Choice("act", [None]), InvalidSpaceTypeError, ["'act'", "None"]),
        (lambda: Choice("act", "relu"), InvalidSpaceTypeError, ["'act'", "'relu'"]),
        (lambda: Choice("act", ["a", "b", "a"]), InvalidSpaceError, ["'act'", "duplicate", "'a'"]),
        (lambda: Choice("act", ["a"], ordered=True), InvalidSpaceError, ["'act'", "ordered"]),
        (lambda: Int("n", "1", 9), InvalidSpaceTypeError, ["'n'", "'1'"]),
        (lambda: Float("x", 0, None), InvalidSpaceTypeError, ["'x'", "None"]),
        (lambda: Float("x", 0, math.inf), InvalidSpaceError, ["'x'", "inf"]),
        (
            lambda: Int("n", 0, 9, sampling="uniform"),
            InvalidSpaceError,
            ["'n'", "'uniform'", "'log'"],
        ),
        (lambda: Int("n", 0.5, 9), InvalidSpaceError, ["'n'", "0.5", "integer"]),
        (lambda: Boolean("b", default=1), InvalidSpaceError, ["'b'", "1"]),
        (lambda: Fixed("f", [1]), InvalidSpaceTypeError, ["'f'", "[1]"]),
        (lambda: Int(3, 0, 9), InvalidSpaceTypeError, ["3"]),
    ],
)
def test_invalid_definitions_raise_naming_the_hyperparameter_and_value(make, error, fragments):
    with pytest.raises(error) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value)


def test_integral_floats_are_accepted_as_int_bounds():
    assert Int("n", 1, 1e3).max_value == 1000


def test_redefinition_with_the_same_definition_is_fine_and_a_different_one_raises():
    hp = HyperParameters()
    hp.Int("units", 32, 256, step=32)
    assert hp.Int("units", 32, 256, step=32, default=32) == 32
    with pytest.raises(InvalidSpaceError) as info:
        hp.Int("units", 32, 512, step=32)
    message = str(info.value)
    assert "'units'" in message and "max_value=256" in message and "max_value=512" in message


def test_predeclared_and_fixed_definitions_override_the_hypermodel():
    """Keras Tuner's ``Tuner(hyperparameters=hp)``: the user's definitions win."""
    user = HyperParameters()
    user.Choice("lr", [1e-2, 1e-3])
    trial = user.copy()
    assert trial.Float("lr", 1e-4, 1e-1, sampling="log") == 1e-2
    assert trial.space[0] == Choice("lr", [1e-2, 1e-3])

    hp = HyperParameters()
    hp.Fixed("units", 64)
    assert hp.Int("units", 32, 256, step=32) == 64


def test_assign_validates_and_coerces():
    hp = HyperParameters()
    hp.Float("x", 0, 1, step=0.1)
    hp.Int("n", 0, 10)
    assert hp.assign("x", 0.1 + 0.2) == 0.3
    assert hp.assign("n", 4.0) == 4 and type(hp.get("n")) is int
    with pytest.raises(InvalidSpaceError, match="'x'.*0.35"):
        hp.assign("x", 0.35)
    with pytest.raises(InvalidSpaceError, match="'n'.*True"):
        hp.assign("n", True)
    with pytest.raises(KeyError, match="Did you mean 'n'"):
        hp.assign("nn", 1)


def test_values_are_read_only_but_copy_and_pickle_as_dicts():
    hp = HyperParameters()
    hp.Int("n", 0, 10)
    with pytest.raises(TypeError, match="assign"):
        hp.values["n"] = 3
    assert type(pickle.loads(pickle.dumps(hp.values))) is dict
    assert copy.deepcopy(hp.values) == {"n": 0}


def test_get_an_unknown_name_raises_key_error():
    hp = HyperParameters()
    hp.Int("units", 0, 10)
    with pytest.raises(KeyError, match="Did you mean 'units'"):
        hp.get("unit")


def test_active_space_under_given_values():
    hp = HyperParameters()
    build(hp)
    names = [h.name for h in hp.active_space({"model": "cnn", "filters": 64})]
    assert names == ["units", "lr", "model", "filters", "pool", "epochs"]
    assert "pool" not in [h.name for h in hp.active_space({"model": "mlp", "filters": 64})]


def test_copy_is_independent():
    hp = HyperParameters()
    build(hp)
    other = hp.copy()
    other.assign("units", 64)
    other.Int("extra", 0, 1)
    assert hp.get("units") == 32 and "extra" not in hp
    assert other.get("units") == 64


def test_merge_adds_definitions_and_values():
    base = HyperParameters()
    base.Int("units", 32, 256, step=32)
    base.assign("units", 64)
    more = HyperParameters()
    more.Int("units", 1, 8)
    more.Choice("act", ["relu", "tanh"])
    more.assign("act", "tanh")

    kept = base.copy()
    kept.merge(more, overwrite=False)
    assert kept.values == {"units": 64, "act": "tanh"}

    base.merge(more)
    assert base.values == {"units": 1, "act": "tanh"}
    assert base.space[0] == Int("units", 1, 8)

    base.merge([Boolean("bn", default=True)])
    assert base.get("bn") is True


def test_ensure_active_values_fills_defaults_of_a_partial_config():
    hp = HyperParameters()
    build(hp)
    config = hp.get_config()
    config["values"] = {"model": "cnn"}
    loaded = HyperParameters.from_config(config)
    assert loaded.values == {"model": "cnn"}
    loaded.ensure_active_values()
    assert loaded.values == {
        "units": 32,
        "lr": 1e-4,
        "model": "cnn",
        "filters": 16,
        "epochs": 3,
    }


def test_config_round_trip_through_json_is_exact():
    hp = HyperParameters()
    build(hp)
    hp.Choice("flag", [True, False])
    hp.Choice("widths", [1.0, 2.0, 4.0])
    hp.Fixed("nothing", None)
    hp.assign("model", "cnn")
    hp.assign("filters", 64)
    config = hp.get_config()
    loaded = HyperParameters.from_config(json.loads(json.dumps(config)))
    assert loaded.get_config() == config
    assert loaded.space == hp.space
    assert [type(v) for v in loaded.values.values()] == [type(v) for v in hp.values.values()]
    assert loaded.space[4].conditions == [Parent("model", ["cnn"]), Parent("filters", [32, 64])]


@pytest.mark.parametrize(
    "hp",
    [
        Int("n", 1, 100, step=3, sampling="linear", default=4),
        Float("x", 1e-3, 10, step=10, sampling="log"),
        Choice("c", [True, False], default=False, conditions=[Parent("p", "a")]),
        Boolean("b", default=True),
        Fixed("f", 2.5),
    ],
    ids=repr,
)
def test_serialize_round_trip(hp):
    assert deserialize(json.loads(json.dumps(serialize(hp)))) == hp


def test_equality_tells_types_apart():
    assert Choice("c", [1, 0]) != Choice("c", [True, False])
    assert Fixed("f", 1) != Fixed("f", 1.0)
    assert Int("n", 0, 9) == Int("n", 0, 9, step=1, default=0)


DISCRETE = [
    Int("int_linear", -5, 20),
    Int("int_step", 0, 100, step=7),
    Int("int_log", 1, 3000, sampling="log"),
    Int("int_log_step", 2, 1024, step=2, sampling="log"),
    Int("int_reverse_log", 1, 500, sampling="reverse_log"),
    Int("int_reverse_log_step", 1, 1000, step=10, sampling="reverse_log"),
    Float("float_step", 0, 1, step=0.1),
    Float("float_log_step", 1e-4, 1, step=10, sampling="log"),
    Float("float_reverse_log_step", 0.5, 8, step=2, sampling="reverse_log"),
    Choice("choice_str", ["a", "b", "c"]),
    Choice("choice_float", [0.1, 0.5, 0.9]),
    Choice("choice_bool", [True, False]),
    Boolean("boolean"),
    Fixed("fixed", "x"),
    Fixed("fixed_none", None),
]

CONTINUOUS = [
    Float("float_linear", -2, 3),
    Float("float_log", 1e-5, 1e2, sampling="log"),
    Float("float_reverse_log", 0.1, 0.999, sampling="reverse_log"),
]


@pytest.mark.parametrize("hp", DISCRETE, ids=lambda hp: hp.name)
def test_every_discrete_value_round_trips_through_its_bin_centre(hp):
    unstepped_int = isinstance(hp, Int) and hp.step is None
    values = list(range(hp.min_value, hp.max_value + 1)) if unstepped_int else hp.grid_values()
    for value in values:
        prob = hp.value_to_prob(value)
        assert 0 <= prob <= 1
        back = hp.prob_to_value(prob)
        assert back == value and type(back) is type(value)
    assert len(set(map(hp.value_to_prob, values))) == hp.cardinality == len(values)


@pytest.mark.parametrize("hp", CONTINUOUS, ids=lambda hp: hp.name)
def test_continuous_values_round_trip(hp):
    assert hp.cardinality is None
    rng = random.Random(0)
    for _ in range(200):
        value = hp.random_sample(rng.random())
        assert hp.min_value <= value <= hp.max_value
        assert math.isclose(hp.prob_to_value(hp.value_to_prob(value)), value, rel_tol=1e-12)
    assert hp.prob_to_value(0) == hp.min_value and hp.prob_to_value(1) == hp.max_value


def test_uniform_probabilities_pick_every_grid_value_equally_often():
    hp = Int("n", 0, 4)
    rng = random.Random(1)
    counts = [0] * 5
    for _ in range(5000):
        counts[hp.prob_to_value(rng.random())] += 1
    assert all(800 < c < 1200 for c in counts), counts


@pytest.mark.parametrize(
    "hp", [Float("lr", 1e-5, 1e-1, sampling="log"), Int("n", 1, 9999, sampling="log")]
)
def test_log_sampling_covers_each_order_of_magnitude_evenly(hp):
    rng = random.Random(2)
    decades = [0] * 4
    for _ in range(4000):
        decades[int(math.log10(hp.prob_to_value(rng.random()) / hp.min_value))] += 1
    assert all(800 < d < 1200 for d in decades), decades


def test_reverse_log_sampling_is_log_sampling_mirrored():
    hp = Float("momentum", 1, 1e4, sampling="reverse_log")
    rng = random.Random(3)
    decades = [0] * 4
    for _ in range(4000):
        distance_from_top = hp.max_value + hp.min_value - hp.prob_to_value(rng.random())
        decades[min(int(math.log10(distance_from_top)), 3)] += 1
    assert all(800 < d < 1200 for d in decades), decades


def test_random_sample_is_reproducible_with_a_seed():
    hp = Float("x", 0, 1)
    assert hp.random_sample(7) == hp.random_sample(7)


@pytest.mark.parametrize(
    "hp, expected",
    [
        (Choice("c", ["b", "a", "c"]), ["b", "a", "c"]),
        (Int("n", 6, 13, step=3), [6, 9, 12]),
        (Int("n", 2, 32, step=2, sampling="log"), [2, 4, 8, 16, 32]),
        (Int("n", 1, 1000, step=10, sampling="reverse_log"), [1, 901, 991, 1000]),
        (Float("x", 0, 1, step=0.2), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (Float("x", 0.001, 10, step=10, sampling="log"), [0.001, 0.01, 0.1, 1.0, 10.0]),
        (Boolean("b", default=True), [False, True]),
        (Fixed("f", 3), [3]),
    ],
    ids=repr,
)
def test_grid_values(hp, expected):
    assert hp.grid_values() == expected


def test_grid_of_a_continuous_range_is_ten_bin_centres():
    assert Float("x", 0, 1).grid_values() == pytest.approx([i / 10 + 0.05 for i in range(10)])
    assert Float("lr", 1e-4, 1, sampling="log").grid_values()[0] == pytest.approx(10**-3.8)
