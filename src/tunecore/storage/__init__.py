"""Where a project's trials live between runs: a journal on disk, or memory."""

from tunecore.storage.base import Storage
from tunecore.storage.journal import JournalStorage, read_events
from tunecore.storage.memory import InMemoryStorage

__all__ = ["InMemoryStorage", "JournalStorage", "Storage", "read_events"]
