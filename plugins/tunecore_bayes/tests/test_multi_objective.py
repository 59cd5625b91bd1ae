"""The Bayesian oracle on Pareto fronts, constraints and warm starts."""

import math

import numpy as np
import pytest

import tunecore as kt
from tunecore import pareto
from tunecore.hyperparameters import HyperParameters
from tunecore_bayes import ehvi
from tunecore_bayes.bayesian import BayesianOptimization
from tunecore_bayes.encoding import SpaceEncoder
from tunecore_bayes.multi_objective import _lattice_moves, scalarise


def _zdt1(hp):
    x = [hp.Float(f"x{i}", 0, 1) for i in range(3)]
    g = 1 + 9 * sum(x[1:]) / 2
    return {"f1": x[0], "f2": g * (1 - math.sqrt(x[0] / g))}


ZDT = kt.Pareto([kt.Objective("f1", "min"), kt.Objective("f2", "min")])


def _hv(tuner):
    front = tuner.oracle.get_best_trials(None)
    return pareto.hypervolume([tuner.oracle.objective_values(t) for t in front], [1.1, 11])


def test_bayesian_pareto_search_beats_random_on_zdt1():
    bayes = kt.tune(_zdt1, objective=ZDT, max_trials=30, oracle="bayesian", seed=0, verbose=0)
    random = kt.tune(_zdt1, objective=ZDT, max_trials=30, oracle="random", seed=0, verbose=0)
    assert len(bayes.oracle.get_best_trials(None)) >= 3
    assert _hv(bayes) > _hv(random)


def test_scalarisation_is_minimised_on_the_front():
    losses = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.9]])
    s = scalarise(losses, np.array([0.5, 0.5]))
    assert np.argmin(s) == 2 and s[3] > s[2]  # a dominated point scalarises worse


def _far_from_the_front(hp):
    x, y = hp.Float("x", 0, 1), hp.Float("y", 0, 1)
    return {"f1": x, "f2": (1 + 100 * y**2) * (1 - math.sqrt(x))}  # front at y = 0, f2 up to 101 off it


def test_pareto_search_spreads_along_a_front_whose_dominated_values_reach_far():
    # Scaled by all observations, f2's front (0 to 1) would be a hundredth of its range: every
    # scalarisation but the rarest would trade it away, and the suggestions gather at x = 0.
    tuner = kt.tune(_far_from_the_front, objective=ZDT, max_trials=25, oracle="bayesian", seed=0, verbose=0)
    front = np.array([tuner.oracle.objective_values(t) for t in tuner.oracle.get_best_trials(None)])
    assert np.sum((front[:, 0] > 0.3) & (front[:, 0] < 0.9)) >= 3
    assert pareto.hypervolume(front, [1.1, 1.1]) > 0.78


def _nearly_aligned(scale1, scale2):
    def objective(hp):
        x, y = hp.Float("x", 0, 1), hp.Float("y", 0, 1)
        return {"f1": scale1 * ((x - 0.5) ** 2 + (y - 0.5) ** 2),
                "f2": scale2 * ((x - 0.55) ** 2 + (y - 0.5) ** 2 + 0.01 * y)}

    return objective


def test_pareto_search_suggests_the_same_whatever_the_objectives_units():
    # Both objectives share their optimum's neighbourhood, so one trial often dominates all the
    # others: a front of one point spans neither objective, and scaling by it alone left the
    # losses in raw units, where the objective in the larger unit decided every scalarisation.
    runs = [kt.tune(_nearly_aligned(*scales), objective=ZDT, max_trials=10, oracle="bayesian", seed=0, verbose=0)
            for scales in ((1.0, 1.0), (1e6, 1e-3))]
    unscaled, scaled = ([list(t.hyperparameters.values.values()) for t in run.oracle.trials.values()] for run in runs)
    np.testing.assert_allclose(scaled, unscaled, atol=1e-6)


def _branin(hp):
    x1, x2 = hp.Float("x1", -5, 10), hp.Float("x2", 0, 15)
    f = (x2 - 5.1 / (4 * np.pi**2) * x1**2 + 5 / np.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x1) + 10
    return {"f": f, "c": (x1 - 2.5) ** 2 + (x2 - 7.5) ** 2}


def test_constrained_search_finds_the_feasible_optimum():
    tuner = kt.tune(_branin, objective=kt.Objective("f", "min"), max_trials=30, oracle="bayesian", seed=0,
                    verbose=0, constraints=[kt.Constraint("c", max=50)])
    best = tuner.oracle.get_best_trials()[0]
    assert tuner.oracle.constraint_values(best)[0] <= 50
    assert best.score < 1.0  # the feasible minimum is 0.398, at (pi, 2.275)
    feasible = sum(tuner.oracle.is_feasible(t) for t in tuner.oracle.trials.values())
    assert feasible >= 15  # the probability of feasibility steers away from the infeasible corners


