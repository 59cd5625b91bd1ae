"""A project that lives in memory only: the function tuner's default."""

from tunecore.storage.base import Storage


class InMemoryStorage(Storage):
    """Keeps the events of this process's search in a list, and nothing on disk.

    Attributes:
        events: Every event appended, in order.
    """

    def __init__(self):
        self.events = []

    def open(self, header, overwrite=False):
        self.events = []
        return []

    def append(self, event, sync=False):
        self.events.append(event)
