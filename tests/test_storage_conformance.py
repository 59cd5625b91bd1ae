"""The core's storages pass the public storage conformance suite."""

import pytest

from tunecore.storage import InMemoryStorage, JournalStorage, RecordedStorage
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


class TestRecordedStorage(StorageConformance):
    read_only = True

    @pytest.fixture
    def make_storage(self):
        return RecordedStorage

    @pytest.fixture
    def make_writer(self):
        return JournalStorage