def test_running_trials_are_spread_under_parallel_workers():
    hp = HyperParameters()
    for i in range(3):
        hp.Float(f"x{i}", 0, 1)
    oracle = BayesianOptimization(objective=ZDT, hyperparameters=hp, max_trials=20, seed=0,
                                  constraints=[kt.Constraint("f2", max=5)])
    for _ in range(6):
        trial = oracle.ask()
        oracle.tell(trial.trial_id, _zdt1(trial.hyperparameters))
    running = [oracle.ask() for _ in range(3)]
    values = [tuple(t.hyperparameters.values.values()) for t in running]
    assert all(t.status == "RUNNING" for t in running) and len(set(values)) == 3


def test_warm_start_uses_the_model_from_the_first_trial(tmp_path):
    kt.tune(_zdt1, objective=ZDT, max_trials=12, seed=0, verbose=0, directory=str(tmp_path), project_name="old")
    warm = kt.tune(_zdt1, objective=ZDT, max_trials=5, oracle="bayesian", seed=0, verbose=0,
                   warm_start_from=str(tmp_path / "old"))
    cold = kt.tune(_zdt1, objective=ZDT, max_trials=5, oracle="bayesian", seed=0, verbose=0)
    assert len(warm.oracle.trials) == 5
    first = [t.hyperparameters.values for t in warm.oracle.trials.values()]
    assert first != [t.hyperparameters.values for t in cold.oracle.trials.values()]


def test_pareto_search_with_constraints_under_a_process_pool():
    tuner = kt.tune(_zdt1, objective=ZDT, max_trials=10, oracle="bayesian", seed=0, verbose=0,
                    executor="process", max_parallel_trials=2, constraints=[kt.Constraint("f2", max=4)])
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 10 and all(t.status == "COMPLETED" for t in trials)
    assert len({tuple(t.hyperparameters.values.values()) for t in trials}) == 10
    front = tuner.oracle.get_best_trials(None)
    assert front and all(tuner.oracle.constraint_values(t)[0] <= 4 for t in front)


def test_constrained_search_learns_to_leave_a_failing_region():
    def branin_failing(hp):
        values = _branin(hp)
        if hp["x1"] > 3.3:  # the feasible minimum (pi, 2.275) borders the failing region
            raise kt.errors.FailedTrialError("diverged")
        return values

    tuner = kt.tune(branin_failing, objective=kt.Objective("f", "min"), max_trials=40, oracle="bayesian", seed=0,
                    verbose=0, constraints=[kt.Constraint("c", max=50)], max_consecutive_failed_trials=None)
    statuses = [t.status for t in tuner.oracle.trials.values()]
    assert len(statuses) == 40 and statuses[-20:].count("FAILED") <= 5
    assert tuner.oracle.get_best_trials()[0].score < 1.0


def _pressure_vessel(hp):
    # Shell and head thicknesses in steps of 1/16 inch (Ints), radius and length
    # (Floats); the thicknesses must cover the radius (g1, g2), the volume a
    # minimum (g3). Best known design: 6059.71 (Sandgren 1990).
    shell, head = 0.0625 * hp.Int("x0", 1, 99), 0.0625 * hp.Int("x1", 1, 99)
    r, length = hp.Float("x2", 10.0, 200.0), hp.Float("x3", 10.0, 200.0)
    cost = (0.6224 * shell * r * length + 1.7781 * head * r**2 + 3.1661 * shell**2 * length
            + 19.84 * shell**2 * r)
    return {"cost": cost, "g1": -shell + 0.0193 * r, "g2": -head + 0.00954 * r,
            "g3": -math.pi * r**2 * length - 4 / 3 * math.pi * r**3 + 1296000}


def test_constrained_search_steps_integers_along_the_constraints_they_share():
    # Rounding the thicknesses alone leaves the radius where the unrounded point
    # wanted it; each search below ended at 6160 or more without the grid steps.
    constraints = [kt.Constraint(name, max=0.0) for name in ("g1", "g2", "g3")]
    for seed in range(3):
        tuner = kt.tune(_pressure_vessel, objective=kt.Objective("cost", "min"), constraints=constraints,
                        max_trials=60, oracle="bayesian", seed=seed, verbose=0)
        assert tuner.oracle.objective_values(tuner.oracle.get_best_trials(1)[0])[0] < 6130


def test_pareto_and_constrained_searches_resumed_from_disk_suggest_as_uninterrupted_ones(tmp_path):
    # Their GPs warm-start from the previous fit's parameters, which must survive the stop.
    cases = {"pareto": dict(objective=ZDT),
             "constrained": dict(objective=kt.Objective("f2", "min"), constraints=[kt.Constraint("f1", max=0.5)])}
    for name, options in cases.items():
        def search(max_trials, project):
            return kt.tune(_zdt1, max_trials=max_trials, oracle="bayesian", seed=1, verbose=0,
                           directory=tmp_path, project_name=project, **options)

        search(14, f"{name}-resumed")
        resumed, uninterrupted = search(24, f"{name}-resumed"), search(24, name)
        assert [t.hyperparameters.values for t in resumed.oracle.trials.values()] == \
            [t.hyperparameters.values for t in uninterrupted.oracle.trials.values()]


