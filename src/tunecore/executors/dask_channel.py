"""Reports from Dask workers to the driver: a Dask queue, and a Dask event per stop request.

Used by both sides: the driver's :class:`~tunecore.executors.dask.DaskExecutor`
creates it, the workers (:mod:`tunecore.executors._dask_worker`) send through it.
"""

from typing import Any

from tunecore.executors.runner import ReportChannel
from tunecore.optional import optional_import
from tunecore.trial import TrialStatus


class DaskChannel(ReportChannel):
    """Reports travel through a Dask queue; a stop request is a Dask event per trial."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: Any = None

    def send(self, trial_id: str, step: int, metrics: dict[str, float]) -> str:
        distributed = optional_import("distributed", "dask")
        if self._queue is None:
            self._queue = distributed.Queue(self.name)
        self._queue.put([trial_id, step, metrics])
        stopped = distributed.Event(f"{self.name}-stop-{trial_id}").is_set()
        return TrialStatus.STOPPED if stopped else TrialStatus.RUNNING

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "_queue": None}
