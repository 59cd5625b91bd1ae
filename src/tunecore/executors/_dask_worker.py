"""The worker side of the Dask executors: the runner, installed once per worker,
or the runner of a Keras Tuner worker's own ``search()`` (:func:`serve`).

Imported by :mod:`tunecore.executors.dask` and :mod:`tunecore.executors.dask_chief`
when a search starts, never by ``import tunecore``.
"""

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from distributed import Worker, WorkerPlugin, get_worker
from distributed.core import Status

from tunecore.distribute import ENDED, INTERRUPTED, POLL_S, SERVING
from tunecore.errors import FatalRuntimeError
from tunecore.executors.dask_channel import DaskChannel
from tunecore.executors.payload import load_runner
from tunecore.executors.waiting import Notice
from tunecore.trial import Trial

if TYPE_CHECKING:
    from tunecore.executors.runner import TrialOutcome, TrialRunner

logger = logging.getLogger("tunecore")

# (plugin name, thread id) -> runner. Each worker thread keeps its own runner so
# that trials running side by side in one process never share the tuner's
# reporting oracle.
_runners: dict[tuple[str, int], Any] = {}


class RunnerPlugin(WorkerPlugin):
    """Carries a search's pickled runner to every worker, even one that joins or restarts.

    Unlike scattered data, a plugin is not lost with the worker that holds it,
    and tasks do not depend on it, so Dask spreads trials over idle workers
    instead of sending them where the data is.
    """

    def __init__(self, name: str, payload: bytes) -> None:
        self.name = name
        self.payload = payload

    def teardown(self, worker: Any) -> None:
        for key in [key for key in _runners if key[0] == self.name]:
            _runners.pop(key, None)


def run_trial(plugin_name: str, trial: Trial) -> Any:
    """Run ``trial`` with the runner of the search that registered ``plugin_name``."""
    key = (plugin_name, threading.get_ident())
    runner = _runners.get(key)
    if runner is None:
        runner = _runners[key] = load_runner(get_worker().plugins[plugin_name].payload)
    return runner(trial)


# Worker name (tuner id) -> the runner of the search() that serves the chief as that worker.
_served: dict[str, "TrialRunner"] = {}


def run_served_trial(channel: str, trial: Trial) -> "TrialOutcome":
    """Run ``trial`` with the serving tuner's own search arguments, for the chief."""
    name = get_worker().name
    runner = _served.get(name)
    if runner is None:
        raise RuntimeError(f"Dask worker {name!r} serves no tunecore search.")
    runner.channel = DaskChannel(channel)
    outcome = runner(trial)
    outcome.tuner_id = runner.tuner_id
    return outcome


def serve(address: str, name: str, runner: "TrialRunner", timeout: float | None = None) -> str:
    """Be a Dask worker of the chief's scheduler at ``address`` until its search ends.

    Waits for the scheduler if it is not up yet: until Ctrl-C, or ``timeout``
    seconds (then returns ``"timeout"``), saying so every
    :data:`~tunecore.executors.waiting.NOTICE_S` seconds. Trials run one at a
    time with ``runner``. Returns ``"ended"`` or ``"interrupted"`` as the chief
    says, ``"lost"`` when the scheduler went away first (the chief died), or
    ``"left"`` once ``timeout`` has passed and no trial runs here (the chief's
    search goes on with its other tuners).
    """
    if name in _served:
        raise FatalRuntimeError(f"Tuner {name!r} already serves the chief from this process; give each its own id.")
    _served[name] = runner
    try:
        return asyncio.run(_serve(address, name, timeout))
    finally:
        _served.pop(name, None)


async def _serve(address: str, name: str, timeout: float | None) -> str:
    deadline = None if timeout is None else time.monotonic() + timeout
    worker = Worker(address, nthreads=1, name=name, resources={SERVING: 1}, dashboard=False,
                    death_timeout=timeout)
    try:
        await _join(worker, address, name, timeout)
    except asyncio.TimeoutError:
        return "timeout"
    except RuntimeError as exc:
        cause = "another process uses this tuner id" if "name taken" in str(exc.__cause__) else exc.__cause__ or exc
        raise FatalRuntimeError(
            f"Tuner {name!r} could not join the chief at {address}: {cause}. Every process of a "
            "distributed search needs its own KERASTUNER_TUNER_ID."
        ) from None
    async with worker:
        while worker.status in (Status.running, Status.paused):
            try:
                if await worker.scheduler.event_wait(name=ENDED, timeout=POLL_S):
                    interrupted = await worker.scheduler.event_is_set(name=INTERRUPTED)
                    return "interrupted" if interrupted else "ended"
            except OSError:  # the connection closed
                break
            if deadline is not None and time.monotonic() >= deadline and not worker.state.executing_count:
                # Its own search's timeout: no new trial here. A trial the scheduler had just
                # handed over goes back to it, for another tuner.
                await worker.close_gracefully(reason="tunecore: the tuner's search timeout passed")
                return "left"
    return "lost"


async def _join(worker: Worker, address: str, name: str, timeout: float | None) -> None:
    """Start ``worker``: it waits for the chief's scheduler, saying so while it waits."""
    what = (f"Tuner {name!r} waits for the chief at {address} (the process of this search with "
            "KERASTUNER_TUNER_ID=chief); Ctrl-C stops it"
            + (f", and its search ends after timeout={timeout:g}s" if timeout is not None else ""))
    notice = Notice()
    starting = asyncio.ensure_future(worker.start())
    await asyncio.wait({starting}, timeout=POLL_S)
    if not starting.done():  # the chief is not up yet
        logger.info("%s.", what)
    while not starting.done():
        await asyncio.wait({starting}, timeout=POLL_S)
        notice(what)
    starting.result()
