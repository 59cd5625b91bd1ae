"""Gaussian-process regression on the unit cube, with MAP-fitted hyperparameters.

Follows Rasmussen & Williams, *Gaussian Processes for Machine Learning* (2006),
Algorithm 2.1 and eq. 5.9; the hyperparameter priors are Optuna's ``GPSampler``.

Notation:
    X  (n, d)   observed inputs, already encoded into [0, 1]^d.
    y  (n,)     observed outputs; modelled as ỹ = (y - m) / s, s their standard
                deviation and m, the prior mean, their mean, (``prior_mean="max"``)
                their maximum or (``prior_mean="fitted"``) the generalised
                least-squares constant m̂ = 1ᵀK⁻¹y / 1ᵀK⁻¹1, re-estimated with K at
                every step of the fit (the profile likelihood of ordinary kriging;
                its gradient in θ is the one below at m = m̂, where ∂/∂m vanishes).
    Xq (m, d)   query inputs.
    ℓ  (d,)     ARD length scales;  a  signal variance;  σ²  noise variance.
    θ           (log ℓ, log a, log σ²), what L-BFGS-B optimises, σ² ≥ noise floor.

    r(x, x')  = ‖(x - x') / ℓ‖
    c(r)      = (1 + √5 r) exp(-√5 r)
    k(x, x')  = a (1 + √5 r + 5/3 r²) exp(-√5 r)              Matérn-5/2
    K         = k(X, X) + σ² I = L Lᵀ,    α = K⁻¹ ỹ
    log p(ỹ | θ)    = -½ ỹᵀα - Σᵢ log Lᵢᵢ - n/2 log 2π
    ∂ log p / ∂θⱼ   = ½ tr((ααᵀ - K⁻¹) ∂K/∂θⱼ)
    log prior(θ)    = Σᵢ log p(ℓᵢ) + (log a - a) + (0.1 log σ² - 30 σ²)
    log p(ℓᵢ)       = -0.1 (ℓᵢ² + ℓᵢ⁻²)                     ``lengthscale_prior="optuna"``
                    = -(log ℓᵢ - μ_d)² / (2 s²),  μ_d = √2 + ½ log d,  s = √3
                                                            ``lengthscale_prior="dim_scaled"``
                    = -(log ℓᵢ)² / (2 s²)                   ``lengthscale_prior="unit_lognormal"``
The dimension-scaled prior is Hvarfner, Hellsten & Nardi, "Vanilla Bayesian
Optimization Performs Great in High Dimensions" (ICML 2024), BoTorch's default
since 0.12: a log-normal whose median grows as √d, so that the prior complexity
of the model does not grow with the dimension, and whose log-scale spread lets
the data choose short length scales (narrow wells) at a quadratic, not an
ℓ⁻², cost. The unit log-normal has Optuna's mode (ℓ = 1) and the
dimension-scaled prior's spread: short length scales where every input
matters, without Optuna's ℓ⁻² wall (a well of width 0.03 costs 2 nats per
dimension under it, 111 under Optuna's).

``lengthscale_prior="select"`` (the default of ``BayesianOptimization``) fits
under each of the three and keeps the fit whose normalised log posterior is the
largest: Optuna's where the data are few or smooth in every input, the
dimension-scaled one where few inputs matter, the unit log-normal once a
narrow well or valley is sampled.

Laplace evidence of a fit θ̂ under prior p (``lengthscale_prior="laplace"``):
    log Z ≈ log p(ỹ | θ̂) + log p(θ̂) - ½ log det H,   H = -∂² log posterior / ∂ log ℓ²  (d, d),
with each length-scale prior normalised (K₀(0.2) per dimension for Optuna's,
√(6π) for the log-normal); H by central differences of the analytic gradient,
its eigenvalues floored at 1e-3. ``"select"`` drops the ½ log det H term;
both compare the same three fits.

The Matérn derivatives never divide by r:
    ∂k/∂log ℓᵢ = 5/3 a c(r) (xᵢ - x'ᵢ)² / ℓᵢ²
    ∂k/∂xᵢ     = -5/3 a c(r) (xᵢ - x'ᵢ) / ℓᵢ²

Posterior of the latent f at Xq (noise excluded), with k* = k(X, Xq) (n, m):
    μ = k*ᵀ α,    v = a - k*ᵀ K⁻¹ k*,    reported as mean = m + s μ, std = s √v.

Output warping (``power_transform``, as HEBO does: Cowen-Rivers et al., JAIR
2022): the Yeo-Johnson transform (Yeo & Johnson, Biometrika 2000) of the
standardised outputs z, with λ chosen by maximum likelihood,
    ψ_λ(z) = ((1 + z)^λ - 1) / λ                for z ≥ 0,
    ψ_λ(z) = -((1 - z)^(2-λ) - 1) / (2 - λ)     for z < 0,
    log L(λ) = -n/2 log Var(ψ_λ(z)) + (λ - 1) Σᵢ sign(zᵢ) log(1 + |zᵢ|).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.blas
import scipy.linalg.lapack
import scipy.optimize
import scipy.spatial.distance
import scipy.special

_SQRT5 = np.sqrt(5.0)
_SQRT2 = np.sqrt(2.0)
_DIM_SCALED_VARIANCE = 3.0  # s² of the dimension-scaled log-normal prior
PRIOR_MEANS = ("mean", "max", "fitted")
LENGTHSCALE_PRIORS = ("optuna", "dim_scaled", "unit_lognormal", "select", "laplace")
_SELECTED_PRIORS = ("optuna", "dim_scaled", "unit_lognormal")
_SELECTING = ("select", "laplace")
# log of 1 / ∫ p(log ℓ) d log ℓ per dimension: K₀(0.2) for Optuna's, √(2π·3) for the log-normal.
_LOG_NORMALISER = {"optuna": -float(np.log(scipy.special.k0(0.2))), "dim_scaled": -0.5 * float(np.log(2 * np.pi * 3.0))}
# μ_d, the median of log ℓ of each log-normal prior (all with s² = 3), as a function of d.
_LOGNORMAL_MEDIANS = {"dim_scaled": lambda d: _SQRT2 + 0.5 * np.log(d), "unit_lognormal": lambda d: 0.0}
_LOG_NORMALISER["unit_lognormal"] = _LOG_NORMALISER["dim_scaled"]
_LOG_2PI = np.log(2.0 * np.pi)
_LOG_LENGTHSCALE_BOUNDS = (np.log(1e-3), np.log(1e3))
_LOG_AMPLITUDE_BOUNDS = (np.log(1e-3), np.log(1e2))
_MAX_LOG_NOISE = np.log(2.0)
_MIN_VARIANCE = 1e-12
_TRMM_MIN_ROWS = 64  # below this many query points a GEMM on k* as it comes is faster
_PREDICT_BLOCK = 512  # query points predicted at once
_FIT_OPTIONS = {"maxiter": 200, "ftol": 1e-7}
_HESSIAN_STEP = 1e-4  # central differences of the analytic gradient, in log ℓ
_MIN_CURVATURE = 1e-3  # eigenvalues of the Hessian below this (a flat or unconverged direction) count as this
# Candidate λ, a grid that avoids the removable singularities at 0 and 2; the
# grid step changes the transform far less than the next observation does.
_YEO_JOHNSON_LAMBDAS = np.linspace(-2.975, 2.975, 120)


@dataclasses.dataclass(frozen=True)
class GPParams:
    """Kernel hyperparameters, in log space, for standardised outputs.

    Attributes:
        log_lengthscales: Log ARD length scales log ℓ, shape (d,).
        log_amplitude: Log signal variance log a.
        log_noise: Log noise variance log σ².
        log_offsets: Per-branch log-length-scale offsets, shape (G, d), of
            :class:`~tunecore_bayes.branch_kernel.BranchGaussianProcess`; None
            otherwise. Not part of ``to_vector``.
    """

    log_lengthscales: np.ndarray
    log_amplitude: float
    log_noise: float
    log_offsets: np.ndarray | None = None

    def to_vector(self) -> np.ndarray:
        """Returns θ = (log ℓ, log a, log σ²), shape (d + 2,)."""
        return np.concatenate([self.log_lengthscales, [self.log_amplitude, self.log_noise]])

    @classmethod
    def from_vector(cls, theta: np.ndarray) -> GPParams:
        """Builds parameters from θ = (log ℓ, log a, log σ²)."""
        theta = np.asarray(theta, dtype=float)
        return cls(theta[:-2].copy(), float(theta[-2]), float(theta[-1]))


class GaussianProcess:
    """Zero-mean GP on standardised outputs with a Matérn-5/2 ARD kernel.

    Args:
        noise_floor: Smallest noise variance (in standardised units) the fit may
            choose; keeps K well conditioned for deterministic objectives.
        seed: Seed or generator for the random restart of a cold fit.
        prior_mean: ``"mean"``, ``"max"`` or ``"fitted"``: the constant the
            posterior reverts to far from the data. With ``"max"`` (pessimistic,
            for minimisation) unexplored regions, the corners of the box first,
            are worth trying for their uncertainty only, not because the mean of
            the observations looks good next to the values near a basin. With
            ``"fitted"`` it is estimated with the kernel (generalised least
            squares, as BoTorch's fitted constant mean): a cluster of points
            counts about once, so a refined basin does not pull it down.
        lengthscale_prior: ``"optuna"`` (Optuna's, which penalises length
            scales below about 0.3 hard), ``"dim_scaled"`` (Hvarfner et al.,
            2024; see the module notation), ``"unit_lognormal"`` (log ℓ ~
            N(0, 3)) or ``"select"``: a MAP fit under each of the three, the
            one kept whose log posterior, with each prior normalised, is
            the largest (the Laplace evidence without its curvature term; all
            fits have as many hyperparameters), or ``"laplace"``: the same,
            compared by the full Laplace evidence, which also charges each fit
            ½ log det of the Hessian of the negative log posterior in log ℓ
            (a fit pinned down in a narrow ridge pays; a broad one gains).

    Attributes:
        params: The fitted ``GPParams``; set by ``fit``.
        selected_prior: The length-scale prior of the kept fit (``"select"`` chooses one).
    """

    params: GPParams

    def __init__(
        self,
        noise_floor: float = 1e-6,
        seed: int | np.integer[Any] | np.random.Generator | None = None,
        prior_mean: str = "mean",
        lengthscale_prior: str = "optuna",
    ) -> None:
        if prior_mean not in PRIOR_MEANS:
            raise ValueError(f"prior_mean must be one of {', '.join(map(repr, PRIOR_MEANS))}; got {prior_mean!r}.")
        if lengthscale_prior not in LENGTHSCALE_PRIORS:
            raise ValueError(
                f"lengthscale_prior must be one of {', '.join(map(repr, LENGTHSCALE_PRIORS))}; "
                f"got {lengthscale_prior!r}."
            )
        self.noise_floor = noise_floor
        self.seed = seed
        self.prior_mean = prior_mean
        self.lengthscale_prior = lengthscale_prior
        self.selected_prior = "optuna" if lengthscale_prior in _SELECTING else lengthscale_prior

    def fit(
        self, X: np.ndarray, y: np.ndarray, warm_start: GPParams | None = None, optimize: bool = True
    ) -> GaussianProcess:
        """Fits hyperparameters by maximising the log posterior, then conditions on the data.

        Args:
            X: Inputs in [0, 1]^d, shape (n, d).
            y: Outputs to model, shape (n,).
            warm_start: Parameters to start L-BFGS-B from, typically the previous
                fit's. Without them the fit starts from ℓ = 1, a = 1, σ² = 1e-3 (about
                the prior's mode) and from one random point, and keeps the better.
            optimize: False to condition on the data with ``warm_start`` as they
                are (hyperparameters fitted elsewhere, e.g. on a subset).

        Returns:
            self.

        Raises:
            ValueError: If X and y disagree in length, X is empty, or ``warm_start``
                has the wrong number of length scales.
        """
        X = np.atleast_2d(np.asarray(X, dtype=float))
        y = np.asarray(y, dtype=float).ravel()
        if len(X) == 0 or len(X) != len(y):
            raise ValueError(
                f"fit needs as many outputs as inputs, at least one; got X of shape "
                f"{X.shape} and y of shape {y.shape}."
            )
        d = X.shape[1]
        self._y_mean = float(y.max() if self.prior_mean == "max" else y.mean())
        std = float(y.std())
        self._y_std = std if std > 0 else 1.0
        self._X = X
        self._y = y
        self._z = (y - self._y_mean) / self._y_std

        if warm_start is not None:
            if len(warm_start.log_lengthscales) != d:
                raise ValueError(
                    f"warm_start has {len(warm_start.log_lengthscales)} length scales; "
                    f"the inputs have d={d} columns."
                )
            starts = [self._pack(warm_start)]
            if not optimize:
                self.params = warm_start
                self._condition_on_data()
                return self
        else:
            starts = self._cold_starts(d, np.random.default_rng(self.seed))

        bounds = self._bounds(d)
        lower, upper = np.array(bounds).T
        chosen: Any = None
        for prior in _SELECTED_PRIORS if self.lengthscale_prior in _SELECTING else (self.lengthscale_prior,):
            best: Any = None
            for theta0 in starts:
                result = scipy.optimize.minimize(
                    self._negative_log_posterior,
                    np.clip(theta0, lower, upper),
                    args=(prior,),
                    jac=True,
                    method="L-BFGS-B",
                    bounds=bounds,
                    options=_FIT_OPTIONS,
                )
                if best is None or result.fun < best.fun:
                    best = result
            # Fits under different priors are compared by their log posterior with
            # each prior normalised: the likelihood plus what each prior pays for its fit.
            evidence = -best.fun + d * _LOG_NORMALISER[prior]
            if self.lengthscale_prior == "laplace":
                evidence -= 0.5 * self._log_det_curvature(best.x, prior)
            if chosen is None or evidence > chosen[0]:
                chosen = (evidence, best.x, prior)
        self.params = self._params_from(chosen[1])
        self.selected_prior = chosen[2]
        self._condition_on_data()
        return self

    def _condition_on_data(self):
        """Conditions on the fitted data; with ``prior_mean="fitted"`` the mean is m̂ under the fit."""
        self._condition()
        if self.prior_mean == "fitted":
            shift = float(self._z[0] - self._profiled(self._chol)[0])
            self._y_mean += self._y_std * shift
            self._z = self._z - shift
            self._alpha = _cho_solve(self._chol, self._z)

    def _profiled(self, chol):
        """ỹ less its generalised-least-squares constant under the factor ``chol``
        with ``prior_mean="fitted"``, else ỹ."""
        if self.prior_mean != "fitted":
            return self._z
        solved_ones = _cho_solve(chol, np.ones(len(self._z)))
        return self._z - solved_ones @ self._z / solved_ones.sum()

    def _log_det_curvature(self, theta, prior):
        """log det of the Hessian of the negative log posterior in log ℓ at θ, the
        Laplace evidence's curvature term: a fit that the data pin down in a
        narrow ridge pays for it, a broad one gains."""
        d = self._X.shape[1]
        hessian = np.empty((d, d))
        for i in range(d):
            step = np.zeros_like(theta)
            step[i] = _HESSIAN_STEP
            hessian[i] = (
                self._negative_log_posterior(theta + step, prior)[1][:d]
                - self._negative_log_posterior(theta - step, prior)[1][:d]
            ) / (2.0 * _HESSIAN_STEP)
        eigenvalues = np.linalg.eigvalsh(0.5 * (hessian + hessian.T))
        return float(np.sum(np.log(np.maximum(eigenvalues, _MIN_CURVATURE))))

    def log_posterior(self, params: GPParams | None = None, return_grad: bool = False) -> Any:
        """Log marginal likelihood plus log prior of the fitted data, up to a constant.

        Args:
            params: Hyperparameters to evaluate; defaults to the fitted ones.
            return_grad: Also return the gradient with respect to θ.

        Returns:
            The log posterior, and with ``return_grad`` its gradient, shape (d + 2,).
        """
        theta = self._pack(self.params if params is None else params)
        value, grad = self._negative_log_posterior(theta, self.selected_prior)
        return (-value, -grad) if return_grad else -value

    def _moments(self, mu, whitened, amplitude):
        """The posterior mean and sd in the data's units, from the latent mean ``mu`` and
        the rows L⁻¹k*; also the latent sd and where its variance was clipped."""
        var = amplitude - np.einsum("ij,ij->i", whitened, whitened)
        clipped = var < _MIN_VARIANCE
        sd = np.sqrt(np.where(clipped, _MIN_VARIANCE, var))
        return self._y_mean + self._y_std * mu, self._y_std * sd, sd, clipped

    def predict(self, Xq: np.ndarray, return_grad: bool = False) -> tuple[np.ndarray, ...]:
        """Posterior mean and standard deviation of the latent function.

        Args:
            Xq: Query inputs, shape (m, d).
            return_grad: Also return the gradients with respect to the inputs.

        Returns:
            ``(mean, std)``, each of shape (m,), in the units of the fitted y; with
            ``return_grad`` also ``(dmean, dstd)``, each of shape (m, d).
        """
        Xq = np.atleast_2d(np.asarray(Xq, dtype=float))
        if len(Xq) > _PREDICT_BLOCK:
            # Blocks whose (block, n) temporaries stay in cache: 2x faster for the
            # acquisition's 1285 candidates on a loaded machine; each row as alone.
            blocks = [self.predict(Xq[i:i + _PREDICT_BLOCK], return_grad) for i in range(0, len(Xq), _PREDICT_BLOCK)]
            return tuple(np.concatenate(parts) for parts in zip(*blocks))
        lengthscales, amplitude, _ = self._unpacked
        # Rows L⁻¹k* by a product with the cached L⁻¹, 3x faster than a triangular solve.
        chol_inverse = self._chol_inverse()
        if len(Xq) >= _TRMM_MIN_ROWS:
            # The acquisition's candidate batches: a triangular product (half a GEMM's
            # flops) on k* in Fortran order, k(X, Xq) transposed, computed in place.
            k_star, c = (None if a is None else a.T for a in self._cross(self._X, Xq, with_c=return_grad))
            mu = k_star @ self._alpha
            whitened = scipy.linalg.blas.dtrmm(1.0, chol_inverse, k_star, side=1, lower=1, trans_a=1, overwrite_b=1)
        else:
            k_star, c = self._cross(Xq, self._X, with_c=return_grad)
            mu = k_star @ self._alpha
            whitened = k_star @ chol_inverse.T
        mean, std, sd, clipped = self._moments(mu, whitened, amplitude)
        if not return_grad:
            return mean, std

        # ∂k*/∂xq = -5/3 a c (xq - X) / ℓ², contracted with α for μ, with K⁻¹k* for v.
        beta = whitened @ chol_inverse  # rows (K⁻¹k*)ᵀ
        scale = -5.0 / 3.0 * amplitude / lengthscales**2
        dmu = scale * _weighted_differences(c * self._alpha, Xq, self._X)
        dvar = -2.0 * scale * _weighted_differences(c * beta, Xq, self._X)
        dsd = np.where(clipped[:, None], 0.0, dvar / (2.0 * sd[:, None]))
        return mean, std, self._y_std * dmu, self._y_std * dsd

    def posterior_covariance(self, Xa: np.ndarray, Xb: np.ndarray) -> np.ndarray:
        """Posterior covariance of the latent f between two sets of inputs.

        Σ(Xa, Xb) = s² (k(Xa, Xb) - k(Xa, X) K⁻¹ k(X, Xb)), noise excluded; what
        batch acquisition needs to sample the outcomes of running trials jointly.

        Args:
            Xa: Inputs, shape (m, d).
            Xb: Inputs, shape (p, d).

        Returns:
            The covariance, shape (m, p), in the units of the fitted y squared.
        """
        Xa = np.atleast_2d(np.asarray(Xa, dtype=float))
        Xb = np.atleast_2d(np.asarray(Xb, dtype=float))
        chol = self._chol[0]
        wa = scipy.linalg.solve_triangular(chol, self._cross(Xa, self._X)[0].T, lower=True, check_finite=False)
        wb = scipy.linalg.solve_triangular(chol, self._cross(Xb, self._X)[0].T, lower=True, check_finite=False)
        return self._y_std**2 * (self._cross(Xa, Xb)[0] - wa.T @ wb)

    def posterior_condition(self, X_extra: np.ndarray, y_extra: np.ndarray) -> GaussianProcess:
        """Returns a GP with the same hyperparameters and standardisation, and more data.

        Used for pending points (kriging believer, constant liar): the extra
        observations count as data, also for ``y_best``. Nothing is refitted.

        Args:
            X_extra: Extra inputs, shape (k, d).
            y_extra: Their outputs, shape (k,), in the units of the fitted y.

        Returns:
            A new, conditioned ``GaussianProcess``; ``self`` is unchanged.
        """
        other = copy.copy(self)  # the same kind, hyperparameters and standardisation
        other._X = np.vstack([self._X, np.atleast_2d(np.asarray(X_extra, dtype=float))])
        other._y = np.concatenate([self._y, np.asarray(y_extra, dtype=float).ravel()])
        other._z = (other._y - other._y_mean) / other._y_std
        other._condition()
        return other

    def loo_residuals(self) -> np.ndarray:
        """Standardised leave-one-out residuals (yᵢ - μ₋ᵢ) / σ₋ᵢ, shape (n,).

        Each observation against the posterior predictive of the others under
        the same hyperparameters, (K⁻¹ỹ)ᵢ / √(K⁻¹)ᵢᵢ (Rasmussen & Williams,
        eq. 5.12); a large negative one is an observation far better than the
        rest of the data predicted.
        """
        inverse = self._chol_inverse()
        return self._alpha / np.sqrt(np.einsum("ij,ij->j", inverse, inverse))

    @property
    def noise_variance(self) -> float:
        """The fitted noise variance σ², in the units of the fitted y squared."""
        return float(np.exp(self.params.log_noise)) * self._y_std**2

    @property
    def y_best(self) -> float:
        """The smallest observed output, in the units of the fitted y."""
        return float(self._y.min())

    @property
    def X_best(self) -> np.ndarray:
        """The input of the smallest observed output, shape (d,)."""
        return self._X[np.argmin(self._y)]

    def _pack(self, params):
        """θ, the vector the fit optimises, of ``params``."""
        return params.to_vector()

    def _params_from(self, theta):
        """``GPParams`` of θ (``_pack``'s inverse)."""
        return GPParams.from_vector(theta)

    def _cold_starts(self, d, rng):
        return _cold_starts(d, rng)

    def _bounds(self, d):
        return [_LOG_LENGTHSCALE_BOUNDS] * d + [
            _LOG_AMPLITUDE_BOUNDS,
            (np.log(self.noise_floor), max(_MAX_LOG_NOISE, np.log(self.noise_floor))),
        ]

    def _cross(self, A, B, with_c=True):
        """The kernel matrix k(A, B) under the fitted parameters, and its c(r) (None without ``with_c``)."""
        lengthscales, amplitude, _ = self._unpacked
        scale = _SQRT5 / lengthscales
        return _kernel(scipy.spatial.distance.cdist(A * scale, B * scale), amplitude, with_c)

    def _chol_inverse(self):
        """L⁻¹ of the conditioned data, computed once per conditioning."""
        if self._chol_inv is None:
            self._chol_inv, info = scipy.linalg.lapack.dtrtri(self._chol[0], lower=1)
            if info != 0:
                raise np.linalg.LinAlgError(f"trtri failed with info={info} on a {len(self._X)}-point kernel matrix.")
            self._chol_inv = np.asfortranarray(np.tril(self._chol_inv))
        return self._chol_inv

    @staticmethod
    def _unpack(theta):
        return np.exp(theta[:-2]), np.exp(theta[-2]), np.exp(theta[-1])

    def _condition(self):
        self._unpacked = self._unpack(self.params.to_vector())
        lengthscales, amplitude, noise = self._unpacked
        K = _matern(self._X * (_SQRT5 / lengthscales), amplitude)[0]
        self._chol = _cholesky(K, noise)
        self._chol_inv = None
        self._alpha = _cho_solve(self._chol, self._z)

    def _negative_log_posterior(self, theta, prior):
        lengthscales, amplitude, noise = self._unpack(theta)
        X, z = self._X, self._z
        n = len(z)
        scaled = X * (_SQRT5 / lengthscales)
        K, c = _matern(scaled, amplitude)
        chol = _cholesky(K, noise)
        z = self._profiled(chol)
        alpha = _cho_solve(chol, z)
        log_likelihood = -0.5 * z @ alpha - np.log(np.diag(chol[0])).sum() - 0.5 * n * _LOG_2PI

        # ½ tr(W ∂K/∂log ℓᵢ), W = ααᵀ - K⁻¹, is (a/3) ½ Σⱼₖ (W ∘ c)ⱼₖ (sⱼᵢ - sₖᵢ)² for s = √5 X / ℓ;
        # for a symmetric A, ½ Σⱼₖ Aⱼₖ (sⱼᵢ - sₖᵢ)² = (A 1)ᵀ sᵢ² - sᵢᵀ A sᵢ. The ααᵀ ∘ c half takes
        # two products with c, A 1 = α ∘ cα and A s = α ∘ c(α ∘ s): no (n, n) array but K⁻¹ ∘ c.
        alpha_scaled = alpha[:, None] * scaled
        c_alpha = c @ alpha
        c_alpha_scaled = c @ alpha_scaled
        inverse = _inverse(chol)
        trace_inverse = np.trace(inverse)
        P = np.multiply(inverse, c, out=inverse)
        row_sums = alpha * c_alpha - P.sum(axis=1)
        weighted_squares = row_sums @ scaled**2 - np.sum(alpha_scaled * c_alpha_scaled - scaled * (P @ scaled), axis=0)
        trace_W = alpha @ alpha - trace_inverse
        grad = np.empty_like(theta)
        grad[:-2] = (amplitude / 3.0) * weighted_squares
        # tr(W K) = tr(W (K + σ²I)) - σ² tr(W) = αᵀz - n - σ² tr(W), since (K + σ²I) α = z.
        grad[-2] = 0.5 * (z @ alpha - n - noise * trace_W)
        grad[-1] = 0.5 * noise * trace_W

        if prior is None:  # the marginal likelihood alone
            return -log_likelihood, -grad
        log_prior = _log_prior(theta, prior, grad)
        return -(log_likelihood + log_prior), -grad


def _log_prior(theta, prior, grad):
    """log prior(θ) of θ = (log ℓ, log a, log σ²) under the length-scale prior ``prior``
    (see the notation); its gradient is added to ``grad`` (d + 2,)."""
    lengthscales, amplitude, noise = np.exp(theta[:-2]), np.exp(theta[-2]), np.exp(theta[-1])
    if prior in _LOGNORMAL_MEDIANS:
        offset = theta[:-2] - _LOGNORMAL_MEDIANS[prior](len(lengthscales))
        log_prior = -0.5 * np.sum(offset**2) / _DIM_SCALED_VARIANCE
        grad[:-2] += -offset / _DIM_SCALED_VARIANCE
    else:
        log_prior = -0.1 * np.sum(lengthscales**2 + lengthscales**-2)
        grad[:-2] += -0.2 * (lengthscales**2 - lengthscales**-2)
    log_prior += (np.log(amplitude) - amplitude) + (0.1 * np.log(noise) - 30.0 * noise)
    grad[-2] += 1.0 - amplitude
    grad[-1] += 0.1 - 30.0 * noise
    return log_prior


def power_transform(y: np.ndarray) -> np.ndarray:
    """Yeo-Johnson transform of standardised outputs, λ by maximum likelihood.

    Monotone, so the best observation stays the best; outputs that span orders
    of magnitude come out near-Gaussian, and near-Gaussian ones nearly unchanged
    (λ ≈ 1). Every λ of a fixed grid is scored at once, which costs ~0.1 ms at n = 100.

    Args:
        y: Outputs, shape (n,).

    Returns:
        The transformed outputs, shape (n,).
    """
    y = np.asarray(y, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        std = y.std()
    if std == np.inf or (std == 0 and y.max() > y.min()):  # its squares overflowed or underflowed (y near 1e±308)
        y = y / np.abs(y).max()
        std = y.std()
    z = (y - y.mean()) / (std if std > 0 else 1.0)
    log1p_abs = np.log1p(np.abs(z))
    lambdas = _YEO_JOHNSON_LAMBDAS[:, None]
    power = np.where(z >= 0, lambdas, 2.0 - lambdas)
    psi = np.sign(z) * np.expm1(power * log1p_abs) / power
    log_likelihood = (
        -0.5 * len(z) * np.log(psi.var(axis=1) + np.finfo(float).tiny)
        + (_YEO_JOHNSON_LAMBDAS - 1.0) * np.sum(np.sign(z) * log1p_abs)
    )
    return psi[np.argmax(log_likelihood)]


def _cold_starts(d, rng):
    """Returns ℓ = 1, a = 1, σ² = 1e-3 (about the prior's mode) and a random θ."""
    log_noise = np.log(1e-3)
    random_start = np.concatenate(
        [rng.uniform(np.log(0.1), np.log(2.0), d), [rng.uniform(-1.0, 1.0), log_noise]]
    )
    return [np.concatenate([np.zeros(d), [0.0, log_noise]]), random_start]


def _matern(scaled, amplitude):
    """Returns the noise-free kernel matrix of inputs scaled by √5 / ℓ and its c(r)."""
    return _kernel(scipy.spatial.distance.cdist(scaled, scaled), amplitude, True)


def _kernel(s, amplitude, with_c):
    """k = a (1 + s + s²/3) e⁻ˢ and c = (1 + s) e⁻ˢ from ``s`` = √5 r, distances of inputs
    scaled by √5 / ℓ (overwritten).

    In place, a pass per operation: the thousand-candidate batches of the
    acquisition spend their time here, in memory traffic and ``exp``.
    """
    decay = np.negative(s)
    np.exp(decay, out=decay)
    k = s * (amplitude / 3.0)
    k += amplitude
    k *= s
    k += amplitude
    k *= decay
    if not with_c:
        return k, None
    s += 1.0
    s *= decay
    return k, s


def _weighted_differences(weights, Xq, X):
    """Returns Σⱼ weights[q, j] (Xq[q] - X[j]), shape (m, d), for weights of shape (m, n)."""
    return weights.sum(axis=1)[:, None] * Xq - weights @ X


def _cho_solve(chol, b):
    """(L Lᵀ)⁻¹ b from ``_cholesky``'s factor: LAPACK's potrs, as ``cho_solve`` calls it, without its checks."""
    x, info = scipy.linalg.lapack.dpotrs(chol[0], b, lower=1)
    if info != 0:
        raise ValueError(f"potrs failed with info={info}.")
    return x


def _inverse(chol):
    """K⁻¹ from ``cho_factor``'s lower factor; LAPACK's potri is ~3x faster than solving for I."""
    inverse, info = scipy.linalg.lapack.dpotri(chol[0], lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"potri failed with info={info} on a {len(inverse)}-point kernel matrix.")
    return np.where(_lower_mask(len(inverse)), inverse, inverse.T)


@functools.lru_cache(maxsize=8)
def _lower_mask(n):
    """The boolean mask of the lower triangle, diagonal included (cached: np.tril rebuilds it)."""
    return np.tri(n, dtype=bool)


def _cholesky(K, noise):
    """Cholesky factor of K + σ² I, adding jitter until it is positive definite.

    Returns ``(L, True)`` as ``cho_factor`` does (only the lower triangle is
    meaningful); LAPACK is called directly, since K is finite by construction and
    the fit calls this a few hundred times per suggestion.
    """
    jitter = 0.0
    diagonal = np.diag(K)
    for attempt in range(6):
        # K is symmetric, so its transpose, contiguous in Fortran order, is K: a plain copy.
        shifted = np.array(K.T, order="F")
        shifted.flat[:: len(K) + 1] += noise + jitter
        chol, info = scipy.linalg.lapack.dpotrf(shifted, lower=1, clean=0, overwrite_a=1)
        if info == 0:
            return chol, True
        jitter = 1e-8 * np.mean(diagonal) * 10.0**attempt
    raise np.linalg.LinAlgError(
        f"Kernel matrix of {len(K)} points is not positive definite even with jitter {jitter:g}."
    )
