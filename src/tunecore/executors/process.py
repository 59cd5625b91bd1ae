"""Run trials in a pool of local worker processes.

Every process started here (the workers and the manager that carries their
reports) ends as soon as the driver dies, even mid-trial and even when the
driver is killed with no chance to clean up: see :func:`_exit_with_driver`.
"""

import concurrent.futures
import multiprocessing
import os
import threading

from tunecore.executors.base import Executor
from tunecore.executors.channel import ManagerHub
from tunecore.executors.payload import dump_runner, load_runner

_runner = None


def _install(payload):
    global _runner
    _exit_with_driver()
    _runner = load_runner(payload)


def _exit_with_driver():
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


def _exit_when_gone(driver):
    driver.join()
    os._exit(1)  # sys.exit would end this thread only; the trial must not run on


def _run(trial):
    return _runner(trial)


def _context():
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


class ProcessPoolExecutor(Executor):
    """Trials run in ``max_workers`` worker processes on this machine.

    The runner (hypermodel and fit arguments) is pickled once with cloudpickle
    and installed in each worker when it starts; the trials' reports come back
    through a multiprocessing manager while they run. A worker that dies fails its
    trial as retryable and the pool is rebuilt. As with any multiprocessing, a
    script that searches this way must guard its entry point with
    ``if __name__ == "__main__":``.

    Args:
        max_workers: Trials run at once; defaults to the number of CPUs.
    """

    remote = True

    def __init__(self, max_workers=None):
        self.capacity = max_workers or os.cpu_count() or 1
        self._pool = None
        self._payload = None
        self._hub = None

    def start(self, runner):
        self._hub = ManagerHub(_context(), initializer=_exit_with_driver)
        runner.channel = self._hub.channel
        try:
            self._payload = dump_runner(runner)
        except BaseException:
            self._close_hub()
            raise
        finally:
            runner.channel = None
        self._pool = self._new_pool()

    def reports(self):
        return self._hub.drain() if self._hub is not None else []

    def stop(self, trial_id):
        if self._hub is not None:
            self._hub.stop(trial_id)

    def submit(self, trial):
        try:
            return self._pool.submit(_run, trial)
        except concurrent.futures.process.BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(_run, trial)

    def shutdown(self, cancel=False):
        if self._pool is not None:
            if cancel:
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    process.terminate()
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None
        self._close_hub()

    def _close_hub(self):
        if self._hub is not None:
            self._hub.close()
            self._hub = None

    def _new_pool(self):
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.capacity,
            mp_context=_context(),
            initializer=_install,
            initargs=(self._payload,),
        )
