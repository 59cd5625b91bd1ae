"""Warm starts: a finished project's trials as prior observations for a new search.

``Oracle(warm_start_from=PATH)`` reads the project read-only
(:func:`tunecore.load`) once. Its COMPLETED trials are not trials of the new
search: they are never run again, not counted towards ``max_trials``, not in
its journal, and not among its best trials. Model-based oracles read them
through :meth:`tunecore.oracles.Oracle.warm_start_trials` and add them to
their model.

The spaces must be compatible: a hyperparameter both define must be of the
same kind (Float, Int, Choice...), and an unconditional hyperparameter one of
them defines must be defined by the other; otherwise the error names the
mismatched hyperparameters. Ranges may differ: a trial whose value the new
space refuses is left out.
"""

import logging
import os
from typing import TYPE_CHECKING

from tunecore import schedule
from tunecore.errors import InvalidSpaceError, ProjectError
from tunecore.project import load
from tunecore.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from tunecore.hyperparameters import HyperParameters
    from tunecore.ledger import TrialLedger

logger = logging.getLogger("tunecore")


class WarmStart:
    """The COMPLETED trials of the project at ``path``, filtered for a space.

    Raises:
        ProjectError: ``path`` holds no readable project.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        try:
            self.project = load(path)
        except (OSError, ProjectError) as exc:
            raise ProjectError(f"warm_start_from={path!r} cannot be read: {exc}") from None
        self._cache_key: tuple[str, int, int] | None = None
        self._trials: list[Trial] = []

    def trials(self, space: "HyperParameters", ledger: "TrialLedger") -> list[Trial]:
        """The project's COMPLETED trials valid in ``space`` that ``ledger`` can score.

        Raises:
            InvalidSpaceError: the spaces are not compatible (see the module docstring).
        """
        key = (str(space.get_config()), id(ledger.objective), len(ledger.constraints))
        if key == self._cache_key:
            return self._trials
        if not space.space:
            return []
        self._check_compatible(space)
        kept, refused = [], 0
        for trial in self.project.trials.values():
            if trial.status != TrialStatus.COMPLETED:
                continue
            if not _fits(space, trial.hyperparameters.values) or ledger.objective_values(trial) is None:
                refused += 1
                continue
            kept.append(trial)
        if refused:
            logger.info(
                "Warm start from %s: %d trials left out (a value outside this space, or an "
                "objective they did not report).", self.path, refused,
            )
        self._cache_key, self._trials = key, kept
        return kept

    def _check_compatible(self, space):
        old = {hp.name: hp for hp in self.project.hyperparameters.space if not schedule.is_scheduling(hp.name)}
        new = {hp.name: hp for hp in space.space if not schedule.is_scheduling(hp.name)}
        problems = []
        for name in sorted(old.keys() & new.keys()):
            if type(old[name]) is not type(new[name]):
                problems.append(f"{name!r} is {new[name]!r} here but {old[name]!r} in the project")
        missing = sorted(n for n in old.keys() - new.keys() if not old[n].conditions)
        extra = sorted(n for n in new.keys() - old.keys() if not new[n].conditions)
        if missing:
            problems.append(f"the project tunes {missing}, which this search does not define")
        if extra:
            problems.append(f"this search tunes {extra}, which the project's trials lack")
        if problems:
            raise InvalidSpaceError(
                f"warm_start_from={self.path!r} has an incompatible search space: "
                + "; ".join(problems) + ". Warm-start from a project over the same hyperparameters."
            )


def _fits(space, values):
    for name, value in values.items():
        if schedule.is_scheduling(name):
            continue
        if not space.is_defined(name):
            return False
        try:
            space.get_hyperparameter(name).validate(value)
        except (InvalidSpaceError, ValueError, TypeError):
            return False
    return True
