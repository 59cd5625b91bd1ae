"""The Bayesian oracle's options under a careless user: Keras Tuner's argument
order, and bad values refused when the oracle is built, not at the first model fit."""

import pytest

import tunecore as kt


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    return hp


def test_keras_tuner_positional_arguments_land_where_keras_tuner_puts_them():
    hp = _space()
    oracle = kt.oracles.BayesianOptimization("loss", 7, 4, 1e-4, 2.6, 1, hp, True, True, 2, 5)
    assert oracle.max_trials == 7
    assert oracle.num_initial_points == 4
    assert oracle.seed == 1
    assert list(oracle.hyperparameters.values) == ["x"]
    assert oracle.max_retries_per_trial == 2
    assert oracle.max_consecutive_failed_trials == 5


def test_new_options_are_keyword_only():
    with pytest.raises(TypeError):
        kt.oracles.BayesianOptimization("loss", 7, 4, 1e-4, 2.6, 1, None, True, True, 0, 3, "ucb")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("lengthscale_prior", "selct", r"lengthscale_prior must be one of 'optuna', .*'select', 'laplace'; got 'selct'"),
        ("lengthscale_prior", None, r"lengthscale_prior must be one of .*; got None"),
        ("lengthscale_prior", ["optuna"], r"lengthscale_prior must be one of .*; got \['optuna'\]"),
        ("pending", "fantsy", r"pending must be one of 'believer', 'fantasy', 'kriging', 'penalize', 'auto'; got 'fantsy'"),
        ("follow_up", None, r"follow_up must be one of 'optimize', 'rescore'; got None"),
        ("categories", "enumerat", r"categories must be one of 'relax', 'hold', 'enumerate', 'split', 'branch'; got 'enumerat'"),
        ("acquisition", "pi", r"acquisition must be one of 'ei', 'ucb'; got 'pi'"),
        ("taboo", "ellipse", r"taboo must be one of 'ball', 'span'; got 'ellipse'"),
        ("branches", "split", r"branches must be one of 'joint', 'focus'; got 'split'"),
        ("alpha", -1.0, r"alpha must be a positive finite number; got -1.0"),
        ("alpha", 0.0, r"alpha must be a positive finite number; got 0.0"),
        ("alpha", "1e-4", r"alpha must be a positive finite number; got '1e-4'"),
        ("beta", float("nan"), r"beta must be a non-negative finite number; got nan"),
        ("num_initial_points", -3, r"num_initial_points must be a non-negative integer or None .*; got -3"),
        ("num_initial_points", 2.5, r"num_initial_points must be a non-negative integer or None .*; got 2.5"),
    ],
)
def test_a_bad_option_is_refused_at_construction(option, value, message):
    with pytest.raises(ValueError, match=message):
        kt.oracles.BayesianOptimization(objective="loss", max_trials=5, **{option: value})


def test_activity_must_be_a_bool():
    with pytest.raises(TypeError, match="activity must be True or False; got 'yes'"):
        kt.oracles.BayesianOptimization(objective="loss", activity="yes")


def test_fantasy_needs_expected_improvement():
    with pytest.raises(ValueError, match=r"pending='fantasy' .* needs acquisition='ei'; got acquisition='ucb'"):
        kt.oracles.BayesianOptimization(objective="loss", pending="fantasy", acquisition="ucb")


def test_model_based_hyperband_refuses_a_bad_gp_option_at_construction():
    from tunecore_bayes.hyperband import ModelProposer

    with pytest.raises(ValueError, match="lengthscale_prior must be one of"):
        ModelProposer(lengthscale_prior="nope")


