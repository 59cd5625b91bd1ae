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


class Taboo:
    """Marks candidates near tied observations: with the same categories as one
    and within ``radius`` of it in root-mean-square distance over the numeric
    columns of the unit cube that are active under those categories (the
    inactive ones hold the same constant on both sides, and counting them would
    widen the radius of a branch with few active inputs)."""

    def __init__(self, encoder, tied, radius):
        categorical = design.categorical_columns(encoder)
        self.categorical = np.zeros(encoder.d, dtype=bool)
        for column in categorical:
            self.categorical[column.start:column.start + column.width] = True
        self.categorical[encoder.d_values:] = True  # activity columns: part of "the same categories"
        self.encoder, self.tied, self.radius = encoder, tied, radius

    def __call__(self, X):
        numeric = ~self.categorical
        active = np.maximum(np.sum(self.encoder.free_columns(X), axis=1), 1)
        distance = scipy.spatial.distance.cdist(X[:, numeric], self.tied[:, numeric]) / np.sqrt(active)[:, None]
        if self.categorical.any():
            same = scipy.spatial.distance.cdist(X[:, self.categorical], self.tied[:, self.categorical], "cityblock")
            distance = np.where(same < 0.5, distance, np.inf)
        return distance.min(axis=1) < self.radius


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
