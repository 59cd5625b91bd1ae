"""Replay's check of each trial's life: a recorded event must fit the life of its trial.

The live ledger cannot write an event that breaks a trial's life
(:meth:`~tunecore.ledger.records.TrialRecord.transition` refuses it), but a
storage can still hand one back: a journal of format 2, whose records are
checked one by one, with a record duplicated or copied in; a storage of a
third party. Replay therefore checks every event against its trial's life
before the ledger applies it, and refuses one that does not fit, naming its
place (:meth:`Storage.locate <tunecore.storage.Storage.locate>`) and the
place of the event it contradicts.

The rules are one table, :data:`LIFE_CYCLE`: ``(state, step) -> state after``.
A trial's states: ``NEW`` (nothing recorded yet), ``RUNNING``, ``RETRY``
(ended FAILED, to run again), ``ENDED``. What an event does, its step:

``create``     a ``trial`` event of the first attempt
``restart``    a ``trial`` event of a later attempt; its ``attempt`` is the last one plus 1
``report``     a ``metrics`` event
``end``        an ``end`` event; ``end-retry`` when it says ``retry: true``

A shared storage (several drivers, :attr:`Storage.shared
<tunecore.storage.Storage.shared>`) allows :data:`SHARED_LIFE_CYCLE` too.
Events of other kinds (``space``, ``enqueue``) belong to no trial and pass.
An event too malformed to tell its step passes too: the ledger's reading of
it names what is wrong.
"""

from collections.abc import Callable, Mapping
from typing import Any

from tunecore.trial import TrialStatus

NEW, RUNNING, RETRY, ENDED = "new", "running", "to run again", "ended"

#: ``(state, step) -> state after``: every step a trial's life allows (see the module docstring).
LIFE_CYCLE: dict[tuple[str, str], str] = {
    (NEW, "create"): RUNNING,
    (RUNNING, "report"): RUNNING,
    (RUNNING, "end"): ENDED,
    (RUNNING, "end-retry"): RETRY,
    (RETRY, "restart"): RUNNING,  # a retry of a failed trial
    (RUNNING, "restart"): RUNNING,  # a trial an interrupted search left running, run again
}

#: What a shared storage allows as well: steps that another driver's view makes legitimate.
#: A driver that stopped beating its heart may still report after another driver ended its
#: trial (and maybe started it again): such a late report (of an ended attempt, or of an
#: earlier attempt than the one running: reports carry their ``attempt``) is allowed and
#: skipped, never applied (see :meth:`LifeCycle.check`). A new attempt of a RUNNING trial (another driver
#: taking over a stale one) is a ``restart`` of :data:`LIFE_CYCLE`.
SHARED_LIFE_CYCLE: dict[tuple[str, str], str] = {
    (ENDED, "report"): ENDED,
    (RETRY, "report"): RETRY,
}

_WHAT = {
    "create": "creates trial {trial}",
    "restart": "starts attempt {attempt} of trial {trial}",
    "report": "is a report of trial {trial}",
    "end": "ends trial {trial}",
    "end-retry": "ends trial {trial}",
}


class LifeCycleError(ValueError):
    """An event that breaks its trial's life (the ledger turns it into a ProjectError naming its place)."""


class _Life:
    """A trial's replayed state, its attempt, the place of the event that set them, how it ended."""

    __slots__ = ("attempt", "index", "state", "status")

    def __init__(self) -> None:
        self.state, self.attempt, self.index, self.status = NEW, 0, -1, ""


class LifeCycle:
    """The replayed life of each trial of one storage, checked event by event.

    Args:
        locate: The storage's :meth:`~tunecore.storage.Storage.locate`, to
            name the event an event contradicts.
        shared: Allow :data:`SHARED_LIFE_CYCLE` too.
    """

    def __init__(self, locate: Callable[[int], str], shared: bool = False) -> None:
        self.rules = {**LIFE_CYCLE, **(SHARED_LIFE_CYCLE if shared else {})}
        self.shared = shared
        self._locate = locate
        self._lives: dict[str, _Life] = {}

    def check(self, index: int, event: Mapping[str, Any]) -> bool:
        """Check event ``index`` against its trial's life, and move the life on.

        Returns:
            Whether to apply the event: False for a report the life allows but
            that changes nothing (a late report of a trial another driver
            ended, on a shared storage).

        Raises:
            LifeCycleError: the event breaks the life (the message says how).
        """
        step = _step(event)
        if step is None:
            return True
        trial_id = event["trial_id"]
        life = self._lives.get(trial_id)
        if life is None:
            life = self._lives[trial_id] = _Life()
        after = self.rules.get((life.state, step))
        if step == "report":  # the most frequent step, which leaves the state (and its place) as it was
            if after is None:
                raise LifeCycleError(self._why(trial_id, life, step, life.attempt))
            # Reports carry their attempt on a shared storage: one of an earlier run is late too.
            return life.state == RUNNING and (not self.shared or event.get("attempt", 1) == life.attempt)
        attempt = event.get("attempt", 1) if step in ("create", "restart") else life.attempt
        if after is None or (step == "restart" and attempt != life.attempt + 1):
            raise LifeCycleError(self._why(trial_id, life, step, attempt))
        life.state, life.attempt, life.index = after, attempt, index
        if after != RUNNING:
            life.status = event["status"]
        return True

    def _why(self, trial_id, life, step, attempt):
        what = _WHAT[step].format(trial=repr(trial_id), attempt=attempt)
        if life.state == NEW:
            return f"it {what}, which was never created"
        where = self._locate(life.index)
        if step == "create":
            return f"it {what} again (it was started at {where})"
        if step == "restart" and life.state != ENDED:
            return f"it {what}, but the attempt before it was attempt {life.attempt} ({where})"
        if life.state == ENDED:
            return f"it {what}, which ended {life.status} at {where}; a trial ends once and is not run again"
        if life.state == RETRY:
            return f"it {what}, which ended {life.status} at {where} and did not run again since"
        return f"it {what}, which is {life.state} since {where}"


def _step(event):
    """What ``event`` does to its trial, or None (no trial, or too malformed to tell)."""
    kind = event.get("event")
    if kind == "metrics":
        return "report" if type(event.get("trial_id")) is str and type(event.get("metrics")) is dict else None
    if kind == "trial":
        attempt = event.get("attempt", 1)
        if type(event.get("trial_id")) is not str or type(attempt) is not int or attempt < 1:
            return None
        return "create" if attempt == 1 else "restart"
    if kind == "end":
        if type(event.get("trial_id")) is not str or event.get("status") not in _FINAL:
            return None
        return "end-retry" if event.get("retry") is True else "end"
    return None


_FINAL = frozenset(TrialStatus.FINISHED)