def test_a_large_search_resumed_from_its_state_suggests_what_it_would_have():
    """Above max_points // 2 observations the GP is fitted to a subset; a resumed
    search (a fresh proposer given the saved state) must draw the same subset."""
    import numpy as np

    from tunecore_bayes.proposer import GPProposer

    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Float("y", 0.0, 1.0)
    points = np.random.default_rng(0).random((40, 2))
    observations = [({"x": x, "y": y}, np.sin(5 * x) + y**2) for x, y in points]
    tried = [values for values, _ in observations]

    running = GPProposer(max_points=16)
    running.propose(hp.space, observations[:36], [], tried[:36], np.random.default_rng(1))
    resumed = GPProposer(max_points=16)
    resumed.set_state(running.get_state())
    suggestions = [
        proposer.propose(hp.space, observations, [], tried, np.random.default_rng(2))
        for proposer in (running, resumed)
    ]
    assert suggestions[0] == suggestions[1]


def test_model_based_hyperband_resumed_suggests_what_it_would_have(tmp_path):
    import json

    def fn(hp):
        return (hp.Float("x", 0.0, 1.0) - 0.3) ** 2 + (hp.Float("y", 0.0, 1.0) - 0.6) ** 2

    def tuner(**kwargs):
        return kt.FunctionTuner(fn, objective="loss", oracle="hyperband", max_epochs=9, seed=4, model_based=True,
                                **kwargs)

    def trials(t):
        return [(trial.trial_id, json.dumps(trial.hyperparameters.values, sort_keys=True))
                for trial in t.oracle.trials.values()]

    whole = tuner()
    whole.search(verbose=0)
    tuner(directory=tmp_path, project_name="p", max_trials=15).search(verbose=0)
    resumed = tuner(directory=tmp_path, project_name="p")
    resumed.search(verbose=0)
    assert trials(resumed) == trials(whole)


def test_gp_proposer_refuses_a_negative_refit_growth():
    from tunecore_bayes.proposer import GPProposer

    with pytest.raises(ValueError, match=r"refit_growth must be a non-negative finite number; got -0.1"):
        GPProposer(refit_growth=-0.1)


@pytest.mark.parametrize("option", [{"taboo": "ball"}, {"exploration": "wide"}, {"branches": "joint"}])
@pytest.mark.parametrize(
    "search",
    [{"objective": kt.Pareto([kt.Objective("a", "min"), kt.Objective("b", "min")])},
     {"objective": kt.Objective("a", "min"), "constraints": [kt.Constraint("b", max=1.0)]}],
    ids=["pareto", "constrained"],
)
def test_options_of_the_single_objective_search_are_refused_where_their_own_model_ignores_them(option, search):
    ((name, value),) = option.items()
    with pytest.raises(ValueError, match=rf"{name}={value!r} shapes the single-objective GP's search .* Pareto"):
        kt.oracles.BayesianOptimization(max_trials=5, hyperparameters=_space(), **search, **option)
    # Their defaults, named or not, are accepted.
    kt.oracles.BayesianOptimization(
        max_trials=5, hyperparameters=_space(), taboo="span", exploration="refine", branches="focus", **search)


def test_gp_proposer_s_new_options_do_not_shift_the_older_positional_arguments():
    from tunecore_bayes.proposer import GPProposer

    # alpha, beta, acquisition, max_points, taboo_radius, prior_mean, lengthscale_prior, pending, follow_up,
    # activity, categories, stall, refit_growth: GPProposer's order before taboo and perturb_best came.
    proposer = GPProposer(1e-6, 1.0, "ucb", 64, 0.1, "mean", "dim_scaled", "kriging", "rescore", True, "hold",
                          "exploit", 0.02)
    assert (proposer.alpha, proposer.beta, proposer.acquisition, proposer.max_points, proposer.taboo_radius) == (
        1e-6, 1.0, "ucb", 64, 0.1)
    assert (proposer.prior_mean, proposer.lengthscale_prior, proposer.pending, proposer.follow_up) == (
        "mean", "dim_scaled", "kriging", "rescore")
    assert (proposer.activity, proposer.categories, proposer.stall, proposer.refit_growth) == (
        True, "hold", "exploit", 0.02)
    assert (proposer.taboo, proposer.perturb_best) == ("ball", True)
