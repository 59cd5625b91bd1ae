"""Expected hypervolume improvement of two objectives, by Monte Carlo, with its gradient.

``BayesianOptimization(pareto="ehvi")`` scores a point by the area it would
add to the observed front (Emmerich et al., "Single- and multiobjective
evolutionary optimization assisted by Gaussian random field metamodels",
IEEE TEVC 10(4), 2006), as Optuna's ``GPSampler`` does, instead of by one
random scalarisation per suggestion (ParEGO): a GP per objective, so an
objective that saturates (flat far from its optimum) is modelled as the bump
it is rather than folded into a kinked maximum.

Notation:
    q, S, J      query points, base samples, steps of the front's staircase.
    μ, σ  (q, 2) the objectives' posterior means and standard deviations.
    ε  (S, 2)    standard normal base samples, fixed for one suggestion (so
                 the estimate is a smooth function of μ and σ).
    y_s = μ + σ ε_s                        a sample of the two objectives.
    P            the front, sorted by f1 ascending (so f2 descending), every
                 point below the reference r.
    staircase    step j covers f1 in [l_j, u_j) and is open below h_j:
                 l = (-∞, P_11, ..., P_k1), u = (P_11, ..., P_k1, r_1),
                 h = (r_2, P_12, ..., P_k2).
    HVI(y)      = Σ_j max(0, u_j - max(l_j, y1)) max(0, h_j - y2), the area
                 dominated by y and not by P, within r.
    α(x)        = log(mean_s HVI(y_s) + 1e-12); its gradient by the
                 reparameterisation, ∂y_s/∂μ = 1, ∂y_s/∂σ = ε_s:
    ∂HVI/∂y1    = -Σ_j [l_j < y1 < u_j] max(0, h_j - y2),
    ∂HVI/∂y2    = -Σ_j max(0, u_j - max(l_j, y1)) [h_j > y2].
"""

import numpy as np

_FLOOR = 1e-12  # log α where no sample improves: flat, and left to the candidates' screen
_BLOCK = 256  # query points per block: (block, S, J) arrays stay small


def staircase(front: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(l, u, h)`` of the non-dominated ``front`` (k, 2) below ``reference`` (2,)."""
    front = np.unique(front[np.all(front < reference, axis=1)], axis=0)
    front = front[np.argsort(front[:, 0], kind="stable")]
    lower = np.concatenate([[-np.inf], front[:, 0]])
    upper = np.concatenate([front[:, 0], [reference[0]]])
    return lower, upper, np.concatenate([[reference[1]], front[:, 1]])


def log_ehvi(mean: np.ndarray, std: np.ndarray, stairs: tuple[np.ndarray, ...], samples: np.ndarray,
             return_grad: bool = False):
    """α at points with posterior ``mean`` and ``std`` (q, 2); with ``return_grad``
    also ``(∂α/∂μ, ∂α/∂σ)``, each (q, 2)."""
    lower, upper, height = stairs
    hvi = np.empty(len(mean))
    d_mean, d_std = np.empty(mean.shape), np.empty(mean.shape)
    for start in range(0, len(mean), _BLOCK):
        block = slice(start, start + _BLOCK)
        y = mean[block, None, :] + std[block, None, :] * samples  # (b, S, 2)
        y1, y2 = y[..., :1], y[..., 1:]
        width = np.clip(upper - np.maximum(lower, y1), 0.0, None)  # (b, S, J)
        rise = np.clip(height - y2, 0.0, None)
        hvi[block] = (width * rise).sum(axis=2).mean(axis=1)
        if return_grad:
            dy = np.stack([-(((lower < y1) & (y1 < upper)) * rise).sum(axis=2),
                           -(width * (height > y2)).sum(axis=2)], axis=2)  # (b, S, 2)
            d_mean[block] = dy.mean(axis=1)
            d_std[block] = (dy * samples).mean(axis=1)
    value = np.log(hvi + _FLOOR)
    if not return_grad:
        return value
    scale = 1.0 / (hvi + _FLOOR)
    return value, d_mean * scale[:, None], d_std * scale[:, None]
