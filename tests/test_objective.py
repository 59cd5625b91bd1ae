import numpy as np
import pytest

import tunecore as kt
from tunecore.errors import InvalidObjectiveError
from tunecore.objective import MultiObjective, create_objective, infer_direction, to_metrics


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


@pytest.mark.parametrize(
    "name",
    [
        "neg_mean_squared_error", "neg_log_loss", "neg_root_mean_squared_error",
        "neg_mean_absolute_error", "neg_brier_score", "neg_mean_poisson_deviance",
        "mean_test_neg_log_loss",
    ],
)
def test_scikit_learn_neg_scorers_are_maximised(name):
    assert infer_direction(name) == "max"


@pytest.mark.parametrize(
    "name, direction",
    [
        ("negative_log_likelihood", "min"), ("val_negative_log_likelihood", "min"), ("nll", "min"),
        ("last_timestep_accuracy", "max"), ("timestep_reward", "max"),
        ("valAccuracy", "max"), ("MeanSquaredError", "min"), ("F1Score", "max"), ("R2", "max"),
        ("val_auc_2", "max"), ("dense_1_loss", "min"), ("top5accuracy", "max"),
        ("eval/loss", "min"), ("val-precision", "max"), ("map@10", "max"), ("val_mape", "min"),
        ("val_f1_score", "max"), ("episode_rewards", "max"), ("losses", "min"),
        ("brier_score", "min"), ("fit_time", "min"), ("mean_score_time", "min"),
    ],
)
def test_direction_is_inferred_from_whole_words(name, direction):
    assert infer_direction(name) == direction


@pytest.mark.parametrize(
    "name, direction",
    [
        ("logloss", "min"), ("MeanIoU", "max"), ("binarycrossentropy", "min"),
        ("val_categorical_crossentropy", "min"), ("kl_divergence", "min"),
        ("sparse_top_k_categorical_accuracy", "max"), ("val_acc", "max"), ("ndcg", "max"),
        ("sharpe_ratio", "max"), ("p99_latency", "min"), ("regret", "min"), ("perplexity", "min"),
    ],
)
def test_names_inferred_before_word_matching_keep_their_direction(name, direction):
    assert infer_direction(name) == direction


@pytest.mark.parametrize(
    "value", ["0.5", None, [0.5], {"nested": 1}, b"1"], ids=["str", "None", "list", "dict", "bytes"]
)
def test_a_non_numeric_metric_value_names_the_metric_and_the_value(value):
    with pytest.raises(TypeError) as info:
        to_metrics({"val_loss": 0.5, "accuracy": value}, create_objective("val_loss"))
    assert "'accuracy'" in str(info.value) and repr(value) in str(info.value)


def test_numeric_scalars_of_any_kind_are_metric_values():
    metrics = to_metrics(
        {"a": 1, "b": np.float32(0.5), "c": np.array(2.0), "d": np.int64(3)},
        create_objective("loss"),
    )
    assert metrics == {"a": 1.0, "b": 0.5, "c": 2.0, "d": 3.0}
    assert all(type(v) is float for v in metrics.values())


@pytest.mark.parametrize("results", [[], [None], [[]], [[], None]], ids=repr)
def test_executions_that_returned_nothing_give_no_metrics(results):
    assert to_metrics(results, create_objective("loss")) is None


def test_executions_that_returned_nothing_are_left_out_of_the_average():
    results = [[], {"loss": 1.0, "acc": 0.5}, None, {"loss": 3.0}]
    assert to_metrics(results, create_objective("loss")) == {"loss": 2.0}