def _vlmop2(hp):
    x = np.array([hp.Float("x0", -2, 2), hp.Float("x1", -2, 2)])
    a = 1 / math.sqrt(2)
    return {"f1": 1 - math.exp(-np.sum((x - a) ** 2)), "f2": 1 - math.exp(-np.sum((x + a) ** 2))}


def test_pareto_ehvi_models_objectives_that_saturate():
    # Both objectives are flat at 1 away from the front: ParEGO's one GP of their scalarised
    # maximum sees a kinked plateau, a GP per objective sees two bumps.
    hv = {}
    for model in ("parego", "ehvi"):
        tuner = kt.tune(_vlmop2, objective=ZDT, max_trials=30, oracle="bayesian", seed=0, verbose=0, pareto=model)
        front = [tuner.oracle.objective_values(t) for t in tuner.oracle.get_best_trials(None)]
        hv[model] = pareto.hypervolume(front, [1.1, 1.1])
    assert hv["ehvi"] > 0.5 > hv["parego"]


def test_pareto_default_takes_turns_and_keeps_most_of_ehvis_gain_where_objectives_saturate():
    # ParEGO alone reaches 0.42 here, EHVI alone 0.52 (seed 0, 30 trials).
    tuner = kt.tune(_vlmop2, objective=ZDT, max_trials=30, oracle="bayesian", seed=0, verbose=0)
    front = [tuner.oracle.objective_values(t) for t in tuner.oracle.get_best_trials(None)]
    assert tuner.oracle.pareto == "alternate"
    assert pareto.hypervolume(front, [1.1, 1.1]) > 0.48


def test_pareto_ehvi_is_refused_beyond_two_objectives():
    three = kt.Pareto([kt.Objective(name, "min") for name in ("a", "b", "c")])
    with pytest.raises(ValueError, match="pareto='ehvi'.*two objectives; got 3"):
        BayesianOptimization(objective=three, pareto="ehvi")
    with pytest.raises(ValueError, match="got 1"):
        BayesianOptimization(objective=kt.Objective("a", "min"), pareto="ehvi")


def test_hypervolume_improvement_of_a_certain_point_is_the_area_it_adds():
    front = np.array([[0.2, 0.8], [0.5, 0.4], [0.9, 0.1]])
    reference = np.array([1.0, 1.0])
    point = np.array([[0.3, 0.3]])
    value = ehvi.log_ehvi(point, np.full((1, 2), 1e-9), ehvi.staircase(front, reference), np.zeros((4, 2)))
    added = pareto.hypervolume(np.vstack([front, point]), reference) - pareto.hypervolume(front, reference)
    assert math.isclose(math.exp(value[0]), added, rel_tol=1e-6)


def test_grid_steps_return_a_point_as_the_encoder_rounds_it_on_a_conditional_discrete_space():
    # A move along an inactive input changes nothing the search suggests; the point scored, kept and
    # compared with the tried ones must be the rounded one (inactive inputs at their constant).
    hp = HyperParameters()
    hp.Choice("kind", ["a", "b"])
    with hp.conditional_scope("kind", "a"):
        hp.Int("n", 1, 6)
    hp.Int("k", 1, 4)
    encoder = SpaceEncoder(hp.space)
    n = next(column for column in encoder.columns if column.hp.name == "n")
    x = encoder.round(encoder.encode({"kind": "b", "k": 2})[None, :])[0]

    def score(X, return_grad=False):  # rewards a large inactive `n`: only an unrounded point gains
        value = -X[:, n.start]
        return (value, np.zeros(X.shape)) if return_grad else value

    moved = _lattice_moves(score, encoder, x, np.zeros((0, encoder.d)))
    np.testing.assert_array_equal(moved, encoder.round(moved[None, :])[0])


def test_pareto_ehvi_spreads_a_batch_of_running_trials():
    # Each running trial joins the front at its believed values: without it, the three follow-ups
    # repeated the first suggestion's improvement within 0.002 of it.
    oracle = BayesianOptimization(objective=ZDT, hyperparameters=_unit_space(3), max_trials=20, seed=0, pareto="ehvi")
    for _ in range(12):
        trial = oracle.ask()
        oracle.tell(trial.trial_id, _zdt1(trial.hyperparameters))
    batch = np.array([list(oracle.ask().hyperparameters.values.values()) for _ in range(4)])
    distances = np.linalg.norm(batch[:, None] - batch[None], axis=2)[np.triu_indices(4, 1)]
    assert distances.min() > 0.05


def _unit_space(d):
    hp = HyperParameters()
    for i in range(d):
        hp.Float(f"x{i}", 0, 1)
    return hp
