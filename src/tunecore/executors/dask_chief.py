"""Keras Tuner's distributed mode on Dask: the chief's executor and a worker's serving loop.

The chief's trials go to the tuners that connect to its address; see
:mod:`tunecore.distribute` for the roles. ``distributed`` is imported when a
search starts, never by ``import tunecore``.
"""

import logging
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tunecore.distribute import ENDED, INTERRUPTED, POLL_S, SERVING, Role
from tunecore.executors.dask import DaskExecutor
from tunecore.executors.waiting import Notice
from tunecore.optional import optional_import

if TYPE_CHECKING:
    from tunecore.executors.runner import TrialRunner

logger = logging.getLogger("tunecore")

_RECOUNT_S = 0.2  # how often the chief counts its tuners (one scheduler call)
_LEAVE_S = 10.0  # how long it waits for them to leave after its search


def chief_executor(role: Role) -> "ChiefExecutor":
    """The executor of the chief's search: trials go to the tuners serving at ``role.address``."""
    optional_import("distributed", "dask")
    return ChiefExecutor(role.address)


def serve(role: Role, runner: "TrialRunner", timeout: float | None = None) -> str:
    """A worker's search: run the chief's trials with ``runner`` until its search ends.

    Returns how it ended: ``"ended"``, ``"interrupted"`` (the chief's search
    stopped on Ctrl-C or an error), ``"lost"`` (its scheduler went away),
    ``"timeout"`` (no chief listened at its address within ``timeout``
    seconds), or ``"left"`` (``timeout`` passed while it served: it finished
    its trial and left; the chief's search goes on).
    """
    optional_import("distributed", "dask")
    from tunecore.executors import _dask_worker

    return _dask_worker.serve(role.address, role.tuner_id, runner, timeout)


class ChiefExecutor(DaskExecutor):
    """Runs each trial on one of the tuners serving at ``address`` (one trial per tuner at a time).

    A Dask scheduler is started at ``address``, or, when one already listens
    there, used as is. :meth:`start` waits for the first tuner, saying so every
    :data:`~tunecore.executors.waiting.NOTICE_S` seconds, until one connects,
    Ctrl-C, or the search's ``timeout`` passes (:attr:`deadline`; then no trial
    runs: :attr:`capacity` is 0 and the search ends). Tuners may join and leave
    during the search (a trial on one that leaves fails as retryable, as on
    any Dask worker). Trials wait in the scheduler's queue while no tuner is
    free. When the search ends, the tuners are told to leave, and whether it
    finished or was interrupted.

    Args:
        address: ``tcp://host:port``.
    """

    def __init__(self, address: str) -> None:
        super().__init__(resources={SERVING: 1})
        self.address = address
        self._counted_at = 0.0

    def start(self, runner: "TrialRunner") -> None:
        channel = f"tunecore-reports-{uuid.uuid4().hex}"
        self._client = self._connect()
        self._reports = self._distributed.Queue(channel, client=self._client)
        for event in (ENDED, INTERRUPTED):
            self._distributed.Event(event, client=self._client).clear()
        from tunecore.executors import _dask_worker as worker  # imports distributed

        self._task = (worker.run_served_trial, channel)
        if not self._count_tuners():
            self._wait_for_a_tuner()

    def _wait_for_a_tuner(self) -> None:
        what = (f"The chief waits for a tuner to connect to {self.address} (a process of this search with "
                "KERASTUNER_TUNER_ID other than 'chief'); Ctrl-C stops it"
                + (", and so does the search's timeout" if self.deadline is not None else ""))
        logger.info("%s.", what)
        notice = Notice()
        while not self._count_tuners():
            if self.deadline is not None and time.monotonic() >= self.deadline:
                logger.warning("No tuner connected to the chief at %s before the search's timeout: the search "
                               "ends without running a trial.", self.address)
                self.capacity = 0
                return
            notice(what)
            time.sleep(0.05)

    def wait(self, futures: Any, timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        if time.monotonic() - self._counted_at > _RECOUNT_S:
            self._count_tuners()
        return super().wait(futures, timeout)

    def shutdown(self, cancel: bool = False) -> None:
        client = self._client
        if client is not None:
            if cancel:  # the tuners raise instead of reading a search that did not end
                self._distributed.Event(INTERRUPTED, client=client).set()
            self._distributed.Event(ENDED, client=client).set()
            deadline = time.monotonic() + (POLL_S * 4 if cancel else _LEAVE_S)  # until they have heard
            while self._slots() and time.monotonic() < deadline:
                time.sleep(0.1)
        super().shutdown(cancel=cancel)

    def _starved_message(self, waiting: int) -> str:
        return (f"{waiting} trial(s) wait for a tuner: none is connected to the chief at {self.address} "
                "(start a process of this search with KERASTUNER_TUNER_ID other than 'chief'), or stop "
                "the search (Ctrl-C or search(timeout=...); trials that have not started run on resume)")

    def _count_tuners(self) -> int:
        """Count the tuners serving now (a plain Dask worker has no slot for a trial); trials in
        flight follow, at least one so that trials queue."""
        self._counted_at = time.monotonic()
        tuners = self._slots()
        self.capacity = max(tuners, 1)
        return tuners

    def _connect(self) -> Any:
        distributed = self._distributed
        address = urlsplit(self.address)
        host, port = address.hostname or "", address.port or 0
        if _listening(host, port):  # a scheduler the user started
            return self._own(distributed.Client(self.address, timeout=10))
        with optional_import("dask.config", "dask").set({"distributed.scheduler.allowed-failures": 0}):
            cluster = self._own(distributed.LocalCluster(
                n_workers=0, host=host, scheduler_port=port, dashboard_address=None,
            ))
        self._started_cluster = True
        return self._own(distributed.Client(cluster))


def _listening(host: str, port: int) -> bool:
    """Whether a Dask scheduler listens at ``host:port`` (it greets first); False if nothing does.

    Raises:
        OSError: something else listens there.
    """
    try:
        connection = socket.create_connection((host, port), timeout=2)
    except OSError:
        return False
    with connection:
        try:
            greeted = bool(connection.recv(1))
        except OSError:
            greeted = False
    if not greeted:
        raise OSError(
            f"The chief cannot serve trials at tcp://{host}:{port}: something that is not a Dask "
            "scheduler listens there. Set KERASTUNER_ORACLE_PORT to a free port."
        )
    return True
