"""Pareto search: the front, its summary, its resume; constraints and feasibility."""

import logging

import numpy as np
import pytest

import tunecore as kt
from tunecore import pareto
from tunecore.cli import main
from tunecore.errors import InvalidObjectiveError
from tunecore.hyperparameters import HyperParameters
from tunecore.objective import MultiObjective, create_objective, objective_from_config

PARETO = kt.Pareto([kt.Objective("loss", "min"), kt.Objective("accuracy", "max")])


def _oracle(points, objective=PARETO, **kwargs):
    """An oracle whose trials ended with the given metric dicts, in order."""
    hp = HyperParameters()
    hp.Int("i", 0, 1000)
    oracle = kt.oracles.RandomSearch(objective=objective, hyperparameters=hp, seed=0, **kwargs)
    for metrics in points:
        trial = oracle.ask()
        oracle.tell(trial.trial_id, metrics)
    return oracle


def _values(oracle, trials):
    return [oracle.objective_values(t) for t in trials]


# The front -------------------------------------------------------------------


def test_front_holds_the_non_dominated_trials_sorted_by_the_first_objective():
    oracle = _oracle([
        {"loss": 0.3, "accuracy": 0.9},
        {"loss": 0.1, "accuracy": 0.7},
        {"loss": 0.4, "accuracy": 0.8},  # dominated by the first
        {"loss": 0.2, "accuracy": 0.85},
    ])
    front = oracle.get_best_trials(None)
    assert _values(oracle, front) == [(0.1, 0.7), (0.2, 0.85), (0.3, 0.9)]


def test_trials_with_equal_values_are_all_on_the_front():
    oracle = _oracle([{"loss": 0.1, "accuracy": 0.5}, {"loss": 0.1, "accuracy": 0.5}, {"loss": 0.2, "accuracy": 0.4}])
    assert _values(oracle, oracle.get_best_trials(None)) == [(0.1, 0.5), (0.1, 0.5)]


def test_a_trial_better_in_one_objective_and_equal_in_the_other_dominates():
    oracle = _oracle([{"loss": 0.1, "accuracy": 0.5}, {"loss": 0.1, "accuracy": 0.6}])
    assert _values(oracle, oracle.get_best_trials(None)) == [(0.1, 0.6)]


def test_num_trials_caps_the_front_and_keeps_its_extremes():
    points = [{"loss": x, "accuracy": x} for x in np.linspace(0, 1, 9)]  # all non-dominated
    oracle = _oracle(points)
    assert len(oracle.get_best_trials(None)) == 9
    capped = _values(oracle, oracle.get_best_trials(3))
    assert len(capped) == 3 and capped[0] == (0.0, 0.0) and capped[-1] == (1.0, 1.0)


def test_a_pareto_trial_is_judged_by_its_last_complete_step():
    hp = HyperParameters()
    hp.Int("i", 0, 10)
    oracle = kt.oracles.RandomSearch(objective=PARETO, hyperparameters=hp, seed=0)
    trial = oracle.ask()
    oracle.report(trial.trial_id, 0, loss=0.1, accuracy=0.2)
    oracle.report(trial.trial_id, 1, loss=0.5, accuracy=0.9)
    oracle.report(trial.trial_id, 2, loss=0.05)  # incomplete: not a candidate step
    oracle.tell(trial.trial_id)
    assert oracle.objective_values(trial) == (0.5, 0.9)
    assert trial.score == 0.5  # the first objective's value


@pytest.mark.parametrize("oracle", ["random", "grid", "bayesian"])
def test_tune_with_pareto_returns_a_front(oracle):
    def fn(hp):
        y = hp.Float("y", 0, 1, step=0.05)
        x = hp.Float("x", 0, 1, step=0.05)  # the grid varies it fastest
        return {"f1": x, "f2": (1 - x) ** 2 + y}

    objective = kt.Pareto([kt.Objective("f1", "min"), kt.Objective("f2", "min")])
    tuner = kt.tune(fn, objective=objective, max_trials=15, oracle=oracle, seed=3, verbose=0)
    front = tuner.oracle.get_best_trials(None)
    Y = np.array(_values(tuner.oracle, front))
    everything = np.array([tuner.oracle.objective_values(t) for t in tuner.oracle.trials.values()])
    assert len(front) >= 2
    assert pareto.non_dominated(Y).all()
    for y in everything:  # no trial dominates a front trial
        assert not any(pareto.dominates(y, f) for f in Y)
    assert list(Y[:, 0]) == sorted(Y[:, 0])


def test_a_plain_list_keeps_keras_tuners_weighted_sum():
    objective = create_objective(["loss", "accuracy"])
    assert isinstance(objective, MultiObjective) and not isinstance(objective, kt.Pareto)


def test_pareto_needs_two_distinct_objectives():
    with pytest.raises(InvalidObjectiveError):
        kt.Pareto(["loss"])
    with pytest.raises(InvalidObjectiveError):
        kt.Pareto(["loss", "loss"])


def test_pareto_config_round_trips():
    objective = kt.Pareto(["val_loss", kt.Objective("params", "min")])
    assert objective_from_config(objective.get_config()) == objective
    assert objective.objectives[0].direction == "min"


def test_hypervolume_of_hand_made_fronts():
    assert pareto.hypervolume([[1, 3], [2, 2], [3, 1], [3, 3]], [4, 4]) == 6.0
    assert pareto.hypervolume([[5, 5]], [4, 4]) == 0.0
    cube = pareto.hypervolume([[0.5, 0.5, 0.5]], [1, 1, 1])
    assert cube == pytest.approx(0.125)
    two = pareto.hypervolume([[0, 0.5, 0.5], [0.5, 0, 0.5]], [1, 1, 1])
    assert two == pytest.approx(0.25 + 0.25 - 0.125)


