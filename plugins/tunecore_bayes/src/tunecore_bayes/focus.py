"""Which branch of a conditional space a suggestion refines, and where in it.

On a conditional space (a hyperparameter active only under some options of a
choice), one stationary kernel over all encoded inputs leaves most variance in
the branch with the most active inputs, and expected improvement spends the
suggestions on that branch's unvisited corners: on ``svc_conditional`` 29 of
the 40 model suggestions went to ``poly`` (4 active inputs), 8 of them to its
chance-level plateau, while TPE refined the best ``rbf`` region (issue 24,
cond36 in ``benchmarks/RESULTS.md``). TPE's allocation is followed here:

1. the option of the branching choice (:meth:`SpaceEncoder.branching`) is
   drawn with probability (g_k + 1) / (g + K), g_k of the best quarter's g
   observations having taken option k of K (TPE's categorical density of the
   good observations, add-one smoothed);
2. expected improvement is then maximised with that option held, among points
   within ``radius`` of one of the option's three best observations
   (root-mean-square distance over the active numeric inputs of the unit
   encoding), unless no candidate is left; an option without observations is
   searched whole;
3. where the point found there is stalled (:func:`~tunecore_bayes.stall.stalled`:
   the neighbourhood refined to the end), the whole space is searched instead,
   as under ``branches="joint"``. Without this way out the focus never looked
   beyond its neighbourhood: a deeper well 0.5 away in the same branch, or a
   branch better only once refined, was found by the joint search and not by the
   focus (``cond_twowell``, ``cond_corner``; issue 24, cond37).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from tunecore_bayes.encoding import SpaceEncoder

GOOD_FRACTION = 0.25
RADIUS = 0.1
_N_CENTRES = 3

Avoid = Callable[[np.ndarray], np.ndarray]


class Focus(NamedTuple):
    """Where one suggestion is searched: ``round`` maps points onto the drawn option,
    ``avoid`` marks points outside its neighbourhood (or in the taboo), and ``centres``
    are the observations whose perturbations the search scores."""

    round: Callable[[np.ndarray], np.ndarray]
    avoid: Avoid | None
    centres: np.ndarray


def focus_branch(
    encoder: SpaceEncoder,
    X: np.ndarray,
    losses: np.ndarray,
    centres: np.ndarray,
    avoid: Avoid | None,
    rng: np.random.Generator,
    radius: float = RADIUS,
) -> Focus | None:
    """The branch one suggestion refines, or None on a space without conditions.

    Args:
        encoder: The space's encoder.
        X: Encoded observations, shape (n, d).
        losses: Their losses, shape (n,).
        centres: The perturbation centres the search would use otherwise.
        avoid: The taboo (see :class:`~tunecore_bayes.ties.Taboo`), or None.
        rng: Draws the option.
        radius: The neighbourhood of the option's best observations.
    """
    column = encoder.branching()
    if column is None or not any(other.hp.conditions for other in encoder.columns):
        return None
    options = column.index(X)
    order = np.argsort(losses, kind="stable")
    good = order[: max(1, int(np.ceil(GOOD_FRACTION * len(losses))))]
    k = len(column.values)
    option = int(rng.choice(k, p=(np.bincount(options[good], minlength=k) + 1.0) / (len(good) + k)))

    def onto_option(Z: np.ndarray) -> np.ndarray:
        return encoder.with_option(encoder.round(Z), column, option)

    taken = order[options[order] == option]
    if not len(taken):
        return Focus(onto_option, avoid, centres)
    best = X[taken[:_N_CENTRES]]

    def outside(Z: np.ndarray) -> np.ndarray:
        free = encoder.free_columns(Z)
        squared = ((Z[:, None, :] - best[None]) ** 2 * free[:, None, :]).sum(axis=-1)
        far = np.sqrt(squared / np.maximum(free.sum(axis=-1), 1)[:, None]).min(axis=1) > radius
        return far if avoid is None else far | avoid(Z)

    return Focus(onto_option, outside, best)
