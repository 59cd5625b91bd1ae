"""Run trials on Dask workers: a local cluster or an existing one.

The oracle stays in the driver; each trial travels to a worker as a
:class:`~tunecore.Trial` (its hyperparameter values), its reports come back
while it runs through a Dask queue
(:class:`~tunecore.executors.dask_channel.DaskChannel`), and its
:class:`~tunecore.executors.runner.TrialOutcome` through the client's futures.
The runner (hypermodel and search arguments) is pickled once per search and
installed on each worker once, as a Dask worker plugin (so that a worker that
restarts or joins later gets it too).

``distributed`` is imported here only, so ``import tunecore`` never needs it.
"""

import contextlib
import copy
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from tunecore.executors.base import Executor
from tunecore.executors.dask_channel import DaskChannel
from tunecore.executors.payload import dump_runner
from tunecore.executors.waiting import Notice
from tunecore.optional import optional_import
from tunecore.trial import Trial

if TYPE_CHECKING:
    from tunecore.executors.runner import TrialOutcome, TrialRunner

logger = logging.getLogger("tunecore")


def _worker_running(key: str, dask_scheduler: Any = None) -> str | None:
    task = dask_scheduler.tasks.get(key)
    return task.processing_on.address if task is not None and task.processing_on is not None else None


_QUEUED = ("released", "waiting", "queued", "no-worker")  # a task's states before a worker takes it


def _queued(keys: list[str], dask_scheduler: Any = None) -> list[str]:
    tasks = dask_scheduler.tasks
    return [key for key in keys if key in tasks and tasks[key].state in _QUEUED]



