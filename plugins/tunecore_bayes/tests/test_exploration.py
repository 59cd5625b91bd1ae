"""``exploration="wide"`` for narrow wells: a fitted constant prior mean
(``prior_mean="fitted"``) and an acquisition search without perturbations of
the best observations (``perturb_best=False``); measured in
``benchmarks/RESULTS.md`` (issue 24, shekel35)."""

import types

import numpy as np
import pytest
import scipy.optimize

import tunecore as kt
from tunecore.testing import run_trials
from tunecore_bayes.acquisition import optimize_acquisition, optimize_polished
from tunecore_bayes.gp import GaussianProcess
from tunecore_bayes.proposer import GPProposer


def _cluster_and_spread():
    """Twenty points refining a basin at (0.1, 0.1) (y = 0) and five spread ones (y = 1)."""
    rng = np.random.default_rng(0)
    cluster = 0.1 + 0.01 * rng.standard_normal((20, 2))
    spread = np.array([[0.9, 0.9], [0.9, 0.1], [0.1, 0.9], [0.5, 0.6], [0.6, 0.4]])
    return np.vstack([cluster, spread]), np.concatenate([np.zeros(20), np.ones(5)])


def test_a_fitted_prior_mean_counts_a_refined_basin_about_once():
    X, y = _cluster_and_spread()
    far = np.array([[4.0, 4.0]])  # many length scales away

    def reverts_to(prior_mean):
        return GaussianProcess(prior_mean=prior_mean, seed=0).fit(X, y).predict(far)[0][0]

    assert reverts_to("mean") == pytest.approx(y.mean(), abs=1e-3)  # pulled down by the 20 refining points
    assert reverts_to("fitted") > 0.5  # the basin counts about as one point among six
    assert reverts_to("fitted") < reverts_to("max")


def test_the_fitted_mean_fit_follows_the_gradient_of_its_profile_likelihood():
    X, y = _cluster_and_spread()
    gp = GaussianProcess(prior_mean="fitted", seed=0).fit(X, y)
    theta = gp.params.to_vector() + 0.3

    def value(t):
        return gp.log_posterior(type(gp.params).from_vector(t))

    numeric = scipy.optimize.approx_fprime(theta, value, 1e-6)
    analytic = gp.log_posterior(type(gp.params).from_vector(theta), return_grad=True)[1]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-4)


class _NeedleGP:
    """A flat posterior except a needle 2e-4 wide next to the incumbent."""

    def __init__(self):
        self.X_best = np.array([0.3, 0.7])
        self.y_best = 0.0
        self.params = types.SimpleNamespace(log_lengthscales=np.zeros(2))

    def predict(self, X, return_grad=False):
        r2 = np.sum((X - (self.X_best + 1e-3)) ** 2, axis=1)
        mean = 1.0 - 2.0 * np.exp(-r2 / 4e-8)
        std = np.full(len(X), 0.1)
        if not return_grad:
            return mean, std
        dmean = 2.0 * np.exp(-r2 / 4e-8)[:, None] * 2 * (X - (self.X_best + 1e-3)) / 4e-8
        return mean, std, dmean, np.zeros_like(X)


def test_only_perturbations_of_the_best_observations_find_a_needle_next_to_them():
    gp = _NeedleGP()
    near = optimize_acquisition(gp, 2, rng=0, centres=gp.X_best[None, :])
    quasi_random = optimize_acquisition(gp, 2, rng=0, centres=np.empty((0, 2)))
    assert gp.predict(near[None, :])[0][0] < 0.0
    assert gp.predict(quasi_random[None, :])[0][0] == pytest.approx(1.0)


def test_a_polished_search_takes_the_needle_only_where_it_dwarfs_the_wide_search_s_optimum():
    gp = _NeedleGP()  # EI at the needle about e^58 times the rest's
    polished = optimize_polished(gp, 2, gp.X_best[None, :], rng=0)
    kept = optimize_polished(gp, 2, gp.X_best[None, :], margin=100.0, rng=0)
    assert gp.predict(polished[None, :])[0][0] < 0.0
    assert gp.predict(kept[None, :])[0][0] == pytest.approx(1.0)


def test_a_polished_point_heads_the_candidates_a_batch_is_chosen_from():
    gp = _NeedleGP()
    x, kept = optimize_polished(gp, 2, gp.X_best[None, :], rng=0, return_candidates=True, n_kept=5)
    assert gp.predict(x[None, :])[0][0] < 0.0
    assert np.array_equal(kept[0], x) and len(kept) == 5


def _space():
    hp = kt.HyperParameters()
    for name in "abc":
        hp.Float(name, 0.0, 1.0)
    return hp


def _wells(values):
    x = np.array([values[name] for name in "abc"])
    return float(-np.exp(-np.sum((x - 0.4) ** 2) / 0.002) - 0.5 * np.exp(-np.sum((x - 0.8) ** 2) / 0.02))


def test_wide_exploration_runs_the_same_design_and_then_its_own_suggestions():
    def run(exploration):
        oracle = kt.oracles.BayesianOptimization(
            objective="loss", max_trials=10, hyperparameters=_space(), seed=0, exploration=exploration)
        return [trial.hyperparameters.values for trial in run_trials(oracle, _wells)]

    refine, wide = run("refine"), run("wide")
    assert wide[:4] == refine[:4]  # the initial design
    assert wide[4:] != refine[4:]
    assert run("wide") == wide  # deterministic under a seed


def test_the_proposer_takes_the_parts_of_wide_exploration_separately():
    observations = [({"a": a, "b": b, "c": c}, _wells({"a": a, "b": b, "c": c}))
                    for a, b, c in np.random.default_rng(0).uniform(size=(8, 3))]
    tried = [values for values, _ in observations]
    for proposer in (GPProposer(prior_mean="fitted", perturb_best=False),
                     GPProposer(prior_mean="fitted", perturb_best=False, polish=True)):
        values = proposer.propose(_space().space, observations, [], tried, np.random.default_rng(0))
        assert set(values) == {"a", "b", "c"}


@pytest.mark.parametrize("value", ["explore", None, True])
def test_a_bad_exploration_is_refused_at_construction(value):
    with pytest.raises(ValueError, match=rf"exploration must be one of 'refine', 'wide'; got {value!r}"):
        kt.oracles.BayesianOptimization(objective="loss", exploration=value)


@pytest.mark.parametrize("name", ["perturb_best", "polish"])
def test_perturb_best_and_polish_must_be_bools(name):
    with pytest.raises(TypeError, match=f"{name} must be True or False; got 'no'"):
        GPProposer(**{name: "no"})


def test_polish_needs_a_search_without_the_perturbations():
    with pytest.raises(ValueError, match="polish=True .* needs perturb_best=False; got both"):
        GPProposer(polish=True)


def test_an_unknown_prior_mean_lists_the_choices():
    with pytest.raises(ValueError, match="prior_mean must be one of 'mean', 'max', 'fitted'; got 'median'"):
        GaussianProcess(prior_mean="median")
