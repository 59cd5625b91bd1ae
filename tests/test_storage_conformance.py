"""The core's storages pass the public storage conformance suite."""

import pytest

from tunecore.storage import InMemoryStorage, JournalStorage, RecordedStorage, SharedLog
from tunecore.testing import StorageConformance


class TestJournalStorage(StorageConformance):
    @pytest.fixture
    def make_storage(self):
        return JournalStorage


class TestInMemoryStorage(StorageConformance):
    persistent = False

    @pytest.fixture
    def make_storage(self):
        return lambda location: InMemoryStorage()


class TestSharedInMemoryStorage(StorageConformance):
    """Drivers in one process (threads) sharing a SharedLog, the test double of a database."""

    persistent = False
    shared = True

    @pytest.fixture
    def make_storage(self):
        logs = {}
        return lambda location: InMemoryStorage(log=logs.setdefault(location, SharedLog()))


class TestRecordedStorage(StorageConformance):
    read_only = True

    @pytest.fixture
    def make_storage(self):
        return RecordedStorage

    @pytest.fixture
    def make_writer(self):
        return JournalStorage


class _ReorderingStorage(JournalStorage):
    """Breaks the contract: reads the events back newest first."""

    def open(self, header, overwrite=False):
        return list(reversed(super().open(header, overwrite=overwrite)))


def test_the_suite_fails_a_storage_that_reorders_events(tmp_path):
    suite = StorageConformance()
    with pytest.raises(AssertionError):
        suite.test_events_are_read_back_in_order(_ReorderingStorage, _ReorderingStorage, str(tmp_path / "p"))
