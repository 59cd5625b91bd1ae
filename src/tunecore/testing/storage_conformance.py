"""The contract every storage keeps (see :mod:`tunecore.storage.base`).

A storage declares what it promises beyond the contract with two class
attributes of the suite, and the tests of promises it does not make are
skipped: ``persistent`` (a new instance on the same location reads back what
an earlier one wrote) and ``read_only`` (it reads projects that another
storage, the ``make_writer`` fixture's, wrote, and refuses to append).
"""

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from tunecore.errors import ProjectError, TunecoreError
from tunecore.hyperparameters import HyperParameters
from tunecore.oracles.random import RandomSearch
from tunecore.storage.base import Event, Storage
from tunecore.testing.oracle_conformance import run_trials

#: ``make_storage(location) -> Storage``: what the ``make_storage`` fixture returns.
MakeStorage = Callable[[str], Storage]

_HEADER = {"oracle": "RandomSearchOracle", "objective": {"name": "loss", "direction": "min"}}


def _events() -> list[Event]:
    """One event of each kind the ledger writes, with the values JSON can carry."""
    return [
        {"event": "space", "time": 1.5, "hyperparameters": {"space": [{"class_name": "Float", "name": "lr"}]}},
        {"event": "trial", "time": 2.0, "trial_id": "00", "values": {"lr": 0.01, "act": "gélu", "bn": True},
         "tuner_id": "tuner0", "oracle": {"seed": 3, "queue": []}},
        {"event": "metrics", "time": 2.25, "trial_id": "00", "step": 0, "metrics": {"loss": 0.75}},
        {"event": "metrics", "time": 2.5, "trial_id": "00", "step": 1, "metrics": {"loss": 1e-300}},
        {"event": "end", "time": 3.0, "trial_id": "00", "status": "COMPLETED", "message": None,
         "step": 1, "metrics": {"loss": 0.5, "accuracy": -1.25}},
    ]


def _space() -> HyperParameters:
    hp = HyperParameters()
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    hp.Choice("act", ["relu", "tanh"])
    return hp


def _oracle(max_trials: int = 4) -> RandomSearch:
    return RandomSearch(objective="loss", max_trials=max_trials, hyperparameters=_space(), seed=7)


