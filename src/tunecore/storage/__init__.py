"""Where a project's trials live between runs."""

from tunecore.storage.journal import JournalStorage

__all__ = ["JournalStorage"]
