"""Pareto fronts: dominance, the non-dominated set, crowding and hypervolume.

Framework-free maths on loss vectors, shared by the ledger (best trials of a
:class:`~tunecore.objective.Pareto` search), oracles and the benchmarks.

Notation:
    Y  (n, m)   n points, m objectives, every one a loss (lower is better;
                :meth:`Pareto.losses` negates maximised objectives).
    a ≺ b       a dominates b: a ≤ b in every objective and a < b in one.
    front       the points no other point dominates. Equal points do not
                dominate each other: ties are all on the front.
    crowding    NSGA-II's crowding distance (Deb et al., IEEE TEVC 2002): per
                objective, the gap between a point's neighbours on the front,
                over the front's range; the extremes get infinity.
    HV(Y; r)    the hypervolume: the measure of the region dominated by Y and
                bounded by the reference point r (Zitzler & Thiele, 1998).
                Exact: a sweep for m = 2, slices along the last objective
                (HSO, While et al. 2006) above; points not strictly better
                than r in every objective add nothing.
"""

import numpy as np
import numpy.typing as npt


def dominates(a: npt.ArrayLike, b: npt.ArrayLike) -> bool:
    """Whether loss vector ``a`` dominates ``b`` (no worse anywhere, better somewhere)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(a <= b) and np.any(a < b))


def non_dominated(Y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """A boolean mask of the points of ``Y`` (n, m) on the Pareto front (ties kept)."""
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    n = len(Y)
    mask = np.ones(n, dtype=bool)
    for i in range(n):
        if not mask[i]:
            continue
        dominated_by_i = np.all(Y[i] <= Y, axis=1) & np.any(Y[i] < Y, axis=1)
        mask &= ~dominated_by_i
        if np.any(np.all(Y <= Y[i], axis=1) & np.any(Y < Y[i], axis=1)):
            mask[i] = False
    return mask


def crowding_distance(Y: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """NSGA-II's crowding distance of each point of a front ``Y`` (n, m); extremes get inf."""
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    n, m = Y.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(Y[:, j], kind="stable")
        span = Y[order[-1], j] - Y[order[0], j]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (Y[order[2:], j] - Y[order[:-2], j]) / span
    return distance


def select_spread(Y: npt.ArrayLike, k: int) -> list[int]:
    """Indices of ``k`` points of the front ``Y`` that keep its spread.

    NSGA-II's truncation: repeatedly drop the most crowded point (smallest
    crowding distance, recomputed after each drop), so the extremes stay.
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    kept = list(range(len(Y)))
    while len(kept) > k:
        distance = crowding_distance(Y[kept])
        del kept[int(np.argmin(distance))]
    return kept


def hypervolume(Y: npt.ArrayLike, reference: npt.ArrayLike) -> float:
    """The hypervolume that the points ``Y`` (n, m) dominate, bounded by ``reference`` (m,)."""
    r = np.asarray(reference, dtype=float)
    Y = np.atleast_2d(np.asarray(Y, dtype=float)).reshape(-1, len(r))
    Y = Y[np.all(Y < r, axis=1)]
    if len(Y) == 0:
        return 0.0
    Y = Y[non_dominated(Y)]
    return float(_hso(Y, r))


def _hso(Y, r):
    m = Y.shape[1]
    if m == 1:
        return r[0] - Y[:, 0].min()
    if m == 2:
        Y = Y[np.argsort(Y[:, 0], kind="stable")]
        volume, ceiling = 0.0, r[1]
        for x, y in Y:
            if y < ceiling:
                volume += (r[0] - x) * (ceiling - y)
                ceiling = y
        return volume
    Y = Y[np.argsort(Y[:, -1], kind="stable")]
    volume = 0.0
    for i in range(len(Y)):
        upper = Y[i + 1, -1] if i + 1 < len(Y) else r[-1]
        depth = upper - Y[i, -1]
        if depth <= 0:
            continue
        below = Y[: i + 1, :-1]
        volume += depth * _hso(below[non_dominated(below)], r[:-1])
    return volume
