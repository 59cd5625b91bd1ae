"""Run trials in a pool of local worker processes.

Every process started here (the workers and the manager that carries their
reports) ends as soon as the driver dies, even mid-trial and even when the
driver is killed with no chance to clean up: see :func:`_exit_with_driver`.
"""

import concurrent.futures
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
from collections.abc import Collection
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from tunecore.executors.base import Executor
from tunecore.executors.channel import ManagerHub
from tunecore.executors.payload import dump_runner, load_runner
from tunecore.trial import Trial

if TYPE_CHECKING:
    from tunecore.executors.runner import TrialOutcome, TrialRunner

_runner: Any = None


def _install(payload: bytes) -> None:
    global _runner
    _exit_with_driver()
    _runner = load_runner(payload)


def _exit_with_driver() -> None:
    """Start a daemon thread that ends this process when the driver process dies.

    Without it, a killed driver leaves its helpers running: a busy worker goes
    on with its trial, an idle one waits for a task forever, the manager serves
    a queue nobody reads, and while any of them lives, the fork server and
    CPython's resource tracker (which hold out for every process that shares
    them) live too. The driver holds the write end of a pipe that each child
    it starts reads (``parent_process().sentinel``); the read returns only once
    the driver is gone, however it died, so the thread sleeps until then at no
    cost. Polling ``os.getppid()`` would not do: a worker's parent is the fork
    server.
    """
    driver = multiprocessing.parent_process()
    if driver is not None:
        threading.Thread(target=_exit_when_gone, args=(driver,),
                         name="tunecore-driver-watch", daemon=True).start()


def _exit_when_gone(driver: BaseProcess) -> None:
    driver.join()
    os._exit(1)  # sys.exit would end this thread only; the trial must not run on


class WorkerDiedError(RuntimeError):
    """A worker process ended while it ran a trial."""


def _serve(connection: Connection, payload: bytes) -> None:
    """A worker's life: install the runner, then run the trials the driver sends until told to end."""
    # Ctrl-C reaches the whole process group: it is the driver's to handle (it abandons the
    # running trials, ends the workers and says in one line what was kept), not each worker's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _install(payload)
    while True:
        try:
            trial = connection.recv()
        except (EOFError, OSError):
            return
        if trial is None:
            return
        reply: tuple[bool, Any]
        try:
            reply = (True, _runner(trial))
        except Exception as exc:  # the runner packs a trial's own errors; this is the runner failing
            reply = (False, f"{type(exc).__name__}: {exc}")
        try:
            connection.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # the outcome cannot be pickled
            connection.send((False, f"its outcome could not be sent to the driver ({type(exc).__name__}: {exc})"))


