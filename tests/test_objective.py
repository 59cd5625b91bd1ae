import pytest

import tunecore as kt
from tunecore.errors import InvalidObjectiveError
from tunecore.objective import MultiObjective, create_objective


@pytest.mark.parametrize(
    "name, direction",
    [
        ("val_loss", "min"), ("loss", "min"), ("mean_squared_error", "min"), ("val_mae", "min"),
        ("val_accuracy", "max"), ("auc", "max"), ("val_precision", "max"), ("recall", "max"),
        ("f1", "max"), ("r2", "max"), ("score", "max"),
    ],
)
def test_string_objective_infers_direction(name, direction):
    assert create_objective(name).direction == direction


def test_unknown_metric_without_direction_is_an_error_not_a_guess():
    with pytest.raises(InvalidObjectiveError, match="throughput.*direction='min'"):
        create_objective("throughput")


def test_explicit_objective_and_bad_direction():
    assert create_objective(kt.Objective("throughput", "max")).direction == "max"
    with pytest.raises(ValueError, match="'up'"):
        kt.Objective("x", "up")


def test_list_is_keras_tuners_weighted_sum():
    objective = create_objective(["val_loss", kt.Objective("val_accuracy", "max")])
    assert isinstance(objective, MultiObjective)
    assert objective.direction == "min"
    assert objective.get_value({"val_loss": 0.5, "val_accuracy": 0.9}) == pytest.approx(-0.4)


def test_none_is_keras_tuners_default_objective():
    objective = create_objective(None)
    assert (objective.name, objective.direction) == ("default_objective", "min")
