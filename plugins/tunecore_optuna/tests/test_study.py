"""A tunecore search as an Optuna study: the mapping of spaces, trials and states."""

import math

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

import tunecore as kt
from tunecore.hyperparameters import Boolean, Choice, Fixed, Float, Int
from tunecore.trial import TrialStatus
from tunecore_optuna import distribution, to_study, valid_value


def test_a_search_becomes_a_study_from_its_path_its_project_or_its_tuner(search):
    by_tuner = to_study(search)
    by_path = to_study(search.project_dir)
    by_project = to_study(kt.load(search.project_dir))
    assert by_path.study_name == by_project.study_name == "search"
    for study in (by_path, by_project):
        assert [(t.number, t.state, t.values, t.params) for t in study.trials] == [
            (t.number, t.state, t.values, t.params) for t in by_tuner.trials
        ]
    assert len(by_path.trials) == 30
    assert by_path.direction == optuna.study.StudyDirection.MINIMIZE


def test_distributions_follow_the_space(search):
    study = to_study(search.project_dir)
    dists = {}
    for trial in study.trials:
        dists.update(trial.distributions)
    assert dists["lr"] == FloatDistribution(1e-4, 1e-1, log=True)
    assert dists["units"] == IntDistribution(8, 64, step=8)
    assert dists["model"] == CategoricalDistribution(["mlp", "linear"])
    assert dists["depth"] == IntDistribution(1, 4)


def test_a_conditional_hyperparameter_is_absent_where_inactive(search):
    study = to_study(search.project_dir)
    models = {t.params["model"] for t in study.trials}
    assert models == {"mlp", "linear"}
    for trial in study.trials:
        assert ("depth" in trial.params) == (trial.params["model"] == "mlp")


def test_each_reported_step_is_an_intermediate_value(search):
    study = to_study(search.project_dir)
    for trial, recorded in zip(study.trials, search.oracle.trials.values()):
        if trial.state != TrialState.COMPLETE:
            continue
        history = recorded.metrics.get_history("loss")
        assert trial.intermediate_values == {obs.step: obs.mean() for obs in history}
        assert trial.value == recorded.score == min(trial.intermediate_values.values())
        assert trial.user_attrs["trial_id"] == recorded.trial_id
        assert trial.user_attrs["tuner_id"] == "tuner0"
        assert trial.datetime_start.timestamp() == pytest.approx(recorded.started_at, abs=1e-3)


def test_a_failed_trial_is_fail_with_its_message(search):
    study = to_study(search.project_dir)
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert [t.user_attrs["trial_id"] for t in failed] == ["03"]
    assert failed[0].values is None
    assert "diverged" in failed[0].user_attrs["message"]


def test_states_map_to_optunas():
    oracle = kt.oracles.RandomSearch(objective="accuracy", max_trials=10, seed=0, hyperparameters=_space())
    ended = {}
    for status in (TrialStatus.COMPLETED, TrialStatus.FAILED, TrialStatus.INVALID, TrialStatus.STOPPED):
        trial = oracle.ask("t")
        oracle.report(trial.trial_id, 0, accuracy=0.5)
        oracle.tell(trial.trial_id, status=status, retryable=False)
        ended[status] = trial.trial_id
    nan = oracle.ask("t")
    oracle.tell(nan.trial_id, math.nan)
    running = oracle.ask("t")
    oracle.report(running.trial_id, 0, accuracy=0.25)

    study = to_study(oracle)
    states = {t.user_attrs["trial_id"]: t.state for t in study.trials}
    assert states == {
        ended[TrialStatus.COMPLETED]: TrialState.COMPLETE,
        ended[TrialStatus.FAILED]: TrialState.FAIL,
        ended[TrialStatus.INVALID]: TrialState.FAIL,
        ended[TrialStatus.STOPPED]: TrialState.PRUNED,
        nan.trial_id: TrialState.FAIL,
        running.trial_id: TrialState.RUNNING,
    }
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert study.trials[-1].intermediate_values == {0: 0.25}


def test_keras_tuners_list_of_objectives_is_their_weighted_sum():
    tuner = kt.tune(_two_metrics, objective=["loss", "accuracy"], max_trials=4, seed=0, verbose=0)
    study = to_study(tuner)
    assert study.directions == [optuna.study.StudyDirection.MINIMIZE]
    for trial in study.trials:
        x = trial.params["x"]
        assert trial.value == pytest.approx(x - (1.0 - x / 2))


@pytest.mark.skipif(not hasattr(kt, "Pareto"), reason="this tunecore has no Pareto objectives")
def test_a_pareto_search_has_a_direction_per_objective():
    tuner = kt.tune(_two_metrics, objective=kt.Pareto(["loss", "accuracy"]), max_trials=4, seed=0, verbose=0)
    study = to_study(tuner)
    assert study.directions == [optuna.study.StudyDirection.MINIMIZE, optuna.study.StudyDirection.MAXIMIZE]
    assert study.metric_names == ["loss", "accuracy"]
    for trial in study.trials:
        assert trial.values == [trial.params["x"], 1.0 - trial.params["x"] / 2]


def _two_metrics(hp):
    x = hp.Float("x", 0.0, 1.0)
    return {"loss": x, "accuracy": 1.0 - x / 2}


def test_anything_else_is_refused_by_name():
    with pytest.raises(TypeError, match="got 42 of type int"):
        to_study(42)


@pytest.mark.parametrize(
    "hp, expected",
    [
        (Float("a", 0.0, 1.0, step=0.25), FloatDistribution(0.0, 1.0, step=0.25)),
        (Float("a", 0.0, 1.0, step=0.3), FloatDistribution(0.0, 0.9, step=0.3)),
        (Float("a", 1e-3, 1.0, sampling="reverse_log"), FloatDistribution(1e-3, 1.0)),
        (Float("a", 1.0, 1000.0, sampling="log", step=10.0), FloatDistribution(1.0, 1000.0, log=True)),
        (Int("a", 1, 1024, sampling="log", step=2), IntDistribution(1, 1024, log=True)),
        (Int("a", 0, 10, step=3), IntDistribution(0, 9, step=3)),
        (Boolean("a"), CategoricalDistribution([False, True])),
        (Choice("a", [1, 2, 4]), CategoricalDistribution([1, 2, 4])),
        (Fixed("a", 3), None),
    ],
)
def test_each_hyperparameter_has_a_distribution_that_holds_its_values(hp, expected):
    dist = distribution(hp)
    assert dist == expected
    if dist is not None and hp.cardinality is not None and hp.cardinality < 100:
        for value in hp.grid_values():  # create_trial refuses a value outside its distribution
            optuna.trial.create_trial(value=0.0, params={"a": value}, distributions={"a": dist})


def test_drawn_values_snap_onto_the_grid():
    assert valid_value(Int("a", 1, 1024, sampling="log", step=2), 700) == 512
    assert valid_value(Int("a", 1, 1024, sampling="log", step=2), 800) == 1024
    assert valid_value(Float("a", 0.0, 1.0, step=0.25), 0.3) == 0.25
    assert valid_value(Float("a", 1e-3, 1.0), 0.123) == 0.123
    assert valid_value(Int("a", 0, 10, step=3), 10) == 9


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    return hp
