"""A Gaussian process whose length scales depend on the branch a point is on.

One stationary kernel over all inputs gives every input one length scale: it
cannot say that ``gamma`` matters under an RBF SVC and not at all under a
linear one. Here each option g of a branching choice (an unordered choice,
usually the one other hyperparameters are conditional on) has its own length
scales for the numeric inputs, shrunk towards shared ones, and the kernel
between two points on different branches is the non-stationary one of
Paciorek & Schervish, "Nonstationary covariance functions for Gaussian
process regression" (NIPS 2004), which stays positive definite for any
per-point length scales.

Notation (as :mod:`tunecore_bayes.gp`, plus):
    g(x)            the branch of x, an index in 0 .. G-1.
    δ    (G, d)     log-length-scale offsets of each branch, 0 on the columns
                    that have none (the unordered choices' columns).
    ℓᵢ(x)           ℓᵢ exp(δ_{g(x), i}), the length scale of input i at x.
    Lᵢ²(x, x')      (ℓᵢ(x)² + ℓᵢ(x')²) / 2
    Q(x, x')        Σᵢ (xᵢ - x'ᵢ)² / Lᵢ²(x, x'),  r = √Q
    P(x, x')        Πᵢ (ℓᵢ(x) ℓᵢ(x'))^½ / Lᵢ(x, x')       ≤ 1, = 1 on one branch
    k(x, x')        a P(x, x') (1 + √5 r + 5/3 r²) exp(-√5 r)
    log prior(δ)    -Σ δ² / (2 s²),  s² = 0.5, on top of the shared length scales'
                    prior (s² = 3, the spread of the log-normal length-scale priors,
                    let a branch's scales stray too far from the others': measured in
                    ``benchmarks/RESULTS.md``, "Unordered choices").
With δ = 0 the kernel is the stationary Matérn-5/2 of ``GaussianProcess``.

Derivatives, with C = a P c(r) (c as in :mod:`tunecore_bayes.gp`) and λ_{p,i} =
log ℓᵢ(x_p):
    ∂k_pq/∂λ_{p,i} = ½ k_pq (1 - ℓᵢ(x_p)² / Lᵢ²) + 5/6 C_pq (x_pi - x_qi)² ℓᵢ(x_p)² / Lᵢ⁴
    ∂k_pq/∂x_pi    = -5/3 C_pq (x_pi - x_qi) / Lᵢ²
and the gradient of the log likelihood in λ_{p,i} is Σ_q W_pq ∂k_pq/∂λ_{p,i}
(W = ααᵀ - K⁻¹; symmetric, so each pair's two ends count once each).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg

from tunecore_bayes.gp import (
    _LOG_2PI,
    _SQRT5,
    GaussianProcess,
    GPParams,
    _cholesky,
    _inverse,
    _kernel,
    _log_prior,
)

_OFFSET_VARIANCE = 0.5
_OFFSET_BOUND = 5.0  # |δ| ≤ 5: a factor of 150 between a branch's length scale and the shared one


class BranchGaussianProcess(GaussianProcess):
    """``GaussianProcess`` with length scales per branch (see the module notation).

    Args:
        branch: Maps inputs, shape (k, d), to their branch indices, shape (k,).
        n_branches: G, the number of branches.
        offset_columns: Boolean mask, shape (d,), of the inputs whose length
            scale differs by branch (the numeric ones).
        **kwargs: As :class:`~tunecore_bayes.gp.GaussianProcess`.

    Attributes:
        params: The fitted ``GPParams``; ``log_offsets`` (G, d) holds δ.
    """

    def __init__(
        self,
        branch: Callable[[np.ndarray], np.ndarray],
        n_branches: int,
        offset_columns: np.ndarray,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.branch = branch
        self.n_branches = n_branches
        self.offset_columns = np.asarray(offset_columns, dtype=bool)

    # θ = (log ℓ, δ of the offset columns, log a, log σ²)
    def _pack(self, params: GPParams) -> np.ndarray:
        offsets = params.log_offsets
        if offsets is None or offsets.shape != (self.n_branches, len(self.offset_columns)):
            offsets = np.zeros((self.n_branches, len(self.offset_columns)))
        return np.concatenate([params.log_lengthscales, offsets[:, self.offset_columns].ravel(),
                               [params.log_amplitude, params.log_noise]])

    def _params_from(self, theta: np.ndarray) -> GPParams:
        d = len(self.offset_columns)
        offsets = np.zeros((self.n_branches, d))
        offsets[:, self.offset_columns] = theta[d:-2].reshape(self.n_branches, -1)
        return GPParams(theta[:d].copy(), float(theta[-2]), float(theta[-1]), offsets)

    def _cold_starts(self, d, rng):
        return [self._pack(GPParams.from_vector(start)) for start in super()._cold_starts(d, rng)]

    def _bounds(self, d):
        bounds = super()._bounds(d)
        n_offsets = self.n_branches * int(self.offset_columns.sum())
        return bounds[:d] + [(-_OFFSET_BOUND, _OFFSET_BOUND)] * n_offsets + bounds[d:]

    def _lengthscales(self, X, params=None):
        """ℓ(x) per point and input, shape (k, d)."""
        params = self.params if params is None else params
        offsets = params.log_offsets if params.log_offsets is not None else np.zeros((self.n_branches, X.shape[1]))
        return np.exp(params.log_lengthscales + offsets[self.branch(X)])

    def _condition(self):
        self._unpacked = self._unpack(self.params.to_vector())
        self._X_lengthscales = self._lengthscales(self._X)
        K = _branch_kernel(self._X, self._X_lengthscales, self._X, self._X_lengthscales,
                           np.exp(self.params.log_amplitude))[0]
        self._chol = _cholesky(K, np.exp(self.params.log_noise))
        self._chol_inv = None
        self._alpha = scipy.linalg.cho_solve(self._chol, self._z)

    def _cross(self, A, B, with_c=True):
        amplitude = np.exp(self.params.log_amplitude)
        k, c, _ = _branch_kernel(A, self._lengthscales(A), B, self._lengthscales(B), amplitude)
        return k, (c if with_c else None)

    def predict(self, Xq: np.ndarray, return_grad: bool = False) -> tuple[np.ndarray, ...]:
        Xq = np.atleast_2d(np.asarray(Xq, dtype=float))
        amplitude = np.exp(self.params.log_amplitude)
        lq = self._lengthscales(Xq)
        k_star, C, L2 = _branch_kernel(Xq, lq, self._X, self._X_lengthscales, amplitude, pairs=return_grad)
        mu = k_star @ self._alpha
        chol_inverse = self._chol_inverse()
        whitened = k_star @ chol_inverse.T
        mean, std, sd, clipped = self._moments(mu, whitened, amplitude)
        if not return_grad:
            return mean, std
        beta = whitened @ chol_inverse  # rows (K⁻¹k*)ᵀ
        dmu = np.empty_like(Xq)
        dvar = np.empty_like(Xq)
        for i in range(Xq.shape[1]):
            dk = -5.0 / 3.0 * C * (Xq[:, i, None] - self._X[None, :, i]) / L2[i]
            dmu[:, i] = dk @ self._alpha
            dvar[:, i] = -2.0 * np.einsum("ij,ij->i", dk, beta)
        dsd = np.where(clipped[:, None], 0.0, dvar / (2.0 * sd[:, None]))
        return mean, std, self._y_std * dmu, self._y_std * dsd

    def _negative_log_posterior(self, theta, prior):
        params = self._params_from(theta)
        d = len(self.offset_columns)
        X, z = self._X, self._z
        n = len(z)
        amplitude, noise = np.exp(params.log_amplitude), np.exp(params.log_noise)
        lengthscales = self._lengthscales(X, params)
        K, C, L2 = _branch_kernel(X, lengthscales, X, lengthscales, amplitude, pairs=True)
        chol = _cholesky(K, noise)
        z = self._profiled(chol)
        alpha = scipy.linalg.cho_solve(chol, z)
        W = np.outer(alpha, alpha)
        W -= _inverse(chol)
        log_likelihood = -0.5 * z @ alpha - np.log(np.diag(chol[0])).sum() - 0.5 * n * _LOG_2PI

        squared = lengthscales**2
        per_point = np.empty((n, d))  # ∂ log likelihood / ∂λ_{p,i}
        for i in range(d):
            ratio = squared[:, i, None] / L2[i]
            dk = 0.5 * K * (1.0 - ratio) + 5.0 / 6.0 * C * (X[:, i, None] - X[None, :, i]) ** 2 * ratio / L2[i]
            per_point[:, i] = np.sum(W * dk, axis=1)
        branches = self.branch(X)
        per_branch = np.zeros((self.n_branches, d))
        np.add.at(per_branch, branches, per_point)

        shared = np.concatenate([per_point.sum(axis=0), [0.5 * np.vdot(W, K), 0.5 * noise * np.trace(W)]])
        offsets = params.log_offsets[:, self.offset_columns].ravel()
        offsets_grad = per_branch[:, self.offset_columns].ravel()
        if prior is not None:
            # The shared length scales', amplitude's and noise's prior are the parent's.
            log_likelihood += _log_prior(params.to_vector(), prior, shared)
            log_likelihood -= 0.5 * np.sum(offsets**2) / _OFFSET_VARIANCE
            offsets_grad = offsets_grad - offsets / _OFFSET_VARIANCE
        grad = np.concatenate([shared[:d], offsets_grad, shared[d:]])
        return -log_likelihood, -grad


def _branch_kernel(A, lA, B, lB, amplitude, pairs=False):
    """(k(A, B), C = a P c(r), and with ``pairs`` the list of Lᵢ² per input, else None)
    for per-point length scales ``lA`` (nA, d), ``lB`` (nB, d)."""
    sqA, sqB = lA**2, lB**2
    Q = np.zeros((len(A), len(B)))
    log_p = np.zeros_like(Q)
    L2s = []
    for i in range(A.shape[1]):
        L2 = 0.5 * (sqA[:, i, None] + sqB[None, :, i])
        Q += (A[:, i, None] - B[None, :, i]) ** 2 / L2
        log_p += 0.25 * (np.log(sqA[:, i, None]) + np.log(sqB[None, :, i])) - 0.5 * np.log(L2)
        if pairs:
            L2s.append(L2)
    p = np.exp(log_p)
    k, c = _kernel(_SQRT5 * np.sqrt(Q), amplitude, True)
    k *= p
    c *= amplitude * p
    return k, c, (L2s if pairs else None)
