"""Several drivers on one shared storage: heartbeats, stale trials, bounded claims.

Any number of drivers (processes started independently, a SLURM array job)
may share one search in a shared storage (:mod:`tunecore.storage.base`).
Each driver's ledger keeps its own copy of the history and catches up with
the others' events; a change that two drivers could both make (creating a
trial, starting one again, ending one) is appended only when the copy is
current, and otherwise decided again after catching up. A driver that keeps
losing that race gives up with :class:`~tunecore.errors.ContentionError`
after :data:`MAX_TRIES` tries, rather than spin for ever.

A driver that dies (SIGKILL, a lost node) leaves its trials RUNNING. While it
lives, a :class:`Heartbeat` thread beats for each of them every
``heartbeat_interval`` seconds (Optuna's heartbeat); a trial whose last beat
(or start) is older than the ``grace_period`` is stale, and the next driver to
notice ends it FAILED, to be retried per ``max_retries_per_trial``.
"""

import itertools
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterable, Mapping

from tunecore.errors import ContentionError
from tunecore.storage.base import Storage
from tunecore.trial import Trial

logger = logging.getLogger("tunecore")

#: How often a driver tries to record one change before :class:`ContentionError`.
MAX_TRIES = 200


_DRIVERS = itertools.count(1)


def driver_name() -> str:
    """A tuner id that no other driver of a shared search has: ``host-pid``, then ``host-pid-2``... in one process.

    A shared search's history tells its drivers apart by the tuner ids its
    trials record, and a stale trial's message names its driver by it.
    """
    number = next(_DRIVERS)
    name = f"{socket.gethostname()}-{os.getpid()}"
    return name if number == 1 else f"{name}-{number}"


def grace_period(storage: Storage) -> float:
    """Seconds without a heartbeat after which a running trial of ``storage`` is stale."""
    grace = storage.grace_period
    return 2.0 * storage.heartbeat_interval if grace is None else float(grace)


def stale(ongoing: Mapping[str, Trial], own: Iterable[str], beats: Mapping[str, float],
          grace: float, now: float) -> dict[str, float]:
    """``{trial_id: seconds since its last sign of life}`` of the running trials of other drivers
    whose last heartbeat (or start, if it never beat) is older than ``grace``."""
    own = set(own)
    found = {}
    for trial_id, trial in ongoing.items():
        if trial_id in own:
            continue
        last = max(beats.get(trial_id, 0.0), trial.started_at or 0.0)
        if now - last > grace:
            found[trial_id] = now - last
    return found


def backoff(tries: int) -> None:
    """Wait a little, at random, before the next try of a claim that others keep winning."""
    if tries >= 2:
        time.sleep(random.uniform(0.0, min(0.001 * 2 ** min(tries, 8), 0.2)))


def contention(storage: Storage, what: str) -> ContentionError:
    return ContentionError(
        f"Could not record {what} in {storage.location}: other drivers appended first "
        f"{MAX_TRIES} times in a row. The storage is too busy for this many drivers; "
        "start fewer, or give their trials more work each."
    )


class Heartbeat:
    """Beats for this driver's running trials in a daemon thread, every ``heartbeat_interval`` seconds.

    Args:
        storage: The shared storage to beat in (its :meth:`~tunecore.storage.Storage.heartbeat`).
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._trials: set[str] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    def add(self, trial_id: str) -> None:
        """Beat for ``trial_id`` from now on (its start counts as its first beat)."""
        with self._lock:
            self._trials.add(trial_id)
        if self._thread is None:
            self._stopped.clear()
            self._thread = threading.Thread(target=self._run, name="tunecore-heartbeat", daemon=True)
            self._thread.start()

    def discard(self, trial_id: str) -> None:
        with self._lock:
            self._trials.discard(trial_id)

    def close(self) -> None:
        """Stop beating (the trials left are abandoned: other drivers will find them stale)."""
        self._stopped.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)
        with self._lock:
            self._trials.clear()

    def _run(self) -> None:
        interval = float(self.storage.heartbeat_interval)
        while not self._stopped.wait(interval):
            with self._lock:
                trials = sorted(self._trials)
            for trial_id in trials:
                try:
                    self.storage.heartbeat(trial_id)
                except Exception as exc:  # the storage may come back; the grace period covers a gap
                    if not self._warned:
                        self._warned = True
                        logger.warning(
                            "Could not record the heartbeat of trial %s in %s (%s: %s); other drivers "
                            "will take its trials for abandoned if this lasts.",
                            trial_id, self.storage.location, type(exc).__name__, exc,
                        )
