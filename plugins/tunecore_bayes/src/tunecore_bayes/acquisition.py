"""Acquisition functions and their optimiser, for minimisation.

Notation:
    μ, σ  (m,)   GP posterior mean and standard deviation at m points.
    y*           the best (smallest) observed value.
    z            (y* - μ) / σ.
    φ, Φ         standard normal density and distribution function.
    EI           σ h(z),  h(z) = φ(z) + z Φ(z)           (Jones et al., 1998)
    LCB          μ - β σ, Keras Tuner's "upper confidence bound" for minimisation.

log EI = log σ + log h(z), with log h computed as in Ament et al., "Unexpected
Improvements to Expected Improvement for Bayesian Optimization" (NeurIPS 2023),
eq. 9, so that it stays finite and monotone far into the tail:
    z > -1           log h(z) directly,
    z₀ < z ≤ -1      -z²/2 - ½ log 2π + log1mexp(log(erfcx(-z/√2) |z|) + ½ log(π/2)),
    z ≤ z₀           -z²/2 - ½ log 2π - 2 log |z|,
where log1mexp(w) = log(1 - eʷ). The paper puts z₀ at -1/√ε (ε the machine
epsilon); we put it at -(3/ε)^¼ ≈ -1.1e4, where the middle branch's cancellation
(relative error ~ ε z²) and the tail's neglected term (3/z²) are equal, both ~1e-8;
nearer -1/√ε the middle branch loses every digit. The derivative is
d log h / dz = Φ(z) / h(z), evaluated on the same branches.

Batch EI for running trials (Ginsbourger, Le Riche & Carraro, "Kriging is
well-suited to parallelize optimization", 2010; the greedy sequential q-EI that
BoTorch's ``X_pending`` computes): with p pending points P whose outcomes f_P
are unknown,
    q-EI(x) = E_{f_P}[ EI(x | data, (P, f_P); target min(y*, min f_P)) ],
by Monte Carlo over S joint samples of the outcomes the trials will report,
f_P⁽ˢ⁾ = μ_P + L_P εˢ, L_P Lᵀ_P = Σ_PP + σₙ² I (σₙ² the GP's noise variance).
Conditioning on P changes the variance at x whatever f_P is, and the mean
linearly in it:
    w(x)   = Σ_xP (Σ_PP + σₙ² I)⁻¹,   σ'²(x) = σ²(x) - w(x) Σ_Px,
    μ'ˢ(x) = μ(x) + w(x) (f_P⁽ˢ⁾ - μ_P),
so the S samples cost one (m, p) solve and an (m, S) EI. A running trial near
the incumbent keeps its neighbourhood worth refining when its own outcome
might not improve, and makes it worthless when the outcome surely will.

Local penalisation of running trials (González, Dai, Hennig & Lawrence, "Batch
Bayesian Optimization via Local Penalization", AISTATS 2016; ``pending="penalize"``):
the minimum cannot lie within (f(xⱼ) - M) / L of a running trial xⱼ, L the
Lipschitz constant of f and M its minimum; with f(xⱼ) ~ N(μⱼ, σⱼ²) the
probability that x lies outside that ball is
    φⱼ(x) = Φ((L r(x, xⱼ) - μⱼ + M) / σⱼ),
and the acquisition is multiplied by Πⱼ φⱼ(x) (-Σⱼ log φⱼ added to -log EI). Here
r is the distance in length-scale units, ‖(x - xⱼ) / ℓ‖, L = max ‖∇μ ⊙ ℓ‖ over
reference points, M the best observation, σⱼ² the posterior variance plus noise.
A running trial predicted far worse than M blocks a wide ball; one predicted
near M blocks a ball of about σⱼ / L, so a batch can refine a basin.

EI's target y* may be lowered below the best observation (``best``): with tied
scores on a plateau, improvement means beating the best by at least the scores'
resolution, and the plateau itself then offers almost none (see
:class:`~tunecore_bayes.proposer.GPProposer`).

The optimiser minimises a score, -log EI or LCB, over a box: Sobol candidates and
perturbations of the best observations are scored in one batch, then L-BFGS-B
refines the best few jointly, using ∂score/∂x = ∂score/∂μ ∂μ/∂x + ∂score/∂σ ∂σ/∂x.
Perturbations have scales spread log-uniformly from 0.2 to 1e-4 of the box (a
smooth basin is refined to high precision without a dedicated local search) and
are reflected, not clipped, at the bounds, so that they do not pile up on them.
:func:`optimize_polished` runs the two kinds of candidates as two searches instead,
and takes the perturbations' optimum only where it beats the quasi-random one's
by a wide margin (``exploration="wide"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.optimize
import scipy.spatial.distance
import scipy.special
import scipy.stats.qmc

if TYPE_CHECKING:
    from tunecore_bayes.gp import GaussianProcess

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_SQRT_HALF_PI = np.sqrt(0.5 * np.pi)
_TAIL_START = -((3.0 / np.finfo(float).eps) ** 0.25)
_INCUMBENT_FRACTION = 4
_PERTURBATION_SCALES = (1e-4, 0.2)  # log-uniform, as a fraction of the box
_LOCAL_OPTIONS = {"maxiter": 50}
_SAME_POINT = 1e-9
_FIRST_CHUNK = 16
_POLISH_MARGIN = 11.5  # -log EI: optimize_polished's default, EI about 1e5 times the wide search's


def log_expected_improvement(mean: np.ndarray, std: np.ndarray, best: float, return_grad: bool = False) -> Any:
    """Logarithm of the expected improvement below ``best``.

    Args:
        mean: Posterior means, shape (m,).
        std: Posterior standard deviations, positive, shape (m,).
        best: The incumbent (smallest observed) value.
        return_grad: Also return the partial derivatives.

    Returns:
        log EI, shape (m,); with ``return_grad`` also ``(d/dmean, d/dstd)``, each
        of shape (m,).
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    z = (best - mean) / std
    log_h, dlog_h = _log_h(z)
    value = np.log(std) + log_h
    if not return_grad:
        return value
    return value, -dlog_h / std, (1.0 - dlog_h * z) / std


