import numpy as np
import pytest
import scipy.stats
import scipy.stats.qmc

from tunecore_bayes.acquisition import (
    batch_log_expected_improvement,
    choose_batch,
    local_penalty,
    log_expected_improvement,
    optimize_acquisition,
    upper_confidence_bound,
)
from tunecore_bayes.gp import GaussianProcess


def _naive_expected_improvement(mean, std, best):
    z = (best - mean) / std
    return std * (scipy.stats.norm.pdf(z) + z * scipy.stats.norm.cdf(z))


def _quadratic(X):
    return (X[:, 0] - 0.3) ** 2 + (X[:, 1] - 0.7) ** 2


def _branin(X):
    x1, x2 = 15.0 * X[:, 0] - 5.0, 15.0 * X[:, 1]
    b, c = 5.1 / (4.0 * np.pi**2), 5.0 / np.pi
    s = 1.0 - 1.0 / (8.0 * np.pi)
    return (x2 - b * x1**2 + c * x1 - 6.0) ** 2 + 10.0 * s * np.cos(x1) + 10.0


def _quadratic_gp():
    X = scipy.stats.qmc.Sobol(2, seed=0).random(16)
    return GaussianProcess(seed=0).fit(X, _quadratic(X)), X


def test_log_ei_equals_log_of_naive_ei_where_naive_is_stable():
    z = np.linspace(-6.0, 6.0, 49)
    std = np.linspace(0.1, 3.0, 49)
    mean = 1.0 - z * std

    np.testing.assert_allclose(
        log_expected_improvement(mean, std, 1.0),
        np.log(_naive_expected_improvement(mean, std, 1.0)),
        rtol=1e-9,
        atol=1e-9,
    )


def test_log_ei_is_finite_and_monotone_where_naive_underflows():
    z = -np.logspace(-3, 12, 400)[::-1]
    values = log_expected_improvement(-z, np.ones_like(z), 0.0)

    assert _naive_expected_improvement(40.0, 1.0, 0.0) == 0.0
    assert np.isfinite(log_expected_improvement(40.0, 1.0, 0.0))
    assert np.isfinite(values).all()
    assert np.all(np.diff(values) > 0)


@pytest.mark.parametrize("z", [-1.0, -((3.0 / np.finfo(float).eps) ** 0.25)])
def test_log_ei_and_its_gradient_are_continuous_across_branches(z):
    mean = -np.array([z * (1 + 1e-12), z * (1 - 1e-12)])
    values, dmean, _ = log_expected_improvement(mean, np.ones(2), 0.0, return_grad=True)

    assert values[0] == pytest.approx(values[1], rel=1e-7)
    assert dmean[0] == pytest.approx(dmean[1], rel=1e-6)


@pytest.mark.parametrize("z", [3.0, 0.2, -0.5, -1.0 - 1e-3, -3.0, -40.0, -1e4, -1e9])
def test_log_ei_gradients_match_finite_differences(z):
    mean, std, best = np.array([2.0 - z * 0.7]), np.array([0.7]), 2.0
    _, dmean, dstd = log_expected_improvement(mean, std, best, return_grad=True)

    def central_difference(f, x):
        h = 1e-7 * max(1.0, abs(x[0]))
        return (f(x + h) - f(x - h)) / (2 * h)

    fd_mean = central_difference(lambda m: log_expected_improvement(m, std, best), mean)
    fd_std = central_difference(lambda s: log_expected_improvement(mean, s, best), std)

    np.testing.assert_allclose(dmean, fd_mean, rtol=1e-4)
    np.testing.assert_allclose(dstd, fd_std, rtol=1e-4)