def _context() -> Any:
    """A fork server where there is one, else spawn; never a plain fork.

    Forking the driver would copy its threads' locks (TensorFlow's, tqdm's)
    mid-use. A fork server is a clean process that imports tunecore once and
    forks each worker from itself, so a worker starts in milliseconds instead
    of re-importing everything as a spawned one does.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tunecore", "cloudpickle"])
        return context
    return multiprocessing.get_context("spawn")


class _Worker:
    """One worker process and the pipe that carries its trials and their outcomes."""

    def __init__(self, context: Any, payload: bytes | None) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, payload), name="tunecore-worker")
        self.process.start()
        child.close()
        self.future: Any = None  # the future of the trial it runs, while it runs one

    def end(self, force: bool = False) -> None:
        if force:
            self.process.kill()
        else:
            try:
                self.connection.send(None)
            except OSError:
                pass
        self.process.join(timeout=None if force else 10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


class ProcessPoolExecutor(Executor):
    """Trials run in ``max_workers`` worker processes on this machine.

    The runner (hypermodel and fit arguments) is pickled once with cloudpickle
    and installed in each worker when it starts; the trials' reports come back
    through a multiprocessing manager while they run. Each worker has its own
    pipe, so one can be ended alone: a worker that dies fails its own trial
    only (as retryable) and is replaced, and a trial over its ``trial_timeout``
    is ended by killing its worker (:meth:`kill`). As with any
    multiprocessing, a script that searches this way must guard its entry
    point with ``if __name__ == "__main__":``.

    Args:
        max_workers: Trials run at once; defaults to the number of CPUs.
    """

    remote = True

    def __init__(self, max_workers: int | None = None) -> None:
        self.capacity = max_workers or os.cpu_count() or 1
        self._context: Any = None
        self._payload: bytes | None = None
        self._hub: ManagerHub | None = None
        self._idle: list[_Worker] = []
        self._busy: dict[concurrent.futures.Future[TrialOutcome], _Worker] = {}

    def start(self, runner: "TrialRunner") -> None:
        self._context = _context()
        self._hub = ManagerHub(self._context, initializer=_exit_with_driver)
        runner.channel = self._hub.channel
        try:
            self._payload = dump_runner(runner)
        except BaseException:
            self._close_hub()
            raise
        finally:
            runner.channel = None

    def reports(self) -> list[tuple[str, int, dict[str, float]]]:
        return self._hub.drain() if self._hub is not None else []

    def stop(self, trial_id: str) -> None:
        if self._hub is not None:
            self._hub.stop(trial_id)

    def submit(self, trial: Trial) -> "concurrent.futures.Future[TrialOutcome]":
        future: concurrent.futures.Future[TrialOutcome] = concurrent.futures.Future()
        worker = self._idle.pop() if self._idle else _Worker(self._context, self._payload)
        try:
            worker.connection.send(trial)
        except OSError as exc:  # it died while idle
            worker.end(force=True)
            future.set_exception(WorkerDiedError(f"The worker process could not take the trial: {exc}"))
            return future
        future.set_running_or_notify_cancel()
        worker.future = future
        self._busy[future] = worker
        return future

    def wait(self, futures: Collection[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        """Block until a trial of ``futures`` ends, its worker dies, or ``timeout`` passes."""
        pending = [f for f in futures if not f.done()]
        if len(pending) == len(futures):
            waitables: dict[Any, _Worker] = {}
            for future in pending:
                worker = self._busy.get(future)
                if worker is not None:
                    waitables[worker.connection] = waitables[worker.process.sentinel] = worker
            ready = multiprocessing.connection.wait(list(waitables), timeout=timeout)
            for worker in {id(waitables[r]): waitables[r] for r in ready}.values():
                self._collect(worker)
        done = {f for f in futures if f.done()}
        return done, set(futures) - done

    def kill(self, future: Any) -> bool:
        worker = self._busy.pop(future, None)
        if worker is None:
            return False
        worker.end(force=True)
        if not future.done():
            future.set_exception(WorkerDiedError("The driver ended the trial's worker."))
        return True

    def shutdown(self, cancel: bool = False) -> None:
        for worker in list(self._busy.values()):
            worker.end(force=True)
            if not worker.future.done():
                worker.future.set_exception(WorkerDiedError("The search was cancelled."))
        for worker in self._idle:
            worker.end(force=cancel)
        self._busy.clear()
        self._idle.clear()
        self._close_hub()

    def _collect(self, worker: _Worker) -> None:
        future = worker.future
        try:
            ok, value = worker.connection.recv()
        except (EOFError, OSError):
            del self._busy[future]
            worker.process.join(timeout=5)
            code = worker.process.exitcode
            worker.end(force=True)
            future.set_exception(WorkerDiedError(
                f"The worker process (pid {worker.process.pid}) ended with exit code {code} while it ran "
                "the trial. If it could not start, check that the script guards its entry point with "
                "`if __name__ == \"__main__\":`."
            ))
            return
        del self._busy[future]
        worker.future = None
        self._idle.append(worker)
        if ok:
            future.set_result(value)
        else:
            future.set_exception(WorkerDiedError(value))

    def _close_hub(self) -> None:
        if self._hub is not None:
            self._hub.close()
            self._hub = None
