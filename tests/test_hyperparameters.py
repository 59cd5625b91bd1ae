"""The search space, through the public API: what a hypermodel and an oracle see."""

import copy
import itertools
import json
import math
import pickle
import random
from fractions import Fraction

import numpy as np
import pytest

from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError
from tunecore.hyperparameters import (
    Boolean,
    Choice,
    Fixed,
    Float,
    HyperParameter,
    HyperParameters,
    Int,
    Parent,
    deserialize,
    serialize,
)
from tunecore.hyperparameters.walk import iter_grid, space_size


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


def test_redefinition_keeps_the_first_definition_and_warns_when_it_differs():
    hp = HyperParameters()
    hp.Int("units", 32, 256, step=32)
    assert hp.Int("units", 32, 256, step=32, default=32) == 32
    with pytest.warns(UserWarning) as info:
        assert hp.Int("units", 32, 512, step=32) == 32
    message = str(info[0].message)
    assert "'units'" in message and "max_value: 256" in message and "max_value: 512" in message
    assert hp.space == [Int("units", 32, 256, step=32)]
    pinned = HyperParameters()
    pinned.Choice("version", ["v1"])  # Keras Tuner's way to pin a model's choice
    with pytest.warns(UserWarning):
        assert pinned.Choice("version", ["v1", "v2", "next"]) == "v1"


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


def test_a_value_preset_before_its_definition_is_taken_and_validated_by_it():
    hp = HyperParameters()
    hp.values["model_type"] = "cnn"  # Keras Tuner users preset values this way
    hp.assign("units", 64)
    assert hp.Choice("model_type", ["mlp", "cnn"]) == "cnn"
    assert hp.Int("units", 32, 128, step=32) == 64
    assert hp.values == {"model_type": "cnn", "units": 64}
    hp.values["units"] = 96.0
    assert hp.get("units") == 96 and type(hp.get("units")) is int
    bad = HyperParameters()
    bad.values["units"] = 7
    with pytest.raises(InvalidSpaceError, match="'units'.*7"):
        bad.Int("units", 32, 128, step=32)


def test_values_are_validated_when_set_and_copy_and_pickle_as_dicts():
    hp = HyperParameters()
    hp.Int("n", 0, 10)
    with pytest.raises(InvalidSpaceError, match="'n'.*30"):
        hp.values["n"] = 30
    hp.values["n"] = 3
    assert hp.get("n") == 3
    assert type(pickle.loads(pickle.dumps(hp.values))) is dict
    assert copy.deepcopy(hp.values) == {"n": 3}


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


@pytest.mark.parametrize(
    "hp, expected",
    [
        (Int("j", 1, 10), "Int(name: 'j', min_value: 1, max_value: 10, step: 1, sampling: linear, default: 1)"),
        (Int("n", 1, 100, sampling="log"),
         "Int(name: 'n', min_value: 1, max_value: 100, step: None, sampling: log, default: 1)"),
        (Float("lr", 0.1, 1),
         "Float(name: 'lr', min_value: '0.1', max_value: '1.0', step: 'None', sampling: 'linear', "
         "default: '0.1')"),
        (Choice("act", ["relu", "tanh"]),
         "Choice(name: 'act', values: ['relu', 'tanh'], ordered: False, default: relu)"),
        (Choice("units", [8, 16], default=16),
         "Choice(name: 'units', values: [8, 16], ordered: True, default: 16)"),
        (Boolean("pool"), 'Boolean(name: "pool", default: False)'),
        (Fixed("epochs", 3), "Fixed(name: epochs, value: 3)"),
        (HyperParameter("base", default=0), "HyperParameter(name: 'base', default: 0)"),
    ],
    ids=["Int", "Int-log", "Float", "Choice-str", "Choice-int", "Boolean", "Fixed", "HyperParameter"],
)
def test_repr_uses_keras_tuners_format(hp, expected):
    assert repr(hp) == expected


def test_repr_also_shows_the_conditions_of_a_conditional_hyperparameter():
    hp = Int("filters", 8, 64, step=8, conditions=Parent("model", "cnn"))
    assert repr(hp) == (
        "Int(name: 'filters', min_value: 8, max_value: 64, step: 8, sampling: linear, default: 8, "
        "conditions: [Parent('model', ['cnn'])])"
    )


@pytest.mark.parametrize(
    "hp",
    [
        Int("n", 1, 100, step=3, default=4, conditions=Parent("p", [1, 2])),
        Float("x", 1e-3, 10, step=10, sampling="log"),
        Choice("c", ["a", "b"], default="b"),
        Boolean("b", default=True),
        Fixed("f", None),
        HyperParameter("base", default=0.5),
    ],
    ids=lambda hp: type(hp).__name__,
)
def test_repr_survives_a_serialization_round_trip(hp):
    assert repr(deserialize(json.loads(json.dumps(serialize(hp))))) == repr(hp)


# The base class ---------------------------------------------------------------


