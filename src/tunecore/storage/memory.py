"""A project that lives in memory only: the function tuner's default, and a shared one for tests.

:class:`SharedLog` is what a database is to several driver processes, for
drivers in one process (threads): one history that every
``InMemoryStorage(log=...)`` on it reads and appends to. It keeps the shared
storage contract (:mod:`tunecore.storage.base`) with a lock instead of
transactions, and copies every event through JSON as a database would, so
that no two drivers ever share a mutable event.
"""

import json
import threading
import time
from typing import Any

from tunecore.errors import ProjectError
from tunecore.storage.base import Event, Storage


class SharedLog:
    """One project's history, shared by the :class:`InMemoryStorage` objects opened on it.

    Attributes:
        events: Every event appended by any driver, in the order they were appended.
        header: The header of the search that created it, or None while empty.
        beats: ``{trial_id: time of its last heartbeat}``.
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.header: dict[str, Any] | None = None
        self.beats: dict[str, float] = {}
        self.lock = threading.Lock()


class InMemoryStorage(Storage):
    """Keeps a search's events in memory, and nothing on disk.

    Args:
        log: A :class:`SharedLog` to share with other drivers (the storage is
            then ``shared``); None: this storage's own list, one writer.
        heartbeat_interval: Seconds between two heartbeats of a running trial (shared only).
        grace_period: Seconds without a heartbeat after which a running trial
            is stale (shared only; None: twice the interval).

    Attributes:
        events: The events this storage appended, in order (not shared); the
            whole shared history (shared).
    """

    def __init__(self, log: SharedLog | None = None, heartbeat_interval: float | None = None,
                 grace_period: float | None = None) -> None:
        self._log = log
        self.shared = log is not None
        if heartbeat_interval is not None:
            _check_seconds("heartbeat_interval", heartbeat_interval)
            self.heartbeat_interval = float(heartbeat_interval)
        if grace_period is not None:
            _check_seconds("grace_period", grace_period)
            self.grace_period = float(grace_period)
        self._events: list[Event] = []
        self._seen = 0  # events of the log this driver has read or appended
        self._own: set[int] = set()  # positions of this driver's plain appends not yet read past

    @property
    def events(self) -> list[Event]:
        return self._events if self._log is None else self._log.events

    @property
    def location(self) -> str:
        return "memory" if self._log is None else f"memory (shared log {id(self._log):#x})"

    def open(self, header: dict[str, Any], overwrite: bool = False) -> list[Event]:
        log = self._log
        if log is None:
            self._events = []
            return []
        header = _copy(header)
        with log.lock:
            if overwrite:
                log.events.clear()
                log.beats.clear()
                log.header = None
            if log.header is None or not log.events:
                log.header = header
            elif log.header != header:
                raise ProjectError(
                    f"The shared log holds another search (oracle {log.header.get('oracle')!r}, "
                    f"objective {log.header.get('objective')!r}); this one is {header.get('oracle')!r} "
                    f"with {header.get('objective')!r}. Use another SharedLog, or overwrite=True."
                )
            self._seen, self._own = len(log.events), set()
            return [_copy(event) for event in log.events]

    def append(self, event: Event, sync: bool = False) -> None:
        log = self._log
        if log is None:
            self._events.append(event)
            return
        with log.lock:
            self._own.add(len(log.events))
            log.events.append(_copy(event))

    def append_if_current(self, event: Event, sync: bool = False) -> bool:
        log = self._log
        if log is None:
            self._events.append(event)
            return True
        with log.lock:
            if any(i not in self._own for i in range(self._seen, len(log.events))):
                return False
            log.events.append(_copy(event))
            self._seen, self._own = len(log.events), set()
            return True

    def refresh(self) -> list[Event]:
        log = self._log
        if log is None:
            return []
        with log.lock:
            new = [_copy(log.events[i]) for i in range(self._seen, len(log.events)) if i not in self._own]
            self._seen, self._own = len(log.events), set()
            return new

    def heartbeat(self, trial_id: str) -> None:
        if self._log is not None:
            with self._log.lock:
                self._log.beats[trial_id] = time.time()

    def heartbeats(self) -> dict[str, float]:
        if self._log is None:
            return {}
        with self._log.lock:
            return dict(self._log.beats)


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _check_seconds(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"InMemoryStorage: {name} must be a number of seconds > 0; got {value!r}.")
