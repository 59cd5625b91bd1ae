"""``LocalSearch``: an oracle that perturbs the best configuration so far."""

from typing import Any

import tunecore
from tunecore.trial import TrialStatus


class LocalSearch(tunecore.Oracle):
    """Half of the trials perturb the best configuration so far; the rest are random.

    Args:
        scale: The perturbation, in the unit interval of each continuous
            hyperparameter (a standard deviation; 0.1 by default).
        **kwargs: The arguments every oracle shares (``objective``,
            ``max_trials``, ``hyperparameters``, ``seed``...).

    Raises:
        ValueError: ``scale`` is not a positive number.
    """

    def __init__(self, scale: float = 0.1, **kwargs: Any) -> None:
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"LocalSearch got scale={scale!r}; it must be a positive number, e.g. 0.1")
        super().__init__(**kwargs)
        self.scale = float(scale)

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """The values of a new trial: a perturbed best configuration, or unseen random values."""
        values = self.random_values()
        if values is None:
            return {"status": TrialStatus.STOPPED}  # the space is exhausted
        best = self.get_best_trials(1)
        if best and self.rng.random() < 0.5:
            values = dict(best[0].hyperparameters.values)
            for hp in self.hyperparameters.space:
                if hp.name in values and hp.cardinality is None:  # continuous
                    p = hp.value_to_prob(values[hp.name]) + self.rng.normal(0.0, self.scale)
                    values[hp.name] = hp.prob_to_value(min(max(p, 0.0), 1.0))
        return {"status": TrialStatus.RUNNING, "values": values}
