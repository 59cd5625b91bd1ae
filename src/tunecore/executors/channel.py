"""Reports from local worker processes to the driver, through a multiprocessing manager.

The manager listens where multiprocessing listens by default: a Unix socket
(a named pipe on Windows), never a TCP port.
"""

import queue
from collections.abc import Callable
from multiprocessing.context import BaseContext
from multiprocessing.managers import SyncManager
from typing import Any

from tunecore.executors.runner import ReportChannel
from tunecore.trial import TrialStatus


class ManagerChannel(ReportChannel):
    """Worker side: reports go into a managed queue, stop requests are read from a managed dict."""

    def __init__(self, reports: Any, stops: Any) -> None:
        self._reports = reports
        self._stops = stops

    def send(self, trial_id: str, step: int, metrics: dict[str, float]) -> str:
        self._reports.put((trial_id, step, metrics))
        return TrialStatus.STOPPED if self._stops.get(trial_id) else TrialStatus.RUNNING


class ManagerHub:
    """Driver side of :class:`ManagerChannel`: one manager process per search.

    Args:
        context: The multiprocessing context that starts the manager's process.
        initializer: Called first in the manager's process (``Context.Manager()``
            takes none).
    """

    def __init__(self, context: BaseContext, initializer: Callable[[], object] | None = None) -> None:
        self._manager = SyncManager(ctx=context)
        self._manager.start(initializer)
        self._reports = self._manager.Queue()
        self._stops = self._manager.dict()
        self.channel = ManagerChannel(self._reports, self._stops)

    def drain(self) -> list[tuple[str, int, dict[str, float]]]:
        received = []
        while True:
            try:
                received.append(self._reports.get_nowait())
            except queue.Empty:
                return received

    def stop(self, trial_id: str) -> None:
        self._stops[trial_id] = True

    def close(self) -> None:
        self._manager.shutdown()
