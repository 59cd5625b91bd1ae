"""Tied scores: observations that share a loss exactly mark a plateau.

CV errors are multiples of 1/n, and whole regions of a search tie. EI's target
is lowered by the scores' resolution (:func:`resolution`, carried into the
GP's units by :func:`transformed_gap`) when the best loss is tied, and
:class:`Taboo` keeps suggestions away from tied observations (see
:class:`~tunecore_bayes.proposer.GPProposer`).
"""

import numpy as np
import scipy.spatial.distance

from tunecore_bayes import design

_FLOOR = 0.25  # a plateau's least semi-axis, as a fraction of the radius (or a discrete input's step)


class Taboo:
    """Marks candidates near tied observations: with the same categories as one
    and within ``radius`` of it in root-mean-square distance over the numeric
    columns of the unit cube that are active under those categories (the
    inactive ones hold the same constant on both sides, and counting them would
    widen the radius of a branch with few active inputs).

    With ``shape="span"`` a tied observation's neighbourhood is that ball only
    while no partner (an observation tied with it, with its categories, within
    ``radius`` of it) shows which way the plateau extends; with partners it is
    the ellipsoid whose semi-axis along each input is their span along it,
    between a floor and ``radius``. Two ties that differ in one input say the
    score is flat along it, and nothing about the others. The floor is a
    quarter of ``radius``, or a discrete input's step where that is more: along
    an integer the span is 0 or a whole step, and ties on one value of it say
    nothing yet about the plateau's extent across it. A plateau of the worst
    score seen (a clipped or saturated objective, constant outside a well)
    also ends where a better score was seen: a candidate nearer to a strictly
    better observation than to such a tie is not in its neighbourhood, so a
    well that the tie's radius reaches into is still refined.
    """

    def __init__(self, encoder, X, losses, radius, shape="ball"):
        categorical = design.categorical_columns(encoder)
        self.categorical = np.zeros(encoder.d, dtype=bool)
        for column in categorical:
            self.categorical[column.start:column.start + column.width] = True
        self.categorical[encoder.d_values:] = True  # activity columns: part of "the same categories"
        self.encoder, self.radius = encoder, radius
        floor = np.full(encoder.d, _FLOOR * radius)
        for column in encoder.columns:
            if column not in categorical and column.centres is not None and len(column.centres) > 1:
                floor[column.start] = max(floor[column.start], float(np.diff(column.centres).min()))
        self.floor = floor[~self.categorical]
        _, inverse, counts = np.unique(losses, return_inverse=True, return_counts=True)
        tied = counts[inverse] >= 2
        self.tied = X[tied]
        self.axes = self._plateau_axes(losses[tied]) if shape == "span" else None
        worst = losses == losses.max()
        self.worst = worst[tied] if shape == "span" and worst[tied].any() and not worst.all() else None
        self.better = X[~worst]

    def _plateau_axes(self, tied_losses):
        """Per tied observation, its ellipsoid's semi-axes (n_tied, numeric columns)."""
        partners = (self._distance(self.tied, self.tied) < self.radius) & (tied_losses[:, None] == tied_losses)
        np.fill_diagonal(partners, False)
        numeric = self.tied[:, ~self.categorical]
        span = np.zeros(numeric.shape)
        rows, cols = np.nonzero(partners)  # row-major: each row's partners are contiguous
        if len(rows):
            starts = np.flatnonzero(np.diff(rows, prepend=-1))
            gaps = np.abs(numeric[rows] - numeric[cols])
            span[rows[starts]] = np.maximum.reduceat(gaps, starts, axis=0)
        return np.where(partners.any(axis=1)[:, None], np.clip(span, self.floor, self.radius), self.radius)

    @classmethod
    def around_ties(cls, encoder, X, losses, radius, shape="ball"):
        """The taboo around the observations ``X`` whose ``losses`` tie, or None if none do."""
        tied = len(np.unique(losses)) < len(losses)
        return cls(encoder, X, losses, radius, shape) if radius > 0 and tied else None

    def _distance(self, A, B, axes=None):
        """RMS distances (len(A), len(B)) over A's active numeric columns, each
        column divided by B's ``axes`` (default 1); inf across categories."""
        numeric = ~self.categorical
        active = np.maximum(np.sum(self.encoder.free_columns(A), axis=1), 1)
        if axes is None:
            distance = scipy.spatial.distance.cdist(A[:, numeric], B[:, numeric])
        else:  # sum_j (a_j - b_j)^2 / axes_j^2 expanded: (len(A), len(B)) memory, not times the columns
            a, b, w = A[:, numeric], B[:, numeric], axes**-2.0
            squared = (a**2) @ w.T  # in place from here: (len(A), len(B)) arrays are the cost
            squared -= 2.0 * a @ (b * w).T
            squared += np.sum(b**2 * w, axis=1)
            distance = np.sqrt(np.maximum(squared, 0.0, out=squared), out=squared)
        distance /= np.sqrt(active)[:, None]
        if self.categorical.any():
            same = scipy.spatial.distance.cdist(A[:, self.categorical], B[:, self.categorical], "cityblock")
            distance = np.where(same < 0.5, distance, np.inf)
        return distance

    def __call__(self, X):
        if self.axes is None:
            return self._distance(X, self.tied).min(axis=1) < self.radius
        inside = self._distance(X, self.tied, self.axes) < 1.0
        if self.worst is not None:
            nearest_better = self._distance(X, self.better).min(axis=1)
            inside[:, self.worst] &= self._distance(X, self.tied[self.worst]) < nearest_better[:, None]
        return inside.any(axis=1)


def resolution(losses):
    """The smallest gap between distinct losses: the scores' resolution (0 if all tie)."""
    distinct = np.unique(losses)
    return float(np.diff(distinct).min()) if len(distinct) > 1 else 0.0


def transformed_gap(losses, y, gap):
    """``gap`` in loss units, carried into the units of ``y = power_transform(losses)``
    by the transform's slope between the best and the next distinct loss."""
    if gap <= 0.0:
        return 0.0
    order = np.argsort(losses, kind="stable")
    above = order[losses[order] > losses[order[0]]]
    if not len(above):
        return 0.0
    i, j = order[0], above[0]
    return gap * (y[j] - y[i]) / (losses[j] - losses[i])