def test_the_base_hyperparameter_holds_a_name_a_default_and_conditions():
    base = HyperParameter(name="base", default=0)
    assert (base.name, base.default, base.conditions) == ("base", 0, [])
    assert base.get_config() == {"name": "base", "default": 0, "conditions": []}
    assert HyperParameter.from_config(base.get_config()) == base
    conditional = HyperParameter("child", default="x", conditions=[Parent("parent", [1])])
    assert deserialize(json.loads(json.dumps(serialize(conditional)))) == conditional


@pytest.mark.parametrize(
    "use",
    [
        lambda hp: hp.prob_to_value(0.5),
        lambda hp: hp.value_to_prob(0),
        lambda hp: hp.random_sample(seed=1),
        lambda hp: hp.grid_values(),
        lambda hp: hp.cardinality,
        lambda hp: hp.validate(0),
    ],
    ids=["prob_to_value", "value_to_prob", "random_sample", "grid_values", "cardinality", "validate"],
)
def test_the_base_hyperparameter_has_no_values_to_search(use):
    with pytest.raises(NotImplementedError, match=r"HyperParameter 'base' defines no values.*use a subclass"):
        use(HyperParameter("base", default=0))


@pytest.mark.parametrize(
    "add",
    [
        lambda hps, hp: hps.register(hp),
        lambda hps, hp: hps.merge([hp]),
        lambda hps, hp: HyperParameters.from_config({"space": [serialize(hp)], "values": {}}),
    ],
    ids=["register", "merge", "from_config"],
)
def test_a_search_space_refuses_the_bare_base_class(add):
    with pytest.raises(InvalidSpaceTypeError, match=r"got the bare base class: HyperParameter\(name: 'base'"):
        add(HyperParameters(), HyperParameter("base", default=0))


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


def test_a_stepped_reverse_log_grid_is_positioned_from_the_top_as_in_keras_tuner():
    """An oracle's positions (random draws, GP points) mean the same value as in Keras Tuner."""
    hp = Float("rg", 0.01, 100, step=10, sampling="reverse_log")
    assert hp.grid_values() == pytest.approx([0.01, 90.01, 99.01, 99.91, 100.0])
    assert [hp.prob_to_value(p) for p in (0.1, 0.3, 0.5, 0.7, 0.9)] == pytest.approx(
        [100.0, 99.91, 99.01, 90.01, 0.01]
    )
    assert hp.value_to_prob(99.91) == pytest.approx(0.3)
    assert all(hp.prob_to_value(hp.value_to_prob(v)) == v for v in hp.grid_values())


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


# Reserved names --------------------------------------------------------------


@pytest.mark.parametrize(
    "define",
    [
        lambda hp: hp.Int("tuner/x", 0, 9),
        lambda hp: hp.Float("tuner/lr", 1e-4, 1e-1),
        lambda hp: hp.Choice("tuner/epochs", [1, 2]),
        lambda hp: hp.Boolean("tuner/flag"),
        lambda hp: hp.Fixed("tuner/epochs", 3),
    ],
    ids=["Int", "Float", "Choice", "Boolean", "Fixed"],
)
def test_user_definitions_under_tuner_are_refused(define):
    hp = HyperParameters()
    with pytest.raises(InvalidSpaceError) as info:
        define(hp)
    message = str(info.value)
    assert "'tuner/" in message and "reserved" in message and "oracle" in message
    assert hp.space == []


def test_a_tuner_name_scope_is_refused_too():
    hp = HyperParameters()
    with hp.name_scope("tuner"), pytest.raises(InvalidSpaceError, match="'tuner/epochs'.*reserved"):
        hp.Float("epochs", 1, 10)
    with hp.name_scope("tuner_block"):
        assert hp.Int("units", 1, 4) == 1  # only the "tuner/" prefix is reserved


def test_scheduling_values_injected_by_an_oracle_stay_readable():
    """What an oracle does (`register(Fixed(...))`) and what Keras Tuner code reads."""
    hp = HyperParameters()
    hp.Int("units", 1, 4)
    hp.register(Fixed("tuner/epochs", 3))
    hp.register(Fixed("tuner/trial_id", "0007"))
    assert hp.values["tuner/epochs"] == 3 and hp.get("tuner/epochs") == 3
    assert hp["tuner/trial_id"] == "0007" and "tuner/epochs" in hp

    loaded = HyperParameters.from_config(json.loads(json.dumps(hp.get_config())))
    assert loaded.values == {"units": 1, "tuner/epochs": 3, "tuner/trial_id": "0007"}
    merged = HyperParameters()
    merged.merge(loaded)
    assert merged.get("tuner/epochs") == 3
    with hp.name_scope("tuner"):
        assert hp.get("epochs") == 3


# Exact integer ranges ----------------------------------------------------------


