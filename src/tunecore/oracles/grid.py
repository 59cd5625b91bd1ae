"""Grid search."""

from tunecore.hyperparameters.walk import iter_grid
from tunecore.oracles.base import Oracle
from tunecore.trial import TrialStatus


class GridSearch(Oracle):
    """Tries every combination, in Keras Tuner's order (the last hyperparameter varies fastest).

    A ``Float`` without ``step`` contributes 10 values evenly spaced in its
    sampling scale. Hyperparameters declared by the trials themselves join the
    grid as they appear. The grid resumes where it stopped: combinations already
    tried, in this run or an earlier one, are skipped. Arguments are those of
    :class:`Oracle`; ``max_trials=None`` runs the whole grid.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._grid = None
        self._grid_space = None

    def populate_space(self, trial_id):
        space = self.hyperparameters.space
        key = [hp.name for hp in space]
        if self._grid is None or key != self._grid_space:
            self._grid, self._grid_space = iter_grid(space), key
        for values in self._grid:
            if not self.is_tried(values):
                return {"status": TrialStatus.RUNNING, "values": values}
        return {"status": TrialStatus.STOPPED}
