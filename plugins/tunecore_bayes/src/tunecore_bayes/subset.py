"""Large searches: the observations a GP is conditioned on once there are too many.

Above ``max_points`` observations, :class:`~tunecore_bayes.proposer.GPProposer`
conditions its GP on :func:`subset`: the observations nearest to the incumbent
and a random sample of the rest, drawn by :class:`Priorities`.
"""

import hashlib

import numpy as np


class Priorities:
    """A uniform number per observation, a hash of its encoded row (kept per row:
    hashing every observation again cost 0.6 ms a suggestion at n = 1000).

    The random part of a subset is the observations of lowest priority, so it
    changes by about one point per new observation instead of being redrawn:
    the hyperparameters fitted to the last subset stay a warm start near the new
    optimum, and the fit takes a few steps instead of a dozen. Each subset is
    still a uniform sample of the others, and, being a function of the
    observations alone, the same after a resume (draws kept in the proposer
    would be lost with it).
    """

    def __init__(self) -> None:
        self._kept: dict[bytes, float] = {}  # encoded row -> its priority

    def __call__(self, X):
        """The priorities of the rows of ``X``, shape (n,)."""
        priorities = []
        for row in X:
            key = row.tobytes()
            priority = self._kept.get(key)
            if priority is None:
                priority = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") / 2.0**64
                self._kept[key] = priority
            priorities.append(priority)
        return np.array(priorities)


def subset(X, losses, size, params, priority):
    """Indices of ``size`` observations: the ``size // 2`` nearest to the incumbent,
    in length-scale units when a fit is known, and of the others those of lowest
    ``priority`` (shape (n,), uniform draws: a random sample)."""
    scale = np.ones(X.shape[1]) if params is None or len(params.log_lengthscales) != X.shape[1] \
        else np.exp(params.log_lengthscales)
    incumbent = X[np.argmin(losses)]
    distance = np.sum(((X - incumbent) / scale) ** 2, axis=1)
    near = np.argsort(distance, kind="stable")[:size // 2]
    rest = np.setdiff1d(np.arange(len(X)), near)
    return np.sort(np.concatenate([near, rest[np.argsort(priority[rest], kind="stable")[:size - len(near)]]]))
