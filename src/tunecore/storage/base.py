"""The storage interface: where a project's events are kept.

The ledger (:mod:`tunecore.ledger`) is the only caller. It opens the storage
once, replays the events an earlier run left, then appends one event per
change of a trial. Events are JSON-serialisable dicts with an ``event`` kind
and a ``time`` (seconds since the epoch):

``space``
    The search space, when it changed (``hyperparameters``: its config).
``trial``
    A trial was created or restarted: ``trial_id``, its active ``values``
    (in the space recorded last), ``tuner_id`` when it differs from the
    previous trial's, ``attempt`` when not the first, ``oracle``: the oracle's
    state when it changed.
``metrics``
    A running trial reported ``metrics`` at ``step`` (``trial_id``).
``end``
    A trial ended: ``trial_id``, ``status``; ``values`` if it declared
    hyperparameters as it ran; ``tuner_id`` if a tuner other than the one
    that started it ran it; ``message``, ``retryable: false`` and
    ``retry: true`` when they apply; ``step`` and ``metrics`` for a final
    result reported as it ended. Its score is recomputed on replay.
``enqueue``
    ``values`` to run before new suggestions (``Oracle.enqueue``).
``stop``
    A search-wide stop was requested (``tuner.stop(everywhere=True)``, a
    shared storage): ``reason``. The drivers running then start no new trial.

What may be assumed: an open storage is used from one thread (a driver's
heartbeat thread calls :meth:`Storage.heartbeat` only); ``append(...,
sync=True)`` returns once the event would survive a crash of the machine, a
plain ``append`` once it would survive a crash of the process.

Several drivers. A storage whose ``shared`` is False (the journal, memory)
admits one open writer at a time. A shared one (a database) may be opened by
any number of drivers, processes started independently with the same
location and project name, at once. Each driver keeps its own copy of the
history, extended by :meth:`Storage.refresh` with the events the others
appended, and appends a change that others could make too (claiming a trial,
creating one, ending one) with :meth:`Storage.append_if_current`, which
appends only when the driver's copy is current: two drivers never both claim
one trial. A driver running a trial beats its heart (:meth:`Storage.heartbeat`)
every ``heartbeat_interval`` seconds; a RUNNING trial whose last beat is older
than ``grace_period`` belongs to a driver that died, and any driver may end it
(see :mod:`tunecore.ledger`).
"""

import abc
from typing import Any

from tunecore.errors import ProjectError

#: One event of a project: a JSON-serialisable dict with an ``event`` kind and a ``time``.
Event = dict[str, Any]


class Storage(abc.ABC):
    """Keeps a project's events (see the module docstring).

    Attributes:
        project_dir: The folder of a project on disk, or None in memory.
    """

    project_dir: str | None = None
    #: Several drivers may open this storage and append to it at once (see the module docstring).
    shared: bool = False
    #: Seconds between two heartbeats of a running trial, on a shared storage.
    heartbeat_interval: float = 60.0
    #: Seconds without a heartbeat after which a RUNNING trial is stale; None: twice the interval.
    grace_period: float | None = None

    @property
    def location(self) -> str:
        """Where the project is, for messages: a folder, or a URL with its password masked."""
        return self.project_dir if self.project_dir is not None else "memory"

    @abc.abstractmethod
    def open(self, header: dict[str, Any], overwrite: bool = False) -> list[Event]:
        """Open the project, creating it if needed.

        Args:
            header: Identifies the search: ``{"oracle": ..., "objective": ...}``.
            overwrite: Start afresh, discarding what an earlier run recorded.

        Returns:
            The events recorded by earlier runs (empty for a new project).

        Raises:
            ProjectError: the project is corrupt or belongs to another search.
        """

    @abc.abstractmethod
    def append(self, event: Event, sync: bool = False) -> None:
        """Record one event; ``sync=True`` also makes it durable (see the module docstring)."""

    def locate(self, index: int) -> str:
        """Where the event ``index`` is, for a message that refuses it: ``"event 3 of ..."``.

        ``index`` counts from 0 over the events this storage returned, from
        :meth:`open` then :meth:`refresh`, in order. A journal names its line.
        """
        return f"event {index + 1} of the project ({self.location})"

    def refresh(self) -> list[Event]:
        """The events other drivers appended since this one last read or appended, in order.

        A storage that is not shared has none: ``[]``.
        """
        return []

    def append_if_current(self, event: Event, sync: bool = False) -> bool:
        """Append ``event`` only if no other driver appended since this one last read.

        Returns:
            True when appended; False when another driver's events came first
            (nothing was appended: :meth:`refresh`, check the change still
            applies, and try again). A storage that is not shared always appends.
        """
        self.append(event, sync=sync)
        return True

    def heartbeat(self, trial_id: str) -> None:
        """Record that the driver running ``trial_id`` is alive (a shared storage; not an event)."""

    def heartbeats(self) -> dict[str, float]:
        """``{trial_id: time of its last heartbeat}`` of the trials that beat (see :meth:`heartbeat`)."""
        return {}

    def close(self) -> None:
        """Release what the storage holds open (a file); a later append opens it again."""


def refuse_other_search(stored: dict[str, Any], header: dict[str, Any], project: str) -> None:
    """Refuse to open ``project`` for a search whose header is not the one it holds.

    Raises:
        ProjectError: the stored oracle or objective differs from ``header``'s.
    """
    for key in ("oracle", "objective"):
        if stored.get(key) != header.get(key):
            raise ProjectError(
                f"{project} belongs to a different search: its {key} is {stored.get(key)!r}, "
                f"this search's is {header.get(key)!r}. Use another project_name, or pass "
                "`overwrite=True` to delete the old project."
            )