class StorageConformance:
    """Contract tests; subclasses provide ``make_storage(location)`` as a fixture.

    ``location`` is an empty folder, a fresh one per test; ``make_storage``
    returns a new, unopened storage for the project kept there (a storage
    that keeps nothing on disk may ignore it). Set the capabilities the
    storage claims:

    Attributes:
        persistent: A new storage on the same location opens with the events
            an earlier one appended (a journal: True; memory: False).
        read_only: ``append`` is refused; the tests read projects written by
            the storage that ``make_writer`` makes.
    """

    persistent: bool = True
    read_only: bool = False

    @pytest.fixture
    def make_storage(self) -> MakeStorage:
        """Override: return ``make_storage(location) -> Storage``, a new storage per call."""
        raise NotImplementedError("Provide a make_storage fixture.")

    @pytest.fixture
    def make_writer(self, make_storage: MakeStorage) -> MakeStorage:
        """What writes the projects that the tests read back: the storage itself, unless it is read-only."""
        return make_storage

    @pytest.fixture
    def location(self, tmp_path: Any) -> str:
        """The project's folder, empty."""
        return os.fspath(tmp_path / "project")

    def _require(self, capability: str, why: str) -> None:
        if not getattr(self, capability):
            pytest.skip(f"{type(self).__name__} does not claim {capability}: {why}")

    def _write(self, make_writer: MakeStorage, location: str, events: list[Event],
               overwrite: bool = False) -> None:
        writer = make_writer(location)
        writer.open(dict(_HEADER), overwrite=overwrite)
        for event in events:
            writer.append(event, sync=event["event"] == "end")
        writer.close()

    def test_a_new_project_opens_empty(self, make_storage: MakeStorage, location: str) -> None:
        if self.read_only:
            pytest.skip("a read-only storage opens only projects that exist")
        assert make_storage(location).open(dict(_HEADER)) == []

    def test_project_dir_is_a_folder_or_none(self, make_storage: MakeStorage, make_writer: MakeStorage,
                                             location: str) -> None:
        self._write(make_writer, location, [])
        storage = make_storage(location)
        storage.open(dict(_HEADER))
        assert storage.project_dir is None or os.path.isdir(storage.project_dir)

    def test_every_kind_of_event_is_accepted(self, make_storage: MakeStorage, location: str) -> None:
        if self.read_only:
            pytest.skip("a read-only storage appends nothing")
        storage = make_storage(location)
        storage.open(dict(_HEADER))
        for event in _events():
            storage.append(event)
        storage.append({"event": "end", "time": 4.0, "trial_id": "01", "status": "FAILED"}, sync=True)
        storage.close()

    def test_events_are_read_back_in_order(self, make_storage: MakeStorage, make_writer: MakeStorage,
                                           location: str) -> None:
        self._require("persistent", "a new storage on the same location reads what was written")
        self._write(make_writer, location, _events())
        read = make_storage(location).open(dict(_HEADER))
        assert read == json.loads(json.dumps(_events()))

    def test_appending_after_close_reopens_the_project(self, make_storage: MakeStorage, location: str) -> None:
        self._require("persistent", "what is appended after close() is read back")
        if self.read_only:
            pytest.skip("a read-only storage appends nothing")
        first, second = _events()[:2], _events()[2:]
        storage = make_storage(location)
        storage.open(dict(_HEADER))
        for event in first:
            storage.append(event)
        storage.close()
        for event in second:
            storage.append(event)
        storage.close()
        assert make_storage(location).open(dict(_HEADER)) == first + second

    def test_each_reopen_adds_to_the_project(self, make_storage: MakeStorage, make_writer: MakeStorage,
                                             location: str) -> None:
        self._require("persistent", "a project grows over several runs")
        events = _events()
        self._write(make_writer, location, events[:3])
        self._write(make_writer, location, events[3:])
        assert make_storage(location).open(dict(_HEADER)) == events

    def test_overwrite_discards_what_was_recorded(self, make_storage: MakeStorage, location: str) -> None:
        self._require("persistent", "there is something to discard")
        if self.read_only:
            pytest.skip("a read-only storage deletes nothing")
        events = _events()
        self._write(make_storage, location, events[:3])
        storage = make_storage(location)
        assert storage.open(dict(_HEADER), overwrite=True) == []
        storage.append(events[3])
        storage.close()
        assert make_storage(location).open(dict(_HEADER)) == [events[3]]

    def test_a_project_of_another_search_is_refused(self, make_storage: MakeStorage, location: str) -> None:
        self._require("persistent", "a project kept from another search can be opened")
        if self.read_only:
            pytest.skip("a read-only storage reads any project")
        self._write(make_storage, location, _events())
        for key, value in (("oracle", "GridSearchOracle"), ("objective", {"name": "acc", "direction": "max"})):
            with pytest.raises(ProjectError):
                make_storage(location).open({**_HEADER, key: value})
        assert make_storage(location).open(dict(_HEADER)) == _events()

    def test_appending_is_refused_and_changes_nothing(self, make_storage: MakeStorage, make_writer: MakeStorage,
                                                      location: str) -> None:
        self._require("read_only", "append is refused")
        self._write(make_writer, location, _events()[:2])
        storage = make_storage(location)
        storage.open(dict(_HEADER))
        with pytest.raises(TunecoreError):
            storage.append(_events()[2], sync=True)
        storage.close()
        assert make_storage(location).open(dict(_HEADER)) == _events()[:2]

    def test_an_oracle_resumes_every_trial_from_it(self, make_storage: MakeStorage, make_writer: MakeStorage,
                                                    location: str) -> None:
        self._require("persistent", "a search resumes from what it kept")
        first = _oracle()
        first.open(make_writer(location))
        ended = run_trials(first, lambda values: values["lr"], n=3)
        first.close()
        again = _oracle()
        again.open(make_storage(location))
        assert [again.trials[t.trial_id].hyperparameters.values for t in ended] == [
            t.hyperparameters.values for t in ended
        ]
        assert [again.trials[t.trial_id].score for t in ended] == [t.score for t in ended]
        assert len(again.trials) == 3
