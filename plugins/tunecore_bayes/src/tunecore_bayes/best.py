"""The best trial by the model: ``BayesianOptimization(best="model")``.

Under noise the best observed score is the luckiest draw, not the best
configuration: in ``benchmarks/RESULTS.md`` (issue 24, noisy38) the trial
reported as best is 1-3 noise standard deviations optimistic. Ax reports the
best point by the model's prediction instead; so does this ranking: the
completed trials by the posterior mean of a GP fitted to them alone, at each
trial's configuration. The GP is fresh, with a fixed seed, so the ranking
depends on the completed trials only (drivers sharing a search, and a resumed
search, report alike), and it is compared in the output-warped space, which is
monotone in the objective. A noise-free objective's GP interpolates, so the
ranking is then (nearly) the observed one.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunecore.trial import Trial
from tunecore_bayes.encoding import SpaceEncoder
from tunecore_bayes.gp import GaussianProcess, power_transform

_SEED = 0


class ModelRanking:
    """Ranks trials by a GP's posterior mean; the last fit is kept by its data.

    Args:
        noise_floor: Lower bound of the GP's noise variance (the oracle's ``alpha``).
        lengthscale_prior: The GP's length-scale prior (the oracle's).
        prior_mean: The GP's prior mean (the oracle's).
        max_points: The most trials modelled: the best observed ones (a fit costs
            O(n³) and ``get_best_trials`` is asked after every trial); the others
            follow them in the observed order.
    """

    def __init__(self, noise_floor: float, lengthscale_prior: str, prior_mean: str, max_points: int = 256) -> None:
        self._noise_floor, self._lengthscale_prior, self._prior_mean = noise_floor, lengthscale_prior, prior_mean
        self._max_points = max_points
        self._last: tuple[Any, np.ndarray] | None = None

    def order(self, trials: Sequence[Trial], encoder: SpaceEncoder, loss: Callable[[float], float]) -> list[Trial]:
        """``trials`` (scored, best observed first) by posterior mean, best first;
        ties keep the given order. Only finite scores are modelled: an infinitely
        good or bad one keeps its place at the head or the tail, and beyond the
        ``max_points`` best finite ones the observed order is kept. Fewer than 2
        finite scores: the given order."""
        losses = np.array([loss(float(trial.score)) for trial in trials])  # type: ignore[arg-type]  # scored
        finite = np.flatnonzero(np.isfinite(losses))
        finite, rest = finite[:self._max_points], finite[self._max_points:]
        if len(finite) < 2 or encoder.d == 0:
            return list(trials)
        X = encoder.encode_many([trials[int(i)].hyperparameters.values for i in finite])
        key = (encoder.key, X.tobytes(), losses[finite].tobytes())
        if self._last is None or self._last[0] != key:
            gp = GaussianProcess(noise_floor=self._noise_floor, seed=_SEED, prior_mean=self._prior_mean,
                                 lengthscale_prior=self._lengthscale_prior).fit(X, power_transform(losses[finite]))
            self._last = (key, gp.predict(X)[0])
        ranked = [trials[int(i)] for i in finite[np.argsort(self._last[1], kind="stable")]]
        head = [trial for trial, value in zip(trials, losses) if value == -np.inf]
        tail = [trial for trial, value in zip(trials, losses) if value == np.inf]
        return head + ranked + [trials[int(i)] for i in rest] + tail
