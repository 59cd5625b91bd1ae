import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats
import scipy.stats.qmc

from tunecore_bayes.gp import GaussianProcess, GPParams, power_transform


def _sobol(n, d, seed=0):
    return scipy.stats.qmc.Sobol(d, seed=seed).random(n)


def _smooth_3d(X):
    return np.sin(3.0 * X[:, 0]) + (X[:, 1] - 0.5) ** 2 + 0.5 * X[:, 0] * X[:, 2]


def test_fit_returns_self_and_sets_params():
    X = _sobol(8, 2)
    gp = GaussianProcess(seed=0)

    assert gp.fit(X, X.sum(axis=1)) is gp
    assert gp.params.log_lengthscales.shape == (2,)
    assert np.isfinite(gp.params.to_vector()).all()


def test_fits_smooth_1d_function():
    X = np.linspace(0.0, 1.0, 12)[:, None]
    gp = GaussianProcess(seed=0).fit(X, np.sin(6.0 * X[:, 0]))

    Xq = np.linspace(0.0, 1.0, 101)[:, None]
    mean, std = gp.predict(Xq)

    assert mean.shape == std.shape == (101,)
    np.testing.assert_allclose(mean, np.sin(6.0 * Xq[:, 0]), atol=0.02)


def test_fits_smooth_3d_function():
    X = _sobol(64, 3)
    gp = GaussianProcess(seed=0).fit(X, _smooth_3d(X))

    Xq = np.random.default_rng(1).random((200, 3))
    mean, _ = gp.predict(Xq)

    rmse = np.sqrt(np.mean((mean - _smooth_3d(Xq)) ** 2))
    assert rmse < 0.02 * _smooth_3d(Xq).std()


def test_predictions_are_in_original_units():
    X = _sobol(16, 2)
    y = 1000.0 + 50.0 * _smooth_3d(np.c_[X, X[:, :1]])
    gp = GaussianProcess(seed=0).fit(X, y)

    mean, std = gp.predict(X)

    np.testing.assert_allclose(mean, y, atol=0.005 * y.std())
    assert np.all(std < 0.05 * y.std())
    assert gp.y_best == y.min()
    np.testing.assert_array_equal(gp.X_best, X[np.argmin(y)])


def test_std_is_near_zero_at_data_and_larger_away():
    X = np.linspace(0.0, 0.6, 10)[:, None]
    y = np.cos(4.0 * X[:, 0])
    gp = GaussianProcess(seed=0).fit(X, y)

    _, std_at_data = gp.predict(X)
    _, std_away = gp.predict(np.array([[0.8], [1.0]]))

    assert np.all(std_at_data < 0.01 * y.std())
    assert np.all(std_away > 10 * std_at_data.max())


def test_constant_outputs_do_not_break_the_fit():
    X = _sobol(8, 2)
    gp = GaussianProcess(seed=0).fit(X, np.full(8, 3.0))

    mean, std = gp.predict(np.array([[0.5, 0.5]]))

    np.testing.assert_allclose(mean, 3.0)
    assert np.isfinite(std).all()


def test_ard_gives_an_irrelevant_dimension_a_long_lengthscale():
    X = _sobol(32, 3)
    y = np.sin(5.0 * X[:, 0]) + np.cos(4.0 * X[:, 1])
    gp = GaussianProcess(seed=0).fit(X, y)

    lengthscales = np.exp(gp.params.log_lengthscales)

    assert lengthscales[2] > 3.0 * lengthscales[:2].max()


@pytest.mark.parametrize("lengthscale_prior", ["optuna", "dim_scaled", "unit_lognormal"])
def test_log_posterior_gradient_matches_finite_differences(lengthscale_prior):
    X = _sobol(16, 3)
    gp = GaussianProcess(seed=0, lengthscale_prior=lengthscale_prior).fit(X, _smooth_3d(X))
    rng = np.random.default_rng(0)

    def value(theta):
        return gp.log_posterior(GPParams.from_vector(theta))

    def grad(theta):
        return gp.log_posterior(GPParams.from_vector(theta), return_grad=True)[1]

    for theta in [
        gp.params.to_vector(),
        np.array([np.log(0.3), 0.0, np.log(2.0), 0.5, np.log(1e-2)]),
        rng.normal([-1.0, -1.0, -1.0, 0.0, -4.0], 0.5),
    ]:
        error = scipy.optimize.check_grad(value, grad, theta, epsilon=1e-6)
        assert error < 1e-4 * max(1.0, np.linalg.norm(grad(theta)))