# Summary and resume ----------------------------------------------------------


def _pareto_fn(hp):
    x = hp.Float("x", 0, 1)
    return {"loss": x, "accuracy": x ** 2}


def test_results_summary_and_cli_show_the_front(tmp_path, capsys):
    tuner = kt.tune(_pareto_fn, objective=PARETO, max_trials=6, seed=1, verbose=0,
                    directory=str(tmp_path), project_name="p")
    capsys.readouterr()
    tuner.results_summary()
    shown = capsys.readouterr().out
    front = tuner.oracle.get_best_trials(None)
    assert f"Pareto front: {len(front)} trials" in shown
    assert "Objectives: loss=" in shown and "accuracy=" in shown
    assert main(["summary", str(tmp_path / "p")]) == 0
    assert f"Pareto front: {len(front)} trials" in capsys.readouterr().out
    project = kt.load(tmp_path / "p")
    assert project.objective == PARETO
    assert [t.trial_id for t in project.get_best_trials(None)] == [t.trial_id for t in front]


def test_a_pareto_project_resumes(tmp_path):
    first = kt.tune(_pareto_fn, objective=PARETO, max_trials=4, seed=1, verbose=0,
                    directory=str(tmp_path), project_name="p")
    before = [t.trial_id for t in first.oracle.get_best_trials(None)]
    resumed = kt.tune(_pareto_fn, objective=PARETO, max_trials=7, seed=1, verbose=0,
                      directory=str(tmp_path), project_name="p")
    assert len(resumed.oracle.trials) == 7
    after = resumed.oracle.get_best_trials(None)
    assert set(before) <= {t.trial_id for t in after} | set(resumed.oracle.trials)
    with pytest.raises(kt.errors.ProjectError, match="different search"):
        kt.tune(_pareto_fn, objective=["loss", "accuracy"], max_trials=8, verbose=0,
                directory=str(tmp_path), project_name="p")


# Constraints -----------------------------------------------------------------


def test_infeasible_trials_are_never_best():
    oracle = _oracle(
        [{"loss": 0.1, "latency": 80.0}, {"loss": 0.3, "latency": 20.0}, {"loss": 0.2, "latency": 50.0}],
        objective=kt.Objective("loss", "min"), constraints=[kt.Constraint("latency", max=50)],
    )
    assert [t.score for t in oracle.get_best_trials(3)] == [0.2, 0.3]
    assert [oracle.is_feasible(t) for t in oracle.trials.values()] == [False, True, True]


def test_a_trial_that_never_reported_the_constrained_metric_is_infeasible():
    oracle = _oracle([{"loss": 0.1}], objective=kt.Objective("loss", "min"),
                     constraints=kt.Constraint("latency", min=1, max=50))
    assert oracle.get_best_trials() == []
    assert oracle.constraint_values(next(iter(oracle.trials.values()))) == (None,)


def test_the_front_holds_feasible_trials_only():
    oracle = _oracle(
        [{"loss": 0.1, "accuracy": 0.9, "size": 10.0}, {"loss": 0.2, "accuracy": 0.8, "size": 1.0}],
        constraints=[kt.Constraint("size", max=5)],
    )
    assert _values(oracle, oracle.get_best_trials(None)) == [(0.2, 0.8)]


def test_a_search_with_nothing_feasible_says_so(caplog, capsys):
    def fn(hp):
        x = hp.Float("x", 0, 1)
        return {"loss": x, "latency": 100 + x}

    with caplog.at_level(logging.WARNING, logger="tunecore"):
        tuner = kt.tune(fn, objective=kt.Objective("loss", "min"), max_trials=4, seed=0, verbose=0,
                        constraints=[kt.Constraint("latency", max=50)])
    assert "No feasible trial yet" in caplog.text
    assert tuner.oracle.get_best_trials() == []
    assert tuner.get_best_hyperparameters() == []
    tuner.results_summary()
    shown = capsys.readouterr().out
    assert "Constraints: latency <= 50" in shown
    assert "No feasible trial yet: all 4 completed trials break a constraint" in shown


def test_constraints_are_recorded_in_the_project(tmp_path):
    def fn(hp):
        x = hp.Float("x", 0, 1)
        return {"loss": x, "latency": 100 * x}

    constraint = kt.Constraint("latency", max=50)
    tuner = kt.tune(fn, objective=kt.Objective("loss", "min"), max_trials=5, seed=0, verbose=0,
                    constraints=[constraint], directory=str(tmp_path), project_name="p")
    project = kt.load(tmp_path / "p")
    assert project.constraints == [constraint]
    assert [t.trial_id for t in project.get_best_trials(5)] == [t.trial_id for t in tuner.oracle.get_best_trials(5)]


def test_constraint_needs_a_bound():
    with pytest.raises(InvalidObjectiveError):
        kt.Constraint("latency")
    with pytest.raises(InvalidObjectiveError):
        kt.Constraint("latency", min=5, max=1)


def test_the_single_best_pareto_trial_is_the_fronts_best_in_the_first_objective():
    oracle = _oracle([{"loss": 0.3, "accuracy": 0.9}, {"loss": 0.1, "accuracy": 0.7}, {"loss": 0.2, "accuracy": 0.8}])
    assert _values(oracle, oracle.get_best_trials()) == [(0.1, 0.7)]
