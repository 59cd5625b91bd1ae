"""Where a project's trials live between runs: a journal on disk, memory, or a database."""

from tunecore.storage.base import Storage
from tunecore.storage.journal import JournalStorage, read_events, write_events
from tunecore.storage.memory import InMemoryStorage, SharedLog
from tunecore.storage.recorded import RecordedStorage
from tunecore.storage.resolve import resolve_storage
from tunecore.storage.sql import SQLStorage
from tunecore.storage.urls import is_url, mask_url

__all__ = [
    "InMemoryStorage", "JournalStorage", "RecordedStorage", "SQLStorage", "SharedLog", "Storage", "is_url", "mask_url",
    "read_events", "resolve_storage", "write_events",
]