@pytest.mark.parametrize("log_noise", [np.log(1e-2), np.log(1e-8)])
def test_log_posterior_gradient_equals_the_textbook_trace(log_noise):
    # ∂ log p(ỹ | θ) / ∂θⱼ = ½ tr((ααᵀ - K⁻¹) ∂K/∂θⱼ) (Rasmussen & Williams eq. 5.9), with dense matrices.
    X = _sobol(30, 4)
    y = _smooth_3d(X)
    theta = np.array([np.log(0.4), np.log(0.7), 0.1, np.log(2.0), 0.3, log_noise])
    gp = GaussianProcess(noise_floor=1e-9).fit(X, y, warm_start=GPParams.from_vector(theta), optimize=False)
    lengthscales, amplitude, noise = np.exp(theta[:4]), np.exp(theta[4]), np.exp(theta[5])
    differences = (X[:, None, :] - X[None, :, :]) / lengthscales
    r = np.sqrt((differences**2).sum(axis=2))
    K = amplitude * (1 + np.sqrt(5) * r + 5 / 3 * r**2) * np.exp(-np.sqrt(5) * r)
    K_noisy = K + noise * np.eye(len(X))
    z = (y - y.mean()) / y.std()
    alpha = np.linalg.solve(K_noisy, z)
    W = np.outer(alpha, alpha) - np.linalg.inv(K_noisy)
    c = (1 + np.sqrt(5) * r) * np.exp(-np.sqrt(5) * r)
    derivatives = [5 / 3 * amplitude * c * differences[:, :, i] ** 2 for i in range(4)] + [K, noise * np.eye(len(X))]
    expected = np.array([0.5 * np.sum(W * dK) for dK in derivatives])

    # Optuna's prior (the default): -0.1 (ℓ² + ℓ⁻²) per length scale, log a - a, 0.1 log σ² - 30 σ².
    prior_grad = np.concatenate([-0.2 * (lengthscales**2 - lengthscales**-2), [1 - amplitude, 0.1 - 30 * noise]])

    _, grad = gp.log_posterior(return_grad=True)

    np.testing.assert_allclose(grad - prior_grad, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())


