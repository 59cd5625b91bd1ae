"""Random search."""

from typing import Any

from tunecore.oracles.base import Oracle
from tunecore.trial import TrialStatus


class RandomSearch(Oracle):
    """Samples every active hyperparameter uniformly in its (warped) range.

    Never repeats a configuration; a finite space is covered completely before
    the search stops as exhausted. Arguments are those of :class:`Oracle`.
    """

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        values = self.random_values()
        if values is None:
            return {"status": TrialStatus.STOPPED}
        return {"status": TrialStatus.RUNNING, "values": values}
