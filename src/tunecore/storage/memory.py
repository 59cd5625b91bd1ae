"""A project that lives in memory only: the function tuner's default."""

from typing import Any

from tunecore.storage.base import Event, Storage


class InMemoryStorage(Storage):
    """Keeps the events of this process's search in a list, and nothing on disk.

    Attributes:
        events: Every event appended, in order.
    """

    def __init__(self) -> None:
        self.events: list[Event] = []

    def open(self, header: dict[str, Any], overwrite: bool = False) -> list[Event]:
        self.events = []
        return []

    def append(self, event: Event, sync: bool = False) -> None:
        self.events.append(event)
