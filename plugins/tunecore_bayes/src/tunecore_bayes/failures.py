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
by three failures in a row: measured in ``benchmarks/failure_regret.py``
(``benchmarks/RESULTS.md``, issue 24, eighth session: fail37).
"""

import numpy as np


def impute(X, losses, X_failed):
    """``(X, losses, imputed)``: the observations ``X`` (n, d), ``losses`` (n,),
    followed by the failed trials ``X_failed`` (k, d) at the worst loss plus the
    losses' standard deviation, and a mask (n + k,) of the imputed rows."""
    imputed = np.zeros(len(losses) + len(X_failed), dtype=bool)
    imputed[len(losses):] = True
    if not len(X_failed):
        return X, losses, imputed
    return np.vstack([X, X_failed]), np.concatenate([losses, np.full(len(X_failed), losses.max() + losses.std())]), imputed