def test_log_ei_gradient_with_respect_to_x_by_the_chain_rule():
    gp, _ = _quadratic_gp()
    x = np.array([[0.55, 0.25]])
    eps = 1e-6

    mean, std, dmean, dstd = gp.predict(x, return_grad=True)
    _, dvalue_dmean, dvalue_dstd = log_expected_improvement(mean, std, gp.y_best, return_grad=True)
    grad = dvalue_dmean[:, None] * dmean + dvalue_dstd[:, None] * dstd

    def value(point):
        return log_expected_improvement(*gp.predict(point), gp.y_best)[0]

    fd = [(value(x + eps * e) - value(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(grad[0], fd, rtol=1e-4)


def test_upper_confidence_bound_follows_keras_tuner_for_minimisation():
    bound = upper_confidence_bound([1.0, 2.0], [0.5, 1.0], beta=2.6)

    np.testing.assert_allclose(bound, [-0.3, -0.6])


@pytest.mark.parametrize("kind", ["ei", "ucb"])
def test_optimize_acquisition_finds_the_minimum_of_a_quadratic(kind):
    gp, _ = _quadratic_gp()

    x = optimize_acquisition(gp, 2, kind=kind, beta=0.1, rng=0)

    assert x.shape == (2,)
    np.testing.assert_allclose(x, [0.3, 0.7], atol=0.05)


def test_optimize_acquisition_stays_within_bounds():
    gp, _ = _quadratic_gp()
    bounds = [(0.5, 1.0), (0.0, 0.4)]

    x = optimize_acquisition(gp, 2, bounds=bounds, rng=0)

    assert 0.5 <= x[0] <= 1.0 and 0.0 <= x[1] <= 0.4


def test_optimize_acquisition_never_returns_an_excluded_point():
    gp, X = _quadratic_gp()
    first = optimize_acquisition(gp, 2, rng=0)

    second = optimize_acquisition(gp, 2, rng=0, exclude=np.vstack([X, first]))

    assert second is not None
    assert np.abs(second - first).max() > 1e-9


def test_optimize_acquisition_returns_on_grid_points():
    gp, _ = _quadratic_gp()

    x = optimize_acquisition(gp, 2, rng=0, round_fn=lambda X: np.round(X * 4) / 4)

    np.testing.assert_allclose(x * 4, np.round(x * 4))
    np.testing.assert_allclose(x, [0.25, 0.75])


def test_optimize_acquisition_returns_none_when_every_point_is_excluded():
    gp, _ = _quadratic_gp()
    grid = np.stack(np.meshgrid([0.0, 1.0], [0.0, 1.0]), axis=-1).reshape(-1, 2)

    x = optimize_acquisition(gp, 2, rng=0, round_fn=np.round, exclude=grid)

    assert x is None


def test_unknown_acquisition_kind_is_rejected():
    gp, _ = _quadratic_gp()

    with pytest.raises(ValueError, match="'pi'"):
        optimize_acquisition(gp, 2, kind="pi")


def test_gp_log_ei_loop_minimises_branin():
    rng = np.random.default_rng(0)
    X = scipy.stats.qmc.Sobol(2, seed=rng).random(8)
    y = _branin(X)
    params = None
    for _ in range(17):
        gp = GaussianProcess(seed=0).fit(X, y, warm_start=params)
        params = gp.params
        x = optimize_acquisition(gp, 2, rng=rng, exclude=X)
        X, y = np.vstack([X, x]), np.append(y, _branin(x[None]))

    assert y.min() < 1.0


def test_batch_ei_without_pending_points_is_log_ei():
    gp, _ = _quadratic_gp()
    Xq = np.random.default_rng(0).random((50, 2))
    expected = log_expected_improvement(*gp.predict(Xq), gp.y_best)
    np.testing.assert_allclose(batch_log_expected_improvement(gp, Xq, np.empty((0, 2))), expected)


def test_batch_ei_is_the_average_ei_after_conditioning_on_sampled_outcomes():
    # The closed form (variance from the posterior covariance, mean shifted by the
    # samples) against brute force: condition the GP on each sample and average.
    gp, _ = _quadratic_gp()
    pending = np.array([[0.32, 0.68], [0.6, 0.2]])
    Xq = np.array([[0.3, 0.7], [0.31, 0.69], [0.9, 0.9]])
    n = 4000
    batch = np.exp(batch_log_expected_improvement(gp, Xq, pending, rng=1, n_samples=n))

    rng = np.random.default_rng(2)
    mean_p, cov_p = gp.predict(pending)[0], gp.posterior_covariance(pending, pending)
    draws = rng.multivariate_normal(mean_p, cov_p + gp.noise_variance * np.eye(2), size=400)
    brute = np.mean([
        np.exp(log_expected_improvement(*gp.posterior_condition(pending, f).predict(Xq), min(gp.y_best, f.min())))
        for f in draws
    ], axis=0)
    np.testing.assert_allclose(batch, brute, rtol=0.15, atol=1e-4 * brute.max())


def test_posterior_covariance_matches_predict_on_the_diagonal():
    gp, _ = _quadratic_gp()
    Xq = np.random.default_rng(3).random((7, 2))
    np.testing.assert_allclose(np.diag(gp.posterior_covariance(Xq, Xq)), gp.predict(Xq)[1] ** 2, rtol=1e-6,
                               atol=1e-12)


def test_a_pending_point_lowers_batch_ei_next_to_it_and_not_far_away():
    gp, _ = _quadratic_gp()
    near = np.array([[0.305, 0.7]])
    plain = log_expected_improvement(*gp.predict(near), gp.y_best)[0]
    at_optimum = batch_log_expected_improvement(gp, near, np.array([[0.3, 0.7]]), rng=0)[0]
    far_off = batch_log_expected_improvement(gp, near, np.array([[0.95, 0.05]]), rng=0)[0]
    assert at_optimum < plain - 0.5
    assert far_off == pytest.approx(plain, abs=0.05)


def test_choose_batch_skips_excluded_points():
    gp, X = _quadratic_gp()
    candidates = np.array([[0.3, 0.7], [0.35, 0.65]])
    chosen = choose_batch(gp, candidates, np.array([[0.5, 0.5]]), rng=0, exclude=candidates[:1])
    np.testing.assert_array_equal(chosen, candidates[1])


def _reference(d=2, n=256):
    return scipy.stats.qmc.Sobol(d, seed=0).random(n)


def test_local_penalty_is_largest_at_a_pending_point_and_fades_with_distance():
    gp, _ = _quadratic_gp()
    pending = np.array([[0.3, 0.7]])
    penalty = local_penalty(gp, pending, _reference(), gp.y_best)
    values = penalty(np.array([[0.3, 0.7], [0.32, 0.7], [0.4, 0.7], [0.95, 0.05]]))
    assert values[0] > values[1] > values[2] > values[3] >= 0.0
    assert values[3] == pytest.approx(0.0, abs=1e-6)


def test_a_pending_point_predicted_worse_blocks_a_wider_ball():
    gp, _ = _quadratic_gp()
    good, bad = np.array([[0.3, 0.7]]), np.array([[0.9, 0.1]])
    step = np.array([0.1, 0.0])
    near_good = local_penalty(gp, good, _reference(), gp.y_best)(good + step)[0]
    near_bad = local_penalty(gp, bad, _reference(), gp.y_best)(bad - step)[0]
    assert near_bad > near_good


def test_local_penalty_gradient_matches_finite_differences():
    gp, _ = _quadratic_gp()
    penalty = local_penalty(gp, np.array([[0.3, 0.7], [0.6, 0.2]]), _reference(), gp.y_best)
    X = np.random.default_rng(4).random((5, 2))
    _, grad = penalty(X, return_grad=True)
    step = 1e-6
    for i in range(2):
        shift = np.zeros(2)
        shift[i] = step
        numeric = (penalty(X + shift) - penalty(X - shift)) / (2 * step)
        np.testing.assert_allclose(grad[:, i], numeric, rtol=1e-4, atol=1e-6)


def test_a_penalty_moves_the_acquisition_optimum_off_a_pending_point():
    gp, _ = _quadratic_gp()
    plain = optimize_acquisition(gp, 2, rng=0)
    penalty = local_penalty(gp, plain[None, :], _reference(), gp.y_best)
    moved = optimize_acquisition(gp, 2, rng=0, penalty=penalty)
    assert np.linalg.norm(moved - plain) > 1e-3
