"""tunecore's search space in Optuna's terms: one distribution per hyperparameter.

Optuna's distributions are a subset of tunecore's ranges. The mapping below
always yields a distribution that *contains* every valid value (so any
recorded trial converts), and :func:`valid_value` brings what a sampler drew
from it back onto a valid value:

===============================  ==================================================
tunecore                         Optuna
===============================  ==================================================
``Float`` linear                 ``FloatDistribution(lo, hi)``, ``step`` kept
``Float`` log                    ``FloatDistribution(lo, hi, log=True)``
``Int`` linear                   ``IntDistribution(lo, hi, step=step)``
``Int`` log                      ``IntDistribution(lo, hi, log=True)``
``reverse_log``                  the linear distribution (Optuna has no reverse log)
log with a ``step`` (a factor)   the log distribution; drawn values snap to the grid
``Choice``                       ``CategoricalDistribution(values)``
``Boolean``                      ``CategoricalDistribution([False, True])``
``Fixed``                        none: a constant is not a parameter
===============================  ==================================================
"""

import math
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from tunecore.hyperparameters import Boolean, Choice, Fixed, Float, HyperParameter, Int


def distribution(hp: HyperParameter) -> BaseDistribution | None:
    """The Optuna distribution of ``hp``, or None for a ``Fixed`` one.

    Raises:
        TypeError: ``hp`` is of a hyperparameter class this mapping does not know.
    """
    if isinstance(hp, Fixed):
        return None
    if isinstance(hp, Boolean):
        return CategoricalDistribution([False, True])
    if isinstance(hp, Choice):
        return CategoricalDistribution(list(hp.values))
    if isinstance(hp, (Int, Float)):
        log = hp.sampling == "log"
        cls = IntDistribution if isinstance(hp, Int) else FloatDistribution
        if hp.step is not None and hp.sampling == "linear":
            grid = hp.grid_values()
            # The last grid value, so that Optuna need not shrink ``high`` itself (with a warning).
            return cls(hp.min_value, grid[hp.cardinality - 1], step=hp.step)
        return cls(hp.min_value, hp.max_value, log=log)
    raise TypeError(
        f"{type(hp).__name__} {getattr(hp, 'name', hp)!r} has no Optuna distribution; "
        "expected Int, Float, Choice, Boolean or Fixed."
    )


def valid_value(hp: Int | Float | Choice | Boolean | Fixed, value: Any) -> Any:
    """The valid value of ``hp`` nearest to ``value``, drawn from :func:`distribution`.

    Nearness is measured as the distribution measures it: in log space for a
    log distribution. Values of a stepped range snap to its grid.
    """
    if isinstance(hp, (Choice, Boolean, Fixed)) or hp.step is None:
        return hp.validate(value)
    grid = hp.grid_values()
    measure = math.log if hp.sampling == "log" else float
    target = measure(value)
    low, high = 0, hp.cardinality - 1
    while low < high:  # the first grid value >= value (the grid is sorted)
        middle = (low + high) // 2
        if measure(grid[middle]) < target:
            low = middle + 1
        else:
            high = middle
    if low > 0 and target - measure(grid[low - 1]) <= measure(grid[low]) - target:
        low -= 1
    return hp.validate(grid[low])
