"""A project on disk, read and never written: ``tunecore.load`` and Keras Tuner's distributed workers."""

import os
from typing import Any

from tunecore.errors import TrialStateError
from tunecore.storage.base import Event, Storage
from tunecore.storage.journal import JOURNAL, line_of, read_events


class RecordedStorage(Storage):
    """The events of a project's journal, replayed as they are each time it is opened; nothing can be added.

    Args:
        project_dir: The project folder.
        events: Events already read from it (the first open replays these
            instead of reading the journal again).
        shared: The events were kept by a shared storage (a database that
            several drivers append to): they are replayed by its rules (the
            RUNNING trials are the drivers', late reports are skipped).
    """

    project_dir: str

    def __init__(self, project_dir: str | os.PathLike[str], events: list[Event] | None = None,
                 shared: bool = False) -> None:
        self.project_dir = os.fspath(project_dir)
        self._events = events
        self.shared = shared

    def open(self, header: dict[str, Any], overwrite: bool = False) -> list[Event]:
        events, self._events = self._events, None
        return events if events is not None else read_events(self.project_dir)[1]

    def append(self, event: Event, sync: bool = False) -> None:
        raise TrialStateError(f"{self.project_dir!r} was loaded read-only; it cannot record trials.")

    def locate(self, index: int) -> str:
        if self.shared:
            return f"event {index + 1} of the project ({self.project_dir})"
        return line_of(os.path.join(self.project_dir, JOURNAL), index)
