"""Failed trials as observations: a failing region is learned, not retried.

A trial that fails (the objective raised, or was NaN or infinite at every
step) has no score, yet says much: its neighbourhood fails too, most often (a
learning rate past divergence, a model past the memory). A GP fitted to the
scored trials alone sees nothing there, keeps suggesting into the region, and
three failures in a row end the search (``max_consecutive_failed_trials``).
As SMAC's crash cost does, each failed trial is imputed as an observation,
here one standard deviation of the scored losses above the worst of them: the
posterior mean there is the worst and its variance collapses, so expected
improvement moves away from the failures and stays open right beside them,
where an optimum at the edge of the region lies. Imputed at the worst loss
itself (SMAC's rule), more searches that refine such an edge are still ended
by three failures in a row. And when one more failure would end the search,
the suggestion is weighted by the probability of success (:func:`guard`), and
a plateau of tied scores is no taboo (where every scored region is one, the
taboo would leave only the failing region).
Measured in ``benchmarks/failure_regret.py`` (``benchmarks/RESULTS.md``, issue
24, eighth session: fail37).
"""

import numpy as np
import scipy.special

from tunecore_bayes.gp import GaussianProcess


def impute(X, losses, X_failed):
    """``(X, losses, imputed)``: the observations ``X`` (n, d), ``losses`` (n,),
    followed by the failed trials ``X_failed`` (k, d) at the worst loss plus the
    losses' standard deviation (:func:`_worse_than`), and a mask (n + k,) of the
    imputed rows."""
    imputed = np.zeros(len(losses) + len(X_failed), dtype=bool)
    imputed[len(losses):] = True
    if not len(X_failed):
        return X, losses, imputed
    return np.vstack([X, X_failed]), np.concatenate([losses, np.full(len(X_failed), _worse_than(losses))]), imputed


def _worse_than(losses):
    """The worst loss plus the losses' standard deviation, computed scaled where
    its squares overflow or underflow (losses near 1e±308), and kept finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        spread = losses.std()
        if spread == np.inf or (spread == 0 and losses.max() > losses.min()):
            scale = np.abs(losses).max()
            spread = (losses / scale).std() * scale
        return min(losses.max() + spread, np.finfo(float).max)


def guard(X, imputed, noise_floor, seed, penalty=None):
    """``penalty(X, return_grad=False)`` plus -log P(success): the acquisition
    weighted by the probability that a trial at X succeeds, from a GP fitted to
    +1 at the failed rows of ``X`` (``imputed``) and -1 at the others, as
    :mod:`tunecore_bayes.multi_objective` weighs a constraint (Gardner et al.,
    ICML 2014). For the suggestion that one more failure would end the search
    (``max_consecutive_failed_trials``): measured in ``benchmarks/RESULTS.md``, it
    ends fewer searches than weighting every suggestion, which refines less."""
    gp = GaussianProcess(noise_floor=noise_floor, seed=seed).fit(X, np.where(imputed, 1.0, -1.0))

    def guarded(Xq, return_grad=False):
        out = gp.predict(Xq, return_grad=return_grad)
        z = -out[0] / out[1]
        log_success = scipy.special.log_ndtr(z)
        if not return_grad:
            return -log_success + (0.0 if penalty is None else penalty(Xq))
        ratio = np.exp(-0.5 * z**2 - 0.5 * np.log(2 * np.pi) - log_success)  # φ(z) / Φ(z)
        grad = ratio[:, None] * (out[2] + z[:, None] * out[3]) / out[1][:, None]
        if penalty is None:
            return -log_success, grad
        extra, extra_grad = penalty(Xq, True)
        return -log_success + extra, grad + extra_grad

    return guarded