def upper_confidence_bound(mean: np.ndarray, std: np.ndarray, beta: float = 2.6) -> np.ndarray:
    """Keras Tuner's confidence bound for minimisation, ``mean - beta * std``; lower is better.

    Args:
        mean: Posterior means, shape (m,).
        std: Posterior standard deviations, shape (m,).
        beta: Weight of the standard deviation (exploration).

    Returns:
        The bound, shape (m,).
    """
    return np.asarray(mean, dtype=float) - beta * np.asarray(std, dtype=float)


def acquisition_score(
    gp: GaussianProcess,
    X: np.ndarray,
    kind: str,
    beta: float,
    best: float,
    penalty: Callable[..., Any] | None = None,
    return_grad: bool = False,
) -> Any:
    """The score the acquisition minimises at points ``X``, shape (k, d): -log EI
    against ``best`` (``kind="ei"``) or the LCB, plus ``penalty(X)`` if given.

    Returns:
        The scores, shape (k,); with ``return_grad`` also their gradient, shape (k, d).
    """
    if not return_grad:
        mean, std = gp.predict(X)
        value = -log_expected_improvement(mean, std, best) if kind == "ei" else upper_confidence_bound(mean, std, beta)
        return value if penalty is None else value + penalty(X)
    mean, std, dmean, dstd = gp.predict(X, return_grad=True)
    if kind == "ei":
        log_ei, dlog_ei_dmean, dlog_ei_dstd = log_expected_improvement(mean, std, best, True)
        value, grad = -log_ei, -(dlog_ei_dmean[:, None] * dmean + dlog_ei_dstd[:, None] * dstd)
    else:
        value, grad = upper_confidence_bound(mean, std, beta), dmean - beta * dstd
    if penalty is None:
        return value, grad
    extra, extra_grad = penalty(X, True)
    return value + extra, grad + extra_grad


_KEPT = 256  # candidates kept for follow-up suggestions


