"""One record per trial: what the ledger knows of it, and the status changes it allows.

A trial's status changes only through :meth:`TrialRecord.transition`, which
reads the status the ledger recorded (not what a caller wrote on the trial)::

    (new)   -> RUNNING                                   ask
    RUNNING -> COMPLETED | STOPPED | FAILED | INVALID    tell
    FAILED  -> RUNNING                                   a retry
    RUNNING -> RUNNING                                   rerun after an interruption
"""

import dataclasses
from typing import Any

from tunecore.errors import TrialStateError
from tunecore.storage.base import Event
from tunecore.trial import Trial, TrialStatus

_ALLOWED = {
    None: {TrialStatus.RUNNING},
    TrialStatus.RUNNING: {TrialStatus.RUNNING, *TrialStatus.FINISHED},
    TrialStatus.FAILED: {TrialStatus.RUNNING},
}


@dataclasses.dataclass(eq=False)
class TrialRecord:
    """The ledger's state of one trial.

    Attributes:
        trial: The :class:`~tunecore.Trial` callers see.
        status: Its status as the ledger recorded it. ``trial.status`` shows
            it, except between ``tell`` (or Keras Tuner code) setting the
            status a running trial will end with and the ledger ending it.
        values: The values its last ``trial`` (or ``end``) event recorded.
        started_by: The tuner id its last ``trial`` event recorded.
        stop: ``(status, reason)`` of a stop requested while it runs, or None.
        deadline: ``(monotonic deadline, limit in seconds)`` of its ``trial_timeout``, or None.
        final: Its told final result, as a ``metrics`` event written with its ``end`` event.
        interrupted: Its last end was its driver's death (found by another driver), not its own
            failure: it does not count toward ``max_consecutive_failed_trials``.
        rerun: Told to end FAILED as the search stops on a bug the user will fix: it runs
            again when the search resumes, whatever ``max_retries_per_trial`` says.
        born: How many ends the history held when the trial was created.
        ended: Its end's place among the ends of the history (0 for the first), or None
            while it has not ended (or runs again).
    """

    trial: Trial
    status: str | None = None
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    started_by: str | None = None
    stop: tuple[str, str | None] | None = None
    deadline: tuple[float, float] | None = None
    final: Event | None = None
    interrupted: bool = False
    rerun: bool = False
    born: int = 0
    ended: int | None = None

    def transition(self, new: str) -> None:
        """Move the trial from its recorded status to ``new``, or raise if its life does not allow it.

        Raises:
            TrialStateError: the change is not one of the module docstring's.
        """
        old = self.status
        if new not in _ALLOWED.get(old, ()):
            allowed = sorted(_ALLOWED.get(old, ())) or "none: it has ended"
            raise TrialStateError(
                f"Trial {self.trial.trial_id} cannot go from {old or 'new'} to {new}; allowed: {allowed}."
            )
        self.status = self.trial.status = new

    def forget_run(self) -> None:
        """Drop what belonged to its last run (a stop request, a deadline, a final result)."""
        self.stop = self.deadline = self.final = None
