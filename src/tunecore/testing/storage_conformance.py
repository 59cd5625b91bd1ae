"""The contract every storage keeps (see :mod:`tunecore.storage.base`).

A storage declares what it promises beyond the contract with class
attributes of the suite, and the tests of promises it does not make are
skipped: ``persistent`` (a new instance on the same location reads back what
an earlier one wrote), ``read_only`` (it reads projects that another
storage, the ``make_writer`` fixture's, wrote, and refuses to append) and
``shared`` (several instances on one location are drivers of one search:
``refresh``, ``append_if_current``, heartbeats).
"""

import json
import os
import time
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
        shared: Storages made on one location at once share the project as
            drivers of one search do (``storage.shared`` is True).
    """

    persistent: bool = True
    read_only: bool = False
    shared: bool = False

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

    def test_an_event_that_breaks_its_trials_life_is_refused_naming_its_place(
            self, make_storage: MakeStorage, make_writer: MakeStorage, location: str) -> None:
        self._require("persistent", "a search reads back what it kept")
        first = _oracle()
        first.open(make_writer(location))
        ended = run_trials(first, lambda values: values["lr"], n=1)[0]
        first.close()
        writer = first.ledger.storage  # appending after close() reopens the project
        writer.append({"event": "end", "time": time.time(), "trial_id": ended.trial_id, "status": "COMPLETED"},
                      sync=True)  # the trial ends a second time
        writer.close()
        storage = make_storage(location)
        with pytest.raises(ProjectError, match="breaks its trial's life") as refused:
            _oracle().open(storage)
        message = str(refused.value).lower()
        places = [storage.locate(index) for index in range(100)]
        assert all(isinstance(place, str) for place in places)
        assert any(message.startswith(place.lower() + " ") for place in places), (message, places[:3])

    # Several drivers (``shared``) ---------------------------------------------------

    def _drivers(self, make_storage: MakeStorage, location: str, n: int = 2) -> list[Storage]:
        self._require("shared", "several drivers share one project")
        drivers = [make_storage(location) for _ in range(n)]
        for storage in drivers:
            assert storage.shared
            storage.open(dict(_HEADER))
        return drivers

    def test_a_driver_sees_what_another_appended(self, make_storage: MakeStorage, location: str) -> None:
        first, second = self._drivers(make_storage, location)
        events = _events()
        first.append(events[0])
        first.append(events[1])
        assert second.refresh() == events[:2]
        assert second.refresh() == []
        second.append(events[2])
        assert first.refresh() == [events[2]]
        assert first.refresh() == []  # its own events are never handed back
        third = make_storage(location)
        assert third.open(dict(_HEADER)) == events[:3]
        for storage in (first, second, third):
            storage.close()

    def test_append_if_current_refuses_a_stale_copy(self, make_storage: MakeStorage, location: str) -> None:
        first, second = self._drivers(make_storage, location)
        events = _events()
        assert first.append_if_current(events[1])
        assert not second.append_if_current({**events[1], "tuner_id": "second"})  # it has not read the first's
        assert second.refresh() == [events[1]]
        assert second.append_if_current(events[2])
        assert first.append_if_current(events[3]) is False
        assert first.refresh() == [events[2]]
        first.append(events[3])  # a plain append does not need a current copy
        assert first.append_if_current(events[4])  # nor does it make the copy stale
        assert make_storage(location).open(dict(_HEADER)) == events[1:]

    def test_only_one_of_two_racing_claims_is_appended(self, make_storage: MakeStorage, location: str) -> None:
        drivers = self._drivers(make_storage, location, n=3)
        claims = [{**_events()[1], "tuner_id": f"driver{i}"} for i in range(3)]
        assert [storage.append_if_current(claim) for storage, claim in zip(drivers, claims)] == [True, False, False]
        assert make_storage(location).open(dict(_HEADER)) == claims[:1]

    def test_heartbeats_are_seen_by_every_driver(self, make_storage: MakeStorage, location: str) -> None:
        first, second = self._drivers(make_storage, location)
        assert first.heartbeat_interval > 0
        before = time.time()
        first.heartbeat("00")
        beats = second.heartbeats()
        assert set(beats) == {"00"} and before - 1.0 <= beats["00"] <= time.time() + 1.0
        second.heartbeat("01")
        assert set(first.heartbeats()) == {"00", "01"}

    def test_oracles_on_two_drivers_share_one_search(self, make_storage: MakeStorage, location: str) -> None:
        self._require("shared", "several drivers share one project")
        first, second = _oracle(max_trials=4), _oracle(max_trials=4)
        first.open(make_storage(location))
        second.open(make_storage(location))
        a, b = first.ask("a"), second.ask("b")
        assert a.trial_id != b.trial_id and a.hyperparameters.values != b.hyperparameters.values
        first.tell(a.trial_id, 1.0)
        second.tell(b.trial_id, 2.0)
        assert [t.trial_id for t in run_trials(first, lambda values: values["lr"], n=10)] == ["02", "03"]
        assert second.ask("b").status in ("STOPPED", "IDLE") and len(second.trials) == 4
        assert all(t.status == "COMPLETED" for t in second.trials.values())
