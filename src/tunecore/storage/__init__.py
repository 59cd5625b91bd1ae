"""Where a project's trials live between runs: a journal on disk, or memory."""

from tunecore.storage.base import Storage
from tunecore.storage.journal import JournalStorage, read_events
from tunecore.storage.memory import InMemoryStorage, SharedLog
from tunecore.storage.recorded import RecordedStorage

__all__ = ["InMemoryStorage", "JournalStorage", "RecordedStorage", "SharedLog", "Storage", "read_events"]