def test_predict_gradient_matches_finite_differences():
    X = _sobol(16, 3)
    gp = GaussianProcess(seed=0).fit(X, _smooth_3d(X))
    Xq = np.random.default_rng(2).random((5, 3))
    eps = 1e-6

    _, _, dmean, dstd = gp.predict(Xq, return_grad=True)

    for i in range(3):
        step = eps * np.eye(3)[i]
        (mean_up, std_up), (mean_down, std_down) = gp.predict(Xq + step), gp.predict(Xq - step)
        fd_mean, fd_std = (mean_up - mean_down) / (2 * eps), (std_up - std_down) / (2 * eps)
        np.testing.assert_allclose(dmean[:, i], fd_mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dstd[:, i], fd_std, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n_query", [5, 300, 1100])  # a product as it comes, a triangular product, blocks
def test_predictions_equal_the_textbook_posterior(n_query):
    X = _sobol(40, 3)
    y = _smooth_3d(X)
    gp = GaussianProcess(seed=0, noise_floor=1e-4).fit(X, y)
    Xq = np.random.default_rng(3).random((n_query, 3))
    lengthscales = np.exp(gp.params.log_lengthscales)
    amplitude, noise = np.exp(gp.params.log_amplitude), np.exp(gp.params.log_noise)

    def kernel(A, B):
        r = np.sqrt((((A[:, None, :] - B[None, :, :]) / lengthscales) ** 2).sum(axis=2))
        return amplitude * (1 + np.sqrt(5) * r + 5 / 3 * r**2) * np.exp(-np.sqrt(5) * r)

    K = kernel(X, X) + noise * np.eye(len(X))
    k_star = kernel(X, Xq)
    z = (y - y.mean()) / y.std()
    mean = y.mean() + y.std() * k_star.T @ np.linalg.solve(K, z)
    std = y.std() * np.sqrt(amplitude - np.sum(k_star * np.linalg.solve(K, k_star), axis=0))

    got_mean, got_std = gp.predict(Xq)

    np.testing.assert_allclose(got_mean, mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(got_std, std, rtol=1e-6, atol=1e-10)


def test_warm_start_gives_same_or_better_log_posterior():
    X = _sobol(32, 3)
    y = _smooth_3d(X)
    previous = GaussianProcess(seed=0).fit(X[:24], y[:24]).params

    warm = GaussianProcess(seed=0).fit(X, y, warm_start=previous)
    cold = GaussianProcess(seed=0).fit(X, y)

    assert warm.log_posterior() >= warm.log_posterior(previous)
    assert warm.log_posterior() == pytest.approx(cold.log_posterior(), abs=1e-3)


def test_warm_start_with_wrong_dimension_is_rejected():
    X = _sobol(8, 3)
    params = GPParams(np.zeros(2), 0.0, -5.0)

    with pytest.raises(ValueError, match="d=3"):
        GaussianProcess().fit(X, X.sum(axis=1), warm_start=params)


def test_mismatched_inputs_and_outputs_are_rejected():
    with pytest.raises(ValueError, match="as many outputs as inputs"):
        GaussianProcess().fit(np.zeros((3, 2)), np.zeros(4))


def test_posterior_condition_reduces_std_at_the_new_point():
    X = _sobol(8, 2)
    gp = GaussianProcess(seed=0).fit(X, np.sin(4.0 * X[:, 0]) + X[:, 1])
    x_new = np.array([[0.42, 0.77]])
    _, std_before = gp.predict(x_new)

    conditioned = gp.posterior_condition(x_new, [-5.0])
    _, std_after = conditioned.predict(x_new)

    assert std_after[0] < 0.5 * std_before[0]
    assert conditioned.params is gp.params
    assert conditioned.y_best == -5.0
    assert gp.predict(x_new)[1] == pytest.approx(std_before)


def test_power_transform_keeps_the_order_and_tames_a_heavy_tail():
    y = np.random.default_rng(0).lognormal(sigma=2.0, size=60)

    warped = power_transform(y)

    np.testing.assert_array_equal(np.argsort(warped), np.argsort(y))
    assert abs(scipy.stats.skew(warped)) < 0.3 * abs(scipy.stats.skew(y))


def test_power_transform_leaves_gaussian_outputs_about_standardised():
    y = np.random.default_rng(1).normal(5.0, 3.0, size=200)

    warped = power_transform(y)

    assert np.corrcoef(warped, y)[0, 1] > 0.995
    assert abs(warped.mean()) < 0.1 and abs(warped.std() - 1.0) < 0.1


def test_power_transform_of_constant_outputs_is_zero():
    np.testing.assert_array_equal(power_transform(np.full(4, 7.0)), np.zeros(4))


def test_pessimistic_prior_mean_reverts_to_the_worst_observation_far_from_data():
    rng = np.random.default_rng(0)
    X = 0.2 * rng.random((12, 2))
    y = np.sin(6 * X[:, 0]) + X[:, 1]
    far = np.array([[5.0, 5.0]])  # many length scales away
    mean_max = GaussianProcess(prior_mean="max", seed=0).fit(X, y).predict(far)[0][0]
    mean_avg = GaussianProcess(seed=0).fit(X, y).predict(far)[0][0]
    assert mean_max == pytest.approx(y.max(), abs=1e-3 * np.ptp(y))
    assert mean_avg == pytest.approx(y.mean(), abs=1e-3 * np.ptp(y))


def test_unknown_prior_mean_is_rejected():
    with pytest.raises(ValueError, match="prior_mean"):
        GaussianProcess(prior_mean="median")


def _narrow_well(X):
    return -np.exp(-0.5 * np.sum((X - 0.37) ** 2, axis=1) / 0.03**2)


def test_dim_scaled_prior_lets_the_data_choose_short_length_scales():
    # A well of width 0.03, sampled densely around it: the data ask for a length
    # scale near the width, which Optuna's prior (ℓ⁻² penalty) resists.
    rng = np.random.default_rng(0)
    X = np.clip(0.37 + 0.06 * rng.standard_normal((40, 2)), 0.0, 1.0)
    y = _narrow_well(X)
    optuna = GaussianProcess(seed=0).fit(X, y)
    scaled = GaussianProcess(seed=0, lengthscale_prior="dim_scaled").fit(X, y)

    assert np.exp(scaled.params.log_lengthscales).max() < 0.75 * np.exp(optuna.params.log_lengthscales).min()


def test_dim_scaled_prior_grows_the_length_scales_with_the_dimension():
    # With one observation the posterior is the prior: its mode, √2 + ½ log d - s² in log ℓ.
    modes = [
        GaussianProcess(seed=0, lengthscale_prior="dim_scaled").fit(np.full((1, d), 0.5), [1.0]).params
        for d in (2, 32)
    ]
    assert np.mean(modes[1].log_lengthscales) - np.mean(modes[0].log_lengthscales) == pytest.approx(
        0.5 * np.log(16), abs=0.05
    )


def test_unknown_lengthscale_prior_is_rejected():
    with pytest.raises(ValueError, match="lengthscale_prior must be one of 'optuna', 'dim_scaled', 'unit_lognormal', 'select', 'laplace'; got 'gamma'"):
        GaussianProcess(lengthscale_prior="gamma")


# The candidates of "select", each with log of 1 / ∫ p(log ℓ) d log ℓ per dimension:
# K₀(0.2) for Optuna's prior, √(2π · 3) for the log-normals.
_NORMALISER = {
    "optuna": -np.log(scipy.special.k0(0.2)),
    "dim_scaled": -0.5 * np.log(6 * np.pi),
    "unit_lognormal": -0.5 * np.log(6 * np.pi),
}


def test_select_keeps_the_fit_with_the_largest_normalised_log_posterior():
    rng = np.random.default_rng(0)
    X = rng.random((30, 4))
    y = np.sin(7.0 * X[:, 0]) + 0.1 * X[:, 1]  # two of four inputs matter
    fits = {prior: GaussianProcess(seed=0, lengthscale_prior=prior).fit(X, y) for prior in _NORMALISER}
    selected = GaussianProcess(seed=0, lengthscale_prior="select").fit(X, y)
    normaliser = _NORMALISER

    winner = max(fits, key=lambda prior: fits[prior].log_posterior() + 4 * normaliser[prior])
    assert selected.selected_prior == winner
    np.testing.assert_allclose(selected.params.to_vector(), fits[winner].params.to_vector(), rtol=1e-6, atol=1e-6)


def test_select_prefers_the_dimension_scaled_fit_when_most_inputs_do_not_matter():
    rng = np.random.default_rng(1)
    X = rng.random((40, 20))
    y = np.sin(6.0 * X[:, 3]) + (X[:, 11] - 0.5) ** 2
    assert GaussianProcess(seed=0, lengthscale_prior="select").fit(X, y).selected_prior == "dim_scaled"


def _laplace_evidence(gp, d, normaliser, step=1e-4):
    """Normalised log posterior minus ½ log det of the Hessian of its negative in log ℓ."""
    theta = gp.params.to_vector()
    hessian = np.empty((d, d))
    for i in range(d):
        shift = np.zeros_like(theta)
        shift[i] = step
        plus = gp.log_posterior(GPParams.from_vector(theta + shift), return_grad=True)[1][:d]
        minus = gp.log_posterior(GPParams.from_vector(theta - shift), return_grad=True)[1][:d]
        hessian[i] = -(plus - minus) / (2 * step)
    eigenvalues = np.maximum(np.linalg.eigvalsh(0.5 * (hessian + hessian.T)), 1e-3)
    return gp.log_posterior() + d * normaliser - 0.5 * np.sum(np.log(eigenvalues))


@pytest.mark.parametrize("seed", [0, 1])
def test_laplace_keeps_the_fit_with_the_larger_laplace_evidence(seed):
    rng = np.random.default_rng(seed)
    X = rng.random((30, 4))
    y = np.sin(7.0 * X[:, 0]) + 0.1 * X[:, 1] + _narrow_well(X)
    fits = {prior: GaussianProcess(seed=0, lengthscale_prior=prior).fit(X, y) for prior in _NORMALISER}
    normaliser = _NORMALISER
    selected = GaussianProcess(seed=0, lengthscale_prior="laplace").fit(X, y)

    winner = max(fits, key=lambda prior: _laplace_evidence(fits[prior], 4, normaliser[prior]))
    assert selected.selected_prior == winner
    np.testing.assert_allclose(selected.params.to_vector(), fits[winner].params.to_vector(), rtol=1e-6, atol=1e-6)


def test_laplace_takes_the_dimension_scaled_fit_only_when_few_inputs_matter():
    rng = np.random.default_rng(1)
    X = rng.random((40, 20))
    y = np.sin(6.0 * X[:, 3]) + (X[:, 11] - 0.5) ** 2
    assert GaussianProcess(seed=0, lengthscale_prior="laplace").fit(X, y).selected_prior == "dim_scaled"
    X = _sobol(32, 3)
    assert GaussianProcess(seed=0, lengthscale_prior="laplace").fit(X, _smooth_3d(X)).selected_prior != "dim_scaled"


def test_select_takes_short_length_scales_once_a_narrow_well_is_sampled():
    # Every input matters and the well is 0.03 wide: Optuna's prior (ℓ⁻² wall) and the
    # dimension-scaled one (median 5.8 in 2-D) both lose to the unit log-normal.
    rng = np.random.default_rng(0)
    X = np.clip(0.37 + 0.06 * rng.standard_normal((40, 2)), 0.0, 1.0)
    optuna = GaussianProcess(seed=0).fit(X, _narrow_well(X))
    selected = GaussianProcess(seed=0, lengthscale_prior="select").fit(X, _narrow_well(X))

    assert selected.selected_prior == "unit_lognormal"
    assert np.exp(selected.params.log_lengthscales).max() < 0.75 * np.exp(optuna.params.log_lengthscales).min()


def test_loo_residuals_single_out_an_observation_the_others_do_not_predict():
    X = _sobol(32, 3)
    y = _smooth_3d(X)
    gp = GaussianProcess(seed=0).fit(X, y)
    assert np.abs(gp.loo_residuals()).max() < 3.0

    y[7] -= 2.0  # a narrow well at one observation
    residuals = GaussianProcess(seed=0).fit(X, y, warm_start=gp.params, optimize=False).loo_residuals()
    assert residuals.shape == (32,)
    assert np.argmin(residuals) == 7 and residuals[7] < -3.0