def test_an_int_range_of_2_to_the_62_accepts_every_value_exactly():
    hp = Int("n", 0, 2**62)
    for value in (2**62 - 1, 2**62, 2**61 + 1, 2**53 + 1):
        assert hp.validate(value) == value
    assert hp.cardinality == 2**62 + 1
    # Bins are narrower than floats here: each value some float maps to maps back.
    for prob in (0.5, 1 - 2**-53, 0.75 + 2**-50, 1e-300):
        value = hp.prob_to_value(prob)
        assert value == math.floor(Fraction(prob) * (2**62 + 1))  # floor(prob * n), exactly
        assert hp.prob_to_value(hp.value_to_prob(value)) == value
    with pytest.raises(InvalidSpaceError):
        hp.validate(2**62 + 1)


def test_a_huge_int_grid_is_lazy_and_exact():
    hp = Int("n", 0, 2**62, step=3)
    grid = hp.grid_values()
    assert hp.cardinality == len(grid) == 2**62 // 3 + 1
    assert grid[-1] == 2**62 - 1 and grid[:3] == [0, 3, 6]
    assert 2**62 - 4 in grid and 2**62 - 3 not in grid
    assert grid.index(3 * 10**17) == 10**17
    assert hp.validate(2**62 - 1) == 2**62 - 1
    assert hp.prob_to_value(1.0) == 2**62 - 1 and hp.prob_to_value(0.0) == 0
    with pytest.raises(InvalidSpaceError, match="4611686018427387902"):
        hp.validate(2**62 - 2)


def test_a_grid_search_walks_a_huge_range_without_listing_it():
    space = [Int("n", 0, 2**62), Choice("act", ["relu", "tanh"])]
    assert space_size(space) == (2**62 + 1) * 2
    first = list(itertools.islice(iter_grid(space), 3))
    assert first == [{"n": 0, "act": "relu"}, {"n": 0, "act": "tanh"}, {"n": 1, "act": "relu"}]


@pytest.mark.parametrize("sampling", ["log", "reverse_log"])
@pytest.mark.parametrize("max_value", [2**62, 2**2000], ids=["2**62", "2**2000"])
def test_huge_log_int_ranges_sample_valid_values_that_round_trip(sampling, max_value):
    hp = Int("n", 1, max_value, sampling=sampling)
    rng = random.Random(0)
    for prob in [0.0, 1.0, 0.5, 1 - 2**-53] + [rng.random() for _ in range(20)]:
        value = hp.prob_to_value(prob)
        assert type(value) is int and 1 <= value <= max_value
        assert hp.validate(value) == value
        assert hp.prob_to_value(hp.value_to_prob(value)) == value
    assert hp.prob_to_value(1.0) == max_value
    assert hp.cardinality == max_value


def test_ints_beyond_the_float_range_are_valid_bounds():
    hp = Int("n", -(2**2000), 2**2000, step=2**1990)
    assert hp.cardinality == 2**11 + 1
    assert hp.validate(2**1999) == 2**1999
    assert hp.prob_to_value(hp.value_to_prob(-(2**1990))) == -(2**1990)


def test_a_reverse_log_grid_defaults_to_its_smallest_value():
    hp = Int("n", 1, 100, step=3, sampling="reverse_log")
    assert hp.grid_values() == [20, 74, 92, 98, 100]
    assert hp.default == 20
    assert Float("x", 0.5, 7, step=2, sampling="reverse_log").default == 3.5


def test_float_ranges_wider_than_float_ratios_do_not_crash():
    hp = Float("x", 1, 1e20, sampling="reverse_log")
    assert hp.value_to_prob(1e20) == 1.0
    wide = Float("lr", 1e-300, 1e300, sampling="log")
    assert wide.prob_to_value(0.5) == pytest.approx(1.0)
    assert wide.value_to_prob(1.0) == pytest.approx(0.5)


# Numpy scalars -----------------------------------------------------------------


def test_numpy_scalars_are_accepted_as_their_python_types():
    flag = Choice("flag", [np.bool_(True), np.bool_(False)])
    assert flag.values == [True, False] and all(type(v) is bool for v in flag.values)
    sizes = Choice("n", [np.int64(8), np.int32(16)], default=np.int64(16))
    assert sizes.values == [8, 16] and type(sizes.default) is int
    rates = Choice("lr", [np.float32(0.5), np.float64(0.25)])
    assert all(type(v) is float for v in rates.values)
    assert type(Fixed("f", np.bool_(False)).value) is bool
    assert type(Fixed("f", np.int64(3)).value) is int
    assert Boolean("b", default=np.bool_(True)).default is True
    assert Int("n", np.int64(0), np.int64(9), default=np.int64(4)).default == 4

    hp = HyperParameters()
    assert hp.Choice("flag", [np.bool_(True), np.bool_(False)]) is True
    assert hp.assign("flag", np.bool_(False)) is False
    assert json.loads(json.dumps(hp.get_config()))["values"] == {"flag": False}


def test_numpy_choices_still_share_one_type():
    with pytest.raises(InvalidSpaceTypeError, match="'flag'.*one type.*bool, int"):
        Choice("flag", [np.bool_(True), 1])
    with pytest.raises(InvalidSpaceTypeError, match="'c'.*complex"):
        Choice("c", [np.complex128(1)])
