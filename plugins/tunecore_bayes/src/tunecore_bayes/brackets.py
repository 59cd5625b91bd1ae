"""Successive-halving schedules: Hyperband's brackets and ASHA's rungs.

Hyperband (Li et al., "Hyperband: A Novel Bandit-Based Approach to
Hyperparameter Optimization", JMLR 18, 2018), with Keras Tuner 1.4's rounding,
whose numbers this reproduces exactly. Notation:

* ``R``: ``max_epochs``, the most epochs one configuration trains.
* ``eta``: ``factor``, the ratio between successive rungs.
* ``S = #{k >= 0 : R / eta**k >= 1}``: the number of brackets, ``s = S-1 .. 0``.
  Bracket ``S-1`` halves most aggressively; bracket 0 trains every
  configuration for ``R`` epochs (plain random search).
* ``r = 0 .. s``: a rung of bracket ``s`` (Keras Tuner's "round").
* ``B = ceil(1 + log_eta(R))``: configurations in the last rung of bracket 0.
* ``n(s, r) = ceil(B / (s+1) * eta**(s-r))``: trials in rung ``r`` of bracket ``s``;
  the best ``n(s, r+1)`` of rung ``r`` continue in rung ``r+1``.
* ``e(s, r) = ceil(R / eta**(s-r))``: epochs a configuration has trained at the
  end of rung ``r``. A promoted trial continues its parent's checkpoint, from
  ``e(s, r-1)`` to ``e(s, r)``.

With ``R = 27, eta = 3``: ``n = 27 9 3 1 | 12 4 2 | 6 2 | 4``, 70 trials, 375 epochs.

ASHA (Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys
2020) keeps one open-ended bracket whose rung ``k`` trains to
``min_epochs * eta**k`` epochs, the last rung to ``R``; a configuration moves up
once it ranks in the top ``floor(m / eta)`` of the ``m`` completed at its rung.
"""

import math


def _check(max_epochs, factor, min_epochs=1):
    for name, value in (("max_epochs", max_epochs), ("factor", factor), ("min_epochs", min_epochs)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int; got {value!r}.")
    if factor < 2:
        raise ValueError(f"factor needs to be an int of at least 2; got {factor!r}.")
    if min_epochs < 1:
        raise ValueError(f"min_epochs must be at least 1; got {min_epochs!r}.")
    if max_epochs < min_epochs:
        raise ValueError(
            f"max_epochs must be at least min_epochs ({min_epochs}); got {max_epochs!r}."
        )


class HyperbandSchedule:
    """Sizes and budgets of Hyperband's brackets.

    Args:
        max_epochs: ``R``.
        factor: ``eta``.

    Raises:
        TypeError: an argument is not an int.
        ValueError: ``factor < 2`` or ``max_epochs < 1``.
    """

    def __init__(self, max_epochs: int, factor: int) -> None:
        _check(max_epochs, factor)
        self.max_epochs = max_epochs
        self.factor = factor
        epochs: float
        epochs, self.num_brackets = max_epochs, 0
        while epochs >= 1:
            epochs /= factor
            self.num_brackets += 1
        self._last_rung_of_bracket0 = math.ceil(1 + math.log(max_epochs, factor))

    def size(self, bracket: int, rung: int) -> int:
        """``n(s, r)``: how many trials rung ``rung`` of bracket ``bracket`` holds."""
        return math.ceil(self._last_rung_of_bracket0 / (bracket + 1) * self.factor ** (bracket - rung))

    def epochs(self, bracket: int, rung: int) -> int:
        """``e(s, r)``: epochs trained by the end of rung ``rung`` of bracket ``bracket``."""
        return math.ceil(self.max_epochs / self.factor ** (bracket - rung))

    def initial_epoch(self, bracket: int, rung: int) -> int:
        """The epoch a trial of rung ``rung`` starts from (its parent's last one)."""
        return 0 if rung == 0 else self.epochs(bracket, rung - 1)

    def brackets(self) -> list[int]:
        """The brackets of one iteration, in the order they run: ``S-1`` down to 0."""
        return list(range(self.num_brackets - 1, -1, -1))


def asha_rungs(max_epochs: int, factor: int, min_epochs: int = 1) -> list[int]:
    """ASHA's rung budgets: ``min_epochs * factor**k`` below ``max_epochs``, then ``max_epochs``.

    Raises:
        TypeError: an argument is not an int.
        ValueError: ``factor < 2``, ``min_epochs < 1`` or ``max_epochs < min_epochs``.
    """
    _check(max_epochs, factor, min_epochs)
    rungs: list[int]
    rungs, epochs = [], min_epochs
    while epochs < max_epochs:
        rungs.append(epochs)
        epochs *= factor
    return rungs + [max_epochs]


def asha_promotable(completed: int, factor: int) -> int:
    """How many of the ``completed`` trials of a rung rank high enough to move up."""
    return completed // factor
