"""``tunecore.load(path)``: a read-only view of any project on disk."""

import os

from tunecore.errors import TrialStateError
from tunecore.ledger import TrialLedger
from tunecore.objective import objective_from_config
from tunecore.storage import Storage, read_events


class Project:
    """What a search recorded, whatever oracle wrote it; reading it changes nothing.

    A trial that was RUNNING when the journal was read (a search in progress,
    or one that was killed) shows as RUNNING.

    Attributes:
        path: The project folder.
        oracle: The import path of the oracle class that wrote it.
        objective: Its :class:`~tunecore.Objective`.
        hyperparameters: The search space as the search last knew it.
        trials: ``{trial_id: Trial}`` with their metric histories and timestamps.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        header, events = read_events(self.path)
        self.oracle = header.get("oracle")
        self.objective = objective_from_config(header["objective"])
        ledger = TrialLedger(self.objective)
        ledger.open(_Recorded(self.path, events), header)
        self.hyperparameters = ledger.space
        self._ledger = ledger
        self.trials = ledger.trials

    def get_best_trials(self, num_trials=1):
        """The best COMPLETED trials, best first."""
        return self._ledger.best(num_trials)

    def get_trial(self, trial_id):
        return self.trials[trial_id]

    def __repr__(self):
        return f"Project({self.path!r}, oracle={self.oracle!r}, trials={len(self.trials)})"


def load(path):
    """A read-only :class:`Project` of the search kept in ``path`` (``directory/project_name``).

    Raises:
        ProjectError: ``path`` holds no tunecore journal, or a corrupt one.
    """
    return Project(path)


class _Recorded(Storage):
    """Events already read, replayed once; nothing can be added."""

    def __init__(self, project_dir, events):
        self.project_dir = project_dir
        self._events = events

    def open(self, header, overwrite=False):
        return self._events

    def append(self, event, sync=False):
        raise TrialStateError(f"{self.project_dir!r} was loaded read-only; it cannot record trials.")
