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

What may be assumed: one process holds an open storage at a time, and it is
used from one thread; ``append(..., sync=True)`` returns once the event would
survive a crash of the machine, a plain ``append`` once it would survive a
crash of the process.
"""

import abc
from typing import Any

#: One event of a project: a JSON-serialisable dict with an ``event`` kind and a ``time``.
Event = dict[str, Any]


class Storage(abc.ABC):
    """Keeps a project's events (see the module docstring).

    Attributes:
        project_dir: The folder of a project on disk, or None in memory.
    """

    project_dir: str | None = None

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

    def close(self) -> None:
        """Release what the storage holds open (a file); a later append opens it again."""
