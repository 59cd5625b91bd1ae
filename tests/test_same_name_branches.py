"""One hyperparameter name defined in several conditional branches, as Keras Tuner allows.

A model choice often gives each branch its own range for the same name
(``units`` of an MLP and of a CNN). Each definition is active under its own
condition; the name has the value of its active definition.
"""

import pytest

import tunecore as kt
from tunecore.errors import InvalidSpaceError
from tunecore.hyperparameters import HyperParameters, Int


def two_branches(hp):
    """A hypermodel's build: `units` means something else in each branch."""
    model = hp.Choice("model", ["mlp", "cnn"])
    with hp.conditional_scope("model", "mlp"):
        mlp_units = hp.Int("units", 1, 4, default=2)
    with hp.conditional_scope("model", "cnn"):
        cnn_units = hp.Choice("units", [100, 200])
    return model, mlp_units, cnn_units


def test_each_branch_has_its_own_definition_and_the_active_one_gives_the_value():
    hp = HyperParameters()
    assert two_branches(hp) == ("mlp", 2, None)
    assert hp.values == {"model": "mlp", "units": 2}
    assert [(h.name, h.conditions[0].values if h.conditions else None) for h in hp.space] == [
        ("model", None), ("units", ["mlp"]), ("units", ["cnn"]),
    ]

    hp.values["model"] = "cnn"
    hp.values["units"] = 200
    assert two_branches(hp) == ("cnn", None, 200)
    assert hp.get("units") == 200
    assert hp.get_hyperparameter("units").values == [100, 200], "the active definition"

    with pytest.raises(InvalidSpaceError):
        hp.values["units"] = 7, "valid in no branch"


def test_a_new_active_branch_starts_at_its_own_default():
    hp = HyperParameters()
    hp.Choice("a", [1, 2, 3], default=2)
    assert hp.Int("b", 0, 10, parent_name="a", parent_values=1, default=5) is None
    assert hp.Int("b", 0, 100, parent_name="a", parent_values=2, default=4) == 4
    with hp.conditional_scope("a", 3):
        assert hp.Fixed("b", 9) is None
    assert hp.values == {"a": 2, "b": 4}
    assert hp["b"] == 4


def test_an_inactive_name_reads_as_inactive_inside_its_scope():
    hp = HyperParameters()
    hp.Choice("b", [1, 2], default=2)
    with hp.conditional_scope("b", 1):
        hp.Float("c", -10, 10, default=3)
        with pytest.raises(ValueError, match="is currently inactive"):
            hp["c"]
    with hp.conditional_scope("b", 2):
        hp.Float("c", -30, -20, default=-25)
    assert hp["c"] == -25 and "c" in hp


def test_a_name_cannot_be_its_own_parent_even_when_defined():
    hp = HyperParameters()
    hp.Choice("a", [1, 2, 3], default=3)
    with pytest.raises(InvalidSpaceError, match="cannot have the same name"):
        with hp.conditional_scope("a", [1, 3]):
            hp.Choice("a", [4, 5, 6], default=6)


def test_an_unconditional_definition_stands_for_every_branch():
    """What `Tuner(hyperparameters=...)` relies on to fix a name in every branch."""
    hp = HyperParameters()
    hp.Choice("model", ["mlp", "cnn"])
    hp.Fixed("units", 3)
    assert two_branches(hp) == ("mlp", 3, None)
    assert len(hp.space) == 2


def test_the_space_survives_config_copy_and_merge():
    hp = HyperParameters()
    two_branches(hp)
    hp.values["model"] = "cnn"
    hp.values["units"] = 100

    for again in (HyperParameters.from_config(hp.get_config()), hp.copy()):
        assert again.values == {"model": "cnn", "units": 100}
        assert len(again.space) == 3

    merged = HyperParameters()
    merged.merge(hp)
    assert merged.values == {"model": "cnn", "units": 100}
    assert [h.conditions for h in merged.space] == [h.conditions for h in hp.space]

    config = hp.get_config()
    config["space"].append(config["space"][-1])
    with pytest.raises(InvalidSpaceError, match="defined twice"):
        HyperParameters.from_config(config)


class TwoBranches(kt.HyperModel):
    def build(self, hp):
        return two_branches(hp)

    def fit(self, hp, model, **kwargs):
        kind, mlp_units, cnn_units = model
        return {"loss": float(mlp_units) if kind == "mlp" else cnn_units / 100.0}


def _search(oracle, directory):
    tuner = kt.BaseTuner(oracle, hypermodel=TwoBranches(), directory=directory, project_name="p")
    tuner.search(verbose=0)
    return tuner


def _check_branches(tuner):
    seen = set()
    for trial in tuner.oracle.trials.values():
        values = trial.hyperparameters.values
        expected = {1, 2, 3, 4} if values["model"] == "mlp" else {100, 200}
        assert values["units"] in expected, values
        seen.add((values["model"], values["units"]))
    return seen


def test_grid_search_enumerates_each_branch_with_its_own_values(tmp_path):
    tuner = _search(kt.oracles.GridSearch(objective="loss"), tmp_path)
    assert _check_branches(tuner) == {
        ("mlp", 1), ("mlp", 2), ("mlp", 3), ("mlp", 4), ("cnn", 100), ("cnn", 200),
    }
    assert len(tuner.oracle.trials) == 6
    assert tuner.get_best_hyperparameters()[0].values == {"model": "mlp", "units": 1}


@pytest.mark.parametrize("oracle", ["random", "bayesian"])
def test_random_and_model_based_oracles_sample_the_active_branch(tmp_path, oracle):
    if oracle == "bayesian":
        pytest.importorskip("tunecore_bayes")
        pytest.importorskip("scipy")
    tuner = _search(kt.oracles.create(oracle, objective="loss", max_trials=5, seed=3), tmp_path)
    assert {model for model, _ in _check_branches(tuner)} == {"mlp", "cnn"}


def test_a_resumed_project_replays_both_branches(tmp_path):
    first = _search(kt.oracles.RandomSearch(objective="loss", max_trials=4, seed=1), tmp_path)
    recorded = [(t.trial_id, t.hyperparameters.values) for t in first.oracle.trials.values()]

    again = _search(kt.oracles.RandomSearch(objective="loss", max_trials=10, seed=1), tmp_path)
    assert [(t.trial_id, t.hyperparameters.values) for t in again.oracle.trials.values()][:4] == recorded
    assert len(again.oracle.hyperparameters.space) == 3
    assert len(_check_branches(again)) == len(again.oracle.trials) == 6, "the whole space, once"


def test_a_definition_conflicting_within_one_branch_still_warns():
    hp = HyperParameters()
    hp.Int("units", 1, 4)
    with pytest.warns(UserWarning, match="first definition is kept"):
        hp.register(Int("units", 1, 8))