class DaskExecutor(Executor):
    """Trials run as Dask tasks, as many at once as the cluster has threads.

    With neither ``client`` nor ``address``, a ``LocalCluster`` sized to this
    machine is started for the search and closed after it. A client, cluster
    or address given by the user is used as is and left open.

    A worker that dies mid-trial fails that trial as retryable, so the oracle's
    ``max_retries_per_trial`` decides whether it runs again (on any worker).
    The cluster this executor starts sets Dask's own
    ``distributed.scheduler.allowed-failures`` to 0 so that Dask does not
    silently rerun the task first; on a user's cluster, Dask's setting applies
    before tunecore sees the failure. Cancelling (Ctrl-C) releases the trials'
    tasks; Dask cannot interrupt a task that has started, so on a user's
    cluster it runs to its end and its result is dropped.

    Args:
        client: A ``distributed.Client``, a Dask cluster object, or a scheduler
            address such as ``"tcp://scheduler:8786"``.
        address: A scheduler address (same as passing it as ``client``).
        max_workers: Trials in flight at once. Defaults to the cluster's
            threads, or as many trials as the workers' ``resources`` fit when
            fewer; a local cluster gets this many workers (default: the
            number of CPUs).
        resources: Dask worker resources each trial needs, e.g. ``{"GPU": 1}``.
            Workers of a local cluster are given the same resources.
        processes: Whether a local cluster runs its workers in processes
            (default) or as threads of this process.
        **cluster_kwargs: Passed to ``LocalCluster`` when one is started.
    """

    remote = True

    def __init__(self, client: Any = None, address: str | None = None, max_workers: int | None = None,
                 resources: dict[str, float] | None = None, processes: bool = True,
                 **cluster_kwargs: Any) -> None:
        self._distributed = optional_import("distributed", "dask")
        if isinstance(client, str):
            client, address = None, client
        if client is not None and address is not None:
            raise ValueError(
                f"Give a Dask client or a scheduler address, not both; got client={client!r} "
                f"and address={address!r}."
            )
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be at least 1; got {max_workers!r}.")
        self._user_client = client
        self._address = address
        self.max_workers = max_workers
        self.resources = resources
        self.processes = processes
        self.cluster_kwargs = cluster_kwargs
        self.capacity = max_workers or 1
        self._client: Any = None
        self._owned: list[Any] = []
        self._started_cluster = False
        self._plugin: str | None = None
        self._task: tuple[Any, str] = (None, "")  # what a trial's task calls, and its first argument
        self._futures: set[Any] = set()
        self._trial_ids: dict[str, str] = {}  # task key -> trial id
        self._results: dict[str, TrialOutcome] = {}  # task key -> outcome gathered with others
        self._reports: Any = None
        self._idle = Notice()  # while no trial ends: says so when the cluster has no worker for them

    @classmethod
    def accepts(cls, obj: object) -> bool:
        """Claims Dask clients, Dask clusters and scheduler addresses (``"tcp://..."``)."""
        if isinstance(obj, str):
            return "://" in obj
        module = type(obj).__module__ or ""
        return module.split(".")[0] == "distributed" and (
            hasattr(obj, "submit") or hasattr(obj, "scheduler_address")
        )

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` trials are submitted to (None before :meth:`start`)."""
        return self._client

    def start(self, runner: "TrialRunner") -> None:
        name = f"tunecore-reports-{uuid.uuid4().hex}"
        runner.channel = DaskChannel(name)
        try:
            payload = dump_runner(runner)
        finally:
            runner.channel = None
        self._client = self._connect()
        self._reports = self._distributed.Queue(name, client=self._client)
        if self.max_workers is None:
            self.capacity = max(self._slots(), 1)
        from tunecore.executors import _dask_worker as worker  # imports distributed

        self._plugin = f"tunecore-runner-{uuid.uuid4().hex}"
        self._client.register_plugin(worker.RunnerPlugin(self._plugin, payload), name=self._plugin)
        self._task = (worker.run_trial, self._plugin)

    def submit(self, trial: Trial) -> Any:
        # A copy, as a worker in another process would get: a worker thread of
        # this process must not change the oracle's trial while it runs.
        function, argument = self._task
        future = self._client.submit(
            function, argument, copy.deepcopy(trial), pure=False, resources=self.resources, retries=0,
        )
        self._futures.add(future)
        self._trial_ids[future.key] = trial.trial_id
        return future

    def wait(self, futures: Collection[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        try:
            done, not_done = self._distributed.wait(
                futures, timeout=timeout, return_when="FIRST_COMPLETED"
            )
        except TimeoutError:
            done, not_done = set(), set(futures)
        if not done:
            self._notice_starved(len(not_done))
            return done, not_done
        self._idle.restart()
        self._futures.difference_update(done)
        for future in done:
            self._trial_ids.pop(future.key, None)
        finished = [f for f in done if f.status == "finished"]
        if len(finished) > 1:  # one round trip for all, not one per trial
            self._results.update(zip((f.key for f in finished), self._client.gather(finished)))
        return done, not_done

    def result(self, future: Any) -> "TrialOutcome":
        try:
            if future.key in self._results:
                return self._results.pop(future.key)
            return future.result()
        finally:
            future.release()  # now, not when collected: a worker that leaves must not hold it

    def reports(self) -> list[tuple[str, int, dict[str, float]]]:
        if self._reports is None:
            return []
        return [tuple(report) for report in self._reports.get(batch=True)]

    def stop(self, trial_id: str) -> None:
        if self._reports is not None:
            self._distributed.Event(f"{self._reports.name}-stop-{trial_id}", client=self._client).set()

    def kill(self, future: Any) -> bool:
        """Cancel the trial's task and restart the worker that runs it (``trial_timeout``).

        A worker with a nanny (a process of a local cluster, or of most
        deployed clusters) is restarted, which ends the trial at once; a
        worker thread cannot be ended, so its trial is only asked to stop at
        its next report, and that worker stays busy until then.
        """
        client = self._client
        address = client.run_on_scheduler(_worker_running, key=future.key)
        trial_id = self._trial_ids.pop(future.key, None)
        if trial_id is not None:
            self.stop(trial_id)
        client.cancel([future], force=True)
        self._futures.discard(future)
        if address is not None and self._has_nanny(address):
            try:  # waits until the worker is back, so the next trial finds it fresh
                client.restart_workers([address])
            except Exception as exc:  # the search goes on with the workers that are left
                logger.warning("Could not restart the Dask worker %s after a trial timeout: %s", address, exc)
        return True

    def unstarted(self, futures: Collection[Any]) -> set[Any]:
        """The trials still in the scheduler's queue (no worker has taken them); one scheduler call."""
        by_key = {future.key: future for future in futures}
        if not by_key or self._client is None:
            return set()
        return {by_key[key] for key in self._client.run_on_scheduler(_queued, keys=list(by_key))}

    def _slots(self) -> int:
        """Trials the cluster can run at once: its threads, or fewer where ``resources`` limit them.

        More would wait in Dask's queue, their ``trial_timeout`` running.
        """
        workers = self._client.scheduler_info(n_workers=-1).get("workers", {})
        slots = 0
        for info in workers.values():
            fits = [int(info.get("resources", {}).get(name, 0) // need)
                    for name, need in (self.resources or {}).items()]
            slots += min([info.get("nthreads", 1), *fits])
        return slots

    def _notice_starved(self, waiting: int) -> None:
        """Every :data:`~tunecore.executors.waiting.NOTICE_S` seconds without a trial ending, say so
        if no worker can run the trials waiting (one scheduler call then)."""
        if waiting and self._idle.due() and not self._slots():
            self._idle.log(self._starved_message(waiting))

    def _starved_message(self, waiting: int) -> str:
        needs = f" with the resources {self.resources}" if self.resources else ""
        start = "dask worker ADDRESS" + (" --resources " + ",".join(f"{k}={v}" for k, v in self.resources.items())
                                         if self.resources else "")
        return (f"{waiting} trial(s) wait for a Dask worker{needs}: the cluster at "
                f"{self._client.scheduler.address} has none. Start one ({start}), or stop the search "
                "(Ctrl-C or search(timeout=...); trials that have not started run on resume)")

    def _has_nanny(self, address: str) -> bool:
        workers = self._client.scheduler_info().get("workers", {})
        return bool(workers.get(address, {}).get("nanny"))

    def shutdown(self, cancel: bool = False) -> None:
        if self._client is None:
            return
        self._reports = None
        if cancel and self._futures:
            self._client.cancel(list(self._futures))
        self._futures.clear()
        self._results.clear()
        if not self._started_cluster and self._plugin is not None:
            self._client.unregister_worker_plugin(self._plugin)  # frees the workers' copies
        for resource in reversed(self._owned):
            resource.close()
        self._owned.clear()
        self._client = self._plugin = None
        self._started_cluster = False

    def _connect(self) -> Any:
        distributed = self._distributed
        user = self._user_client
        if isinstance(user, distributed.Client):
            return user
        if user is not None:  # a cluster object
            return self._own(distributed.Client(user))
        if self._address is not None:
            timeout = self._connect_timeout()  # None: Dask's own (Client(timeout=None) is refused)
            return self._own(distributed.Client(self._address, **({} if timeout is None else {"timeout": timeout})))
        # A worker that dies then fails its trial at once, and the oracle's
        # retry count, not Dask's, decides whether it runs again.
        with optional_import("dask.config", "dask").set({
            "distributed.scheduler.allowed-failures": 0,
        }), _workers_leave_ctrl_c_to_the_driver():
            cluster = self._own(distributed.LocalCluster(**self._local_cluster_kwargs()))
        self._started_cluster = True
        return self._own(distributed.Client(cluster))

    def _connect_timeout(self) -> float | None:
        """Seconds to reach a scheduler: Dask's ``distributed.comm.timeouts.connect`` (30 s by default),
        or less when the search's timeout comes first."""
        if self.deadline is None:
            return None
        dask_utils = optional_import("dask.utils", "dask")
        dask_config = optional_import("dask.config", "dask")
        limit = dask_utils.parse_timedelta(dask_config.get("distributed.comm.timeouts.connect"), "s")
        return round(max(min(self.deadline - time.monotonic(), limit), 0.5), 1)

    def _local_cluster_kwargs(self) -> dict[str, Any]:
        n = self.max_workers or os.cpu_count() or 1
        kwargs: dict[str, Any] = {
            "n_workers": n,
            "threads_per_worker": 1,
            "processes": self.processes,
            "dashboard_address": ":0",
        }
        if self.resources:
            kwargs["resources"] = dict(self.resources)
        kwargs.update(self.cluster_kwargs)
        return kwargs

    def _own(self, resource: Any) -> Any:
        self._owned.append(resource)
        return resource


@contextlib.contextmanager
def _workers_leave_ctrl_c_to_the_driver() -> Iterator[None]:
    """Start worker processes with SIGINT ignored, a disposition they inherit.

    A terminal's Ctrl-C reaches the whole process group; the driver handles it
    (it abandons the running trials, closes the cluster and says in one line
    what was kept), so the workers must not each print a traceback. A Ctrl-C
    while the cluster starts is ignored too.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
