"""The initial design: quasi-random configurations tried before a model is used.

Shared by :class:`~tunecore_bayes.BayesianOptimization` and model-based
Hyperband. Two things make it more than a Sobol sequence:

* **Its size follows the space**: ``max(d + 1, k, 5)`` capped at 20, ``d`` the
  number of tuned hyperparameters and ``k`` the number of options of the
  largest unordered choice. A model fitted to fewer points than d + 1 cannot
  tell the dimensions apart, and one that never saw an option of a choice
  knows nothing about it: with tied scores elsewhere (a plateau), the
  acquisition has no reason to try it (issue 12: 3 of 5 seeds of an SVC search
  never tried the second kernel).
* **Every option of every unordered choice is tried**: the options of each
  choice are dealt in a seeded random order, one per design point, cycling, so
  the first ``k`` points use all ``k`` options while the other dimensions
  follow the scrambled Sobol sequence.
"""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.stats.qmc

from tunecore.hyperparameters import HyperParameter
from tunecore_bayes.encoding import SpaceEncoder

_MIN_POINTS = 5
_MAX_POINTS = 20


def categorical_columns(encoder: SpaceEncoder) -> list[Any]:
    """The encoder's columns for unordered choices (``Boolean`` included)."""
    return encoder.categorical()


def initial_design_size(encoder: SpaceEncoder) -> int:
    """``max(d + 1, k, 5)`` capped at 20 (see the module docstring)."""
    options = max((len(_options(column)) for column in categorical_columns(encoder)), default=0)
    return min(max(len(encoder.columns) + 1, options, _MIN_POINTS), _MAX_POINTS)


def initial_point(
    encoder: SpaceEncoder, space: Sequence[HyperParameter], index: int, seed: int
) -> dict[str, Any] | None:
    """The ``index``-th configuration of the design, as a dict of values.

    Args:
        encoder: The space's :class:`~tunecore_bayes.encoding.SpaceEncoder`.
        space: The hyperparameters, in definition order.
        index: Position in the design (0, 1, ...); any index works, the
            categorical options keep cycling.
        seed: The oracle's seed: the Sobol scrambling and the option orders.

    Returns:
        A configuration, or None when the space has no tuned dimension.
    """
    if encoder.d == 0:
        return None
    m = max(1, math.ceil(math.log2(index + 1)))
    point = scipy.stats.qmc.Sobol(encoder.d_values, scramble=True, seed=seed).random_base2(m)[index:index + 1]
    row = encoder.round(np.hstack([point, np.zeros((1, encoder.d - encoder.d_values))]))[0]
    values = encoder.decode(row, space)
    rng = np.random.default_rng([seed, 12])
    for column in categorical_columns(encoder):
        options = _options(column)
        order = rng.permutation(len(options))
        if column.hp.name in values and column.hp.is_active(values):  # its branch, not a namesake's
            values[column.hp.name] = options[order[index % len(options)]]
    # A dealt option may switch conditional children on or off: decode again.
    return encoder.decode(encoder.encode(values), space)


def _options(column):
    return list(column.hp.values)