def optimize_acquisition(
    gp: GaussianProcess,
    d: int,
    kind: str = "ei",
    beta: float = 2.6,
    n_candidates: int = 1024,
    n_local: int = 5,
    rng: int | np.random.Generator | None = None,
    round_fn: Callable[[np.ndarray], np.ndarray] | None = None,
    exclude: np.ndarray | None = None,
    bounds: Any = None,
    best: float | None = None,
    centres: np.ndarray | None = None,
    avoid: Callable[[np.ndarray], np.ndarray] | None = None,
    return_candidates: bool = False,
    n_kept: int = _KEPT,
    penalty: Callable[..., Any] | None = None,
    variants: Callable[[np.ndarray], np.ndarray] | None = None,
    free: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Any:
    """Finds the point that maximises log EI (or minimises the LCB) under a fitted GP.

    Args:
        gp: A fitted ``GaussianProcess``.
        d: Number of input columns.
        kind: ``"ei"`` for log expected improvement, ``"ucb"`` for ``mean - beta * std``.
        beta: Exploration weight of ``"ucb"``.
        n_candidates: Number of Sobol candidates scored in one batch.
        n_local: Number of best candidates refined by L-BFGS-B.
        rng: Seed or ``numpy.random.Generator``.
        round_fn: Maps points of shape (k, d) onto the feasible discrete encoding;
            the acquisition is only ever compared at rounded points.
        exclude: Encoded points already evaluated or pending, shape (k, d); the
            result differs from each by more than 1e-9 in some coordinate.
        bounds: ``(low, high)`` per column, shape (d, 2); defaults to [0, 1]^d.
        best: EI's target y*; defaults to ``gp.y_best``.
        centres: Points whose perturbations are candidates too, shape (c, d);
            defaults to ``gp.X_best``; with none, shape (0, d), the quasi-random
            candidates alone (a wider search, as BoTorch's raw samples).
        avoid: A function of candidates, shape (k, d), that returns a boolean
            mask, shape (k,), of those not to choose, unless no candidate is left.
        return_candidates: Also return the ``n_kept`` best-scored points (among the
            quasi-random candidates and the local optima), for :func:`choose`.
        n_kept: How many points ``return_candidates`` returns.
        penalty: ``penalty(X, return_grad=False)``, added to the score that is
            minimised (-log EI or the LCB) at points of shape (k, d); with
            ``return_grad`` also its gradient, shape (k, d). Local penalisation
            of running trials passes one (:func:`local_penalty`).
        variants: Maps the ``n_local`` starting points, shape (k, d), to their
            variants, shape (k * m, d), row i's m variants in rows i * m to
            i * m + m - 1 (every option of every category, see
            :meth:`~tunecore_bayes.encoding.SpaceEncoder.category_variants`);
            each start is replaced by its best-scored variant, or kept if none
            scores better.
        free: Maps starting points, shape (k, d), to the boolean mask, shape
            (k, d), of the columns the local search may move; the others stay
            at the start's values (its categories, inactive dimensions). By
            default every column moves.

    Returns:
        The chosen point, shape (d,), or None when every candidate is excluded;
        with ``return_candidates``, ``(point, candidates)``.

    Raises:
        ValueError: If ``kind`` is unknown.
    """
    if kind not in ("ei", "ucb"):
        raise ValueError(f"Unknown acquisition kind {kind!r}; expected 'ei' or 'ucb'.")
    rng = np.random.default_rng(rng)
    box = np.array([(0.0, 1.0)] * d if bounds is None else bounds, dtype=float)
    lower, upper = box[:, 0], box[:, 1]
    round_fn = round_fn or (lambda X: X)
    best = gp.y_best if best is None else best
    centres = np.atleast_2d(gp.X_best if centres is None else centres)

    def score(X, return_grad=False):
        return acquisition_score(gp, X, kind, beta, best, penalty, return_grad)

    sobol = scipy.stats.qmc.Sobol(d, scramble=True, seed=rng)
    spread = sobol.random_base2(int(np.ceil(np.log2(n_candidates))))[:n_candidates]
    n_near = max(n_candidates // _INCUMBENT_FRACTION, 1) if len(centres) else 0
    low_scale, high_scale = np.log(_PERTURBATION_SCALES)
    scales = np.exp(rng.uniform(low_scale, high_scale, (n_near, 1)))
    near = centres[np.arange(n_near) % max(len(centres), 1)] + scales * (upper - lower) * rng.standard_normal((n_near, d))
    candidates = np.vstack([lower + (upper - lower) * spread, _reflect(near, lower, upper)])
    candidates = round_fn(np.clip(candidates, lower, upper))
    lengthscales = np.exp(gp.params.log_lengthscales)

    def taboo(X):
        return np.zeros(len(X)) if avoid is None else np.where(avoid(X), np.inf, 0.0)

    scores = score(candidates) + taboo(candidates)
    if np.isinf(scores).all():  # nowhere left to go: the taboo is lifted
        avoid = None
        scores = score(candidates)

    starts = np.argsort(scores)[:n_local]
    if n_near and np.all(starts < n_candidates):
        starts[-1] = n_candidates + np.argmin(scores[n_candidates:])
    start_points = candidates[starts]
    if variants is not None:
        alternatives = variants(start_points)
        if len(alternatives):
            alternative_scores = score(alternatives) + taboo(alternatives)
            per_start = alternative_scores.reshape(len(starts), -1)
            better = per_start.min(axis=1) < scores[starts]
            chosen = alternatives.reshape(len(starts), -1, d)[np.arange(len(starts)), per_start.argmin(axis=1)]
            start_points = np.where(better[:, None], chosen, start_points)
            candidates = np.vstack([candidates, alternatives])
            scores = np.concatenate([scores, alternative_scores])
    if free is None:
        local = _minimize_jointly(score, start_points, lower, upper, lengthscales)
    else:
        movable = free(start_points)
        local = _minimize_jointly(score, start_points, np.where(movable, lower, start_points),
                                  np.where(movable, upper, start_points), lengthscales)
    local = round_fn(local)
    candidates = np.vstack([candidates, local])
    scores = np.concatenate([scores, score(local) + taboo(local)])

    x = _first_allowed(candidates, scores, exclude)
    return (x, candidates[np.argsort(scores)[:n_kept]]) if return_candidates else x


def optimize_polished(
    gp: GaussianProcess,
    d: int,
    centres: np.ndarray,
    margin: float = _POLISH_MARGIN,
    return_candidates: bool = False,
    **options: Any,
) -> Any:
    """:func:`optimize_acquisition` without the perturbations of ``centres``, then with
    them, the second search's point taken only where its score is lower by more
    than ``margin``: with -log EI, where its EI is ``exp(margin)`` times the first's
    (by default about 1e5). A wide search that finds next to nothing leaves the
    best basin to be polished; one that finds a comparable peak anywhere is kept.
    A point taken from the second search heads the kept candidates, so a batch
    chosen from them (``pending="fantasy"``, ``follow_up="rescore"``) can take it.

    Args:
        gp: A fitted ``GaussianProcess``.
        d: Number of input columns.
        centres: The points whose perturbations the second search scores, shape (c, d).
        margin: How much lower the second search's score must be.
        return_candidates: Also return the first search's kept candidates.
        **options: The other arguments of :func:`optimize_acquisition`.

    Returns:
        As :func:`optimize_acquisition` returns.
    """
    found = optimize_acquisition(gp, d, centres=np.empty((0, d)), return_candidates=return_candidates, **options)
    x = found[0] if return_candidates else found
    polished = None if x is None else optimize_acquisition(gp, d, centres=centres, **options)
    if polished is not None:
        score = acquisition_score(gp, np.stack([x, polished]), options.get("kind", "ei"), options.get("beta", 2.6),
                                  gp.y_best if options.get("best") is None else options["best"], options.get("penalty"))
        if score[1] + margin < score[0]:
            x = polished
            if return_candidates:
                found = (x, np.vstack([x[None, :], found[1]])[:options.get("n_kept", _KEPT)])
    return (x, found[1]) if return_candidates else x


def choose(
    gp: GaussianProcess,
    candidates: np.ndarray,
    kind: str = "ei",
    beta: float = 2.6,
    best: float | None = None,
    exclude: np.ndarray | None = None,
    avoid: Callable[[np.ndarray], np.ndarray] | None = None,
    penalty: Callable[..., Any] | None = None,
) -> np.ndarray | None:
    """The best of ``candidates`` under ``gp``, without optimising: a follow-up suggestion.

    For the next suggestions of a batch (new pending points, no new
    observation), re-scoring the points :func:`optimize_acquisition` scored
    last costs one prediction instead of an optimisation.

    Returns:
        The chosen point, shape (d,), or None when every candidate is excluded.
    """
    best = gp.y_best if best is None else best
    scores = acquisition_score(gp, candidates, kind, beta, best, penalty)
    if avoid is not None:
        blocked = np.where(avoid(candidates), np.inf, 0.0)
        if not np.isinf(scores + blocked).all():
            scores = scores + blocked
    return _first_allowed(candidates, scores, exclude)


def local_penalty(
    gp: GaussianProcess,
    pending: np.ndarray,
    reference: np.ndarray,
    target: float | None = None,
) -> Callable[..., Any]:
    """The local penalty of running trials, -Σⱼ log φⱼ(x), to add to a score that is minimised.

    Args:
        gp: A fitted ``GaussianProcess`` (not conditioned on the pending points).
        pending: Points being evaluated, shape (p, d).
        reference: Points where the gradient of the posterior mean is taken for
            the Lipschitz constant L, shape (r, d) (e.g. quasi-random points and
            the observations).
        target: M, the minimum's estimate; defaults to the smallest posterior
            mean at ``reference``.

    Returns:
        ``penalty(X, return_grad=False)`` as :func:`optimize_acquisition` takes it.
    """
    pending = np.atleast_2d(pending)
    lengthscales = np.exp(gp.params.log_lengthscales)
    reference = np.atleast_2d(reference)
    mean_r, _, dmean_r, _ = gp.predict(reference, return_grad=True)
    lipschitz = max(float(np.max(np.linalg.norm(dmean_r * lengthscales, axis=1))), 1e-12)
    target = float(mean_r.min()) if target is None else target
    mean_p, std_p = gp.predict(pending)
    std_p = np.sqrt(std_p**2 + gp.noise_variance)
    offset = (target - mean_p) / std_p
    slope = lipschitz / std_p

    def penalty(X, return_grad=False):
        diff = (np.atleast_2d(X)[:, None, :] - pending[None, :, :]) / lengthscales
        r = np.sqrt(np.sum(diff**2, axis=2))
        z = slope * r + offset
        log_phi = scipy.special.log_ndtr(z)
        value = -log_phi.sum(axis=1)
        if not return_grad:
            return value
        ratio = np.exp(-0.5 * z**2 - _LOG_SQRT_2PI - log_phi)  # φ(z) / Φ(z)
        weight = -ratio * slope / np.where(r > 0, r, np.inf)
        return value, np.einsum("mp,mpd->md", weight, diff) / lengthscales

    return penalty


def batch_log_expected_improvement(
    gp: GaussianProcess,
    X: np.ndarray,
    pending: np.ndarray,
    best: float | None = None,
    rng: int | np.random.Generator | None = None,
    n_samples: int = 64,
) -> np.ndarray:
    """log q-EI of each point of ``X`` as the next point of a batch with ``pending`` running.

    Args:
        gp: A fitted ``GaussianProcess`` (not conditioned on the pending points).
        X: Points to score, shape (m, d).
        pending: Points being evaluated, shape (p, d).
        best: EI's target y*; defaults to ``gp.y_best``.
        rng: Seed or generator of the Monte Carlo samples (shared by all points).
        n_samples: Joint samples of the pending outcomes.

    Returns:
        log q-EI, shape (m,) (see the module notation).
    """
    best = gp.y_best if best is None else best
    X, pending = np.atleast_2d(X), np.atleast_2d(pending)
    mean, std = gp.predict(X)
    if not len(pending):
        return log_expected_improvement(mean, std, best)
    mean_p = gp.predict(pending)[0]
    cov_pp = gp.posterior_covariance(pending, pending) + gp.noise_variance * np.eye(len(pending))
    jitter = 1e-10 * max(float(np.mean(np.diag(cov_pp))), 1e-300)
    chol = np.linalg.cholesky(cov_pp + jitter * np.eye(len(pending)))
    cov_xp = gp.posterior_covariance(X, pending)
    weights = scipy.linalg.cho_solve((chol, True), cov_xp.T).T
    std_new = np.sqrt(np.maximum(std**2 - np.sum(weights * cov_xp, axis=1), 1e-12 * std.max() ** 2 + 1e-300))
    samples = chol @ np.random.default_rng(rng).standard_normal((len(pending), n_samples))
    means = mean[:, None] + weights @ samples
    targets = np.minimum(best, (mean_p[:, None] + samples).min(axis=0))
    log_ei = log_expected_improvement(means, np.broadcast_to(std_new[:, None], means.shape), targets[None, :])
    return scipy.special.logsumexp(log_ei, axis=1) - np.log(n_samples)


def choose_batch(
    gp: GaussianProcess,
    candidates: np.ndarray,
    pending: np.ndarray,
    best: float | None = None,
    rng: int | np.random.Generator | None = None,
    exclude: np.ndarray | None = None,
    avoid: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray | None:
    """The best of ``candidates`` by :func:`batch_log_expected_improvement`, as :func:`choose` does.

    Returns:
        The chosen point, shape (d,), or None when every candidate is excluded.
    """
    scores = -batch_log_expected_improvement(gp, candidates, pending, best, rng)
    if avoid is not None:
        blocked = np.where(avoid(candidates), np.inf, 0.0)
        if not np.isinf(scores + blocked).all():
            scores = scores + blocked
    return _first_allowed(candidates, scores, exclude)


def _first_allowed(candidates, scores, exclude):
    order = np.argsort(scores)
    if exclude is None or not len(exclude):
        return candidates[order[0]] if len(order) else None
    exclude = np.atleast_2d(exclude)
    # The best few first: the distances to every excluded point of all candidates
    # cost more than the rest of a follow-up suggestion.
    for chunk in (order[:_FIRST_CHUNK], order[_FIRST_CHUNK:]):
        if len(chunk):
            distance = scipy.spatial.distance.cdist(candidates[chunk], exclude, "chebyshev")
            allowed = chunk[distance.min(axis=1) > _SAME_POINT]
            if len(allowed):
                return candidates[allowed[0]]
    return None


def _minimize_jointly(score, starts, lower, upper, scale):
    """Runs one L-BFGS-B on the sum of the independent scores of all starts.

    It works in u = x / scale; with the GP's length scales as ``scale`` every
    direction has about the same curvature (Optuna's preconditioning). The
    bounds are per column, shape (d,), or per start and column, shape (k, d).
    """
    k, d = starts.shape
    lower, upper = np.broadcast_to(lower, (k, d)), np.broadcast_to(upper, (k, d))

    def objective(flat):
        value, grad = score(flat.reshape(k, d) * scale, return_grad=True)
        return value.sum(), (grad * scale).ravel()

    result = scipy.optimize.minimize(
        objective,
        (starts / scale).ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip((lower / scale).ravel(), (upper / scale).ravel())),
        options=_LOCAL_OPTIONS,
    )
    return np.clip(result.x.reshape(k, d) * scale, lower, upper)


def _reflect(X, lower, upper):
    """Folds points back into the box, as a mirror at each bound would."""
    width = np.where(upper > lower, upper - lower, 1.0)
    t = (X - lower) / width
    return lower + width * (1.0 - np.abs(np.mod(t, 2.0) - 1.0))


def _log_h(z):
    """Returns log h(z) and d log h / dz, elementwise, on the branches of Ament et al."""
    log_h = np.empty_like(z)
    dlog_h = np.empty_like(z)
    upper = z > -1.0
    middle = ~upper & (z > _TAIL_START)
    # A branch is evaluated only where it has points (the local search's few points
    # are often all in one), elementwise, so the values do not depend on the others.
    for mask, branch in ((upper, _log_h_upper), (middle, _log_h_middle), (~upper & ~middle, _log_h_tail)):
        if mask.all():
            log_h[...], dlog_h[...] = branch(z)
        elif mask.any():
            log_h[mask], dlog_h[mask] = branch(z[mask])
    return log_h, dlog_h


def _log_h_upper(z):
    """z > -1: log h(z) directly."""
    cdf = scipy.special.ndtr(z)
    h = np.exp(-0.5 * z**2 - _LOG_SQRT_2PI) + z * cdf
    return np.log(h), cdf / h


def _log_h_middle(z):
    """z₀ < z ≤ -1: through the scaled complementary error function erfcx."""
    mills = _SQRT_HALF_PI * scipy.special.erfcx(-z / np.sqrt(2.0))
    log_one_plus_zq = _log1mexp(np.log(-z * mills))
    return -0.5 * z**2 - _LOG_SQRT_2PI + log_one_plus_zq, mills / np.exp(log_one_plus_zq)


def _log_h_tail(z):
    """z ≤ z₀: the asymptotic expansion."""
    return -0.5 * z**2 - _LOG_SQRT_2PI - 2.0 * np.log(-z), -z - 2.0 / z


def _log1mexp(w):
    """log(1 - exp(w)) for w < 0, accurate on both sides of -log 2 (Mächler, 2012)."""
    return np.where(w > -np.log(2.0), np.log(-np.expm1(w)), np.log1p(-np.exp(w)))
