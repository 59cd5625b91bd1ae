"""Length scales per branch (``BranchGaussianProcess``): positive definite, exact
gradients, the stationary kernel when no branch differs, and learned where one does."""

import numpy as np
import pytest
import scipy.optimize

from tunecore_bayes.branch_kernel import BranchGaussianProcess
from tunecore_bayes.gp import GaussianProcess, GPParams

_NUMERIC = np.array([False, True, True, True])  # column 0 says the branch


def _branch(X):
    return (X[:, 0] > 0.5).astype(int)


def _data(n=30, seed=0):
    """Branch 0 depends on x2 only, branch 1 on x1 only; x3 never matters."""
    X = np.random.default_rng(seed).random((n, 4))
    X[:, 0] = X[:, 0] > 0.5
    return X, np.where(X[:, 0] > 0.5, np.sin(6 * X[:, 1]), X[:, 2] ** 2)


def _gp(**kwargs):
    return BranchGaussianProcess(_branch, 2, _NUMERIC, seed=0, **kwargs)


def _params(theta):
    """GPParams of θ = (log ℓ (4), δ of the 3 numeric inputs on 2 branches (6), log a, log σ²),
    the order of ``log_posterior``'s gradient."""
    offsets = np.zeros((2, 4))
    offsets[:, _NUMERIC] = np.reshape(theta[4:10], (2, 3))
    return GPParams(np.asarray(theta[:4]), float(theta[10]), float(theta[11]), offsets)


def test_the_kernel_is_positive_definite_for_any_per_branch_length_scales():
    X, y = _data()
    gp = _gp().fit(X, y)
    rng = np.random.default_rng(1)
    for _ in range(5):
        gp.fit(X, y, warm_start=_params(np.concatenate([rng.normal(0, 1.5, 10), [0.0, -6.0]])), optimize=False)
        assert np.linalg.eigvalsh(gp.posterior_covariance(X, X) + 1e-9 * np.eye(len(X))).min() > -1e-8


@pytest.mark.parametrize("prior", ["optuna", "unit_lognormal", "dim_scaled"])
def test_the_log_posterior_gradient_matches_finite_differences(prior):
    X, y = _data()
    gp = _gp(lengthscale_prior=prior).fit(X, y)
    theta = np.random.default_rng(2).normal(0.0, 0.5, 12)
    theta[-1] = -5.0

    _, grad = gp.log_posterior(_params(theta), return_grad=True)
    numeric = scipy.optimize.approx_fprime(theta, lambda t: gp.log_posterior(_params(t)), 1e-6)

    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-3)


def test_prediction_gradients_match_finite_differences():
    X, y = _data()
    gp = _gp().fit(X, y)
    Xq = np.random.default_rng(3).random((6, 4))
    Xq[:, 0] = [0, 1, 0, 1, 1, 0]

    _, _, dmean, dstd = gp.predict(Xq, return_grad=True)

    for i in (1, 2, 3):
        step = np.zeros(4)
        step[i] = 1e-6
        (m1, s1), (m0, s0) = gp.predict(Xq + step), gp.predict(Xq - step)
        np.testing.assert_allclose(dmean[:, i], (m1 - m0) / 2e-6, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(dstd[:, i], (s1 - s0) / 2e-6, rtol=1e-4, atol=1e-6)


def test_without_offsets_it_is_the_stationary_gp():
    X, y = _data()
    stationary = GaussianProcess(seed=0).fit(X, y)
    branched = _gp().fit(X, y, warm_start=stationary.params, optimize=False)
    Xq = np.random.default_rng(4).random((5, 4))

    np.testing.assert_allclose(branched.predict(Xq)[0], stationary.predict(Xq)[0], rtol=1e-10)
    assert branched.log_posterior() == pytest.approx(stationary.log_posterior(), rel=1e-10)


def test_the_fit_learns_which_input_matters_on_which_branch():
    X, y = _data(n=40)
    offsets = _gp().fit(X, y).params.log_offsets

    lengthscale = np.exp(offsets)  # relative to the shared ones
    assert lengthscale[0, 1] > 5 * lengthscale[1, 1]  # x1 matters on branch 1 only
    assert lengthscale[1, 2] > 5 * lengthscale[0, 2]  # x2 on branch 0 only
