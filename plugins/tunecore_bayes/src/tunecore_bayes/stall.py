"""``stall="escape"``: leave a stalled search for the best other basin.

A search has stalled when the log expected improvement of its suggestion
(standardised outputs) is below ``STALL_LOG_EI``: a basin refined to the end, or
a model that sees nothing better anywhere. The other basins are the best
observations separated from every better one by a hill of the posterior mean
(the hill-valley test of niching evolutionary algorithms); each is searched in
a box around it (a trust region, as in TuRBO) with EI against its own loss.
"""

import numpy as np

from tunecore_bayes.acquisition import log_expected_improvement, optimize_acquisition

STALL_LOG_EI = -10.0  # log EI (standardised outputs) below which the search has stalled: EI < 5e-5 of their spread
_ESCAPE_BASINS = 5  # the most other basins whose local acquisition is tried when stalled
_ESCAPE_HALF_WIDTH = 0.1  # half-width of a basin's trust region, a fraction of the box (scaled by length scales)
_VALLEY_POINTS = np.array([0.25, 0.5, 0.75])  # where a segment between two observations is tested for a hill


def escape(model, gp, X, y, x, target, encoder, rng, exclude, avoid, search):
    """``x``, or when its log EI (``gp``, against ``target``) shows the search stalled, the
    best point of another basin's trust region: the :func:`basins` of ``model`` (the GP
    fitted to ``X``, ``y`` alone), tried best first until one still offers an improvement.
    ``exclude``, ``avoid`` and ``search`` (``variants``, ``free``) are as
    :func:`~tunecore_bayes.acquisition.optimize_acquisition` takes them."""
    if not stalled(gp, x, target):
        return x
    lengthscales = np.exp(model.params.log_lengthscales)
    half = _ESCAPE_HALF_WIDTH * lengthscales / np.exp(np.mean(np.log(lengthscales)))
    for centre in basins(model, X, y)[1:]:
        bounds = np.stack([np.clip(X[centre] - half, 0.0, 1.0), np.clip(X[centre] + half, 0.0, 1.0)], axis=1)
        local = optimize_acquisition(
            gp, encoder.d, rng=rng, best=float(y[centre]), centres=X[centre][None], round_fn=encoder.round,
            exclude=exclude, bounds=bounds, avoid=avoid, n_candidates=256, **search,
        )
        if local is None:
            continue
        if not stalled(gp, local, float(y[centre])):
            return local
    return x


def stalled(gp, x, target):
    """Whether the expected improvement of ``x`` (``gp``, against ``target``) shows the
    search stalled: its log below ``STALL_LOG_EI``."""
    mean, std = gp.predict(x[None])
    return bool(log_expected_improvement(mean, std, target)[0] < STALL_LOG_EI)


def basins(model, X, y):
    """Indices of up to ``_ESCAPE_BASINS + 1`` observations, best first, each separated
    from every better one by a hill: ``model``'s mean somewhere on the segment between
    them above both their values."""
    order = np.argsort(y, kind="stable")
    kept = [order[0]]
    for i in order[1:]:
        others = X[kept]
        points = X[i] + _VALLEY_POINTS[:, None, None] * (others[None, :, :] - X[i])
        mean = model.predict(points.reshape(-1, X.shape[1]))[0].reshape(len(_VALLEY_POINTS), len(kept))
        if np.all(mean.max(axis=0) > np.maximum(y[i], y[kept])):
            kept.append(i)
            if len(kept) > _ESCAPE_BASINS:
                break
    return kept
