"""The executor seam: where trials run.

The search loop (in the driver) owns the oracle and the project storage. It
hands an executor a *runner* once per search, then submits trials one by one
and collects their outcomes as they complete:

1. :meth:`Executor.start` receives ``runner``, a picklable callable
   ``runner(trial) -> TrialOutcome`` (both in :mod:`tunecore.executors.runner`).
   A remote executor ships it to its workers once (it carries the hypermodel and the fit arguments, never a built model)
   and sets ``runner.channel``: a :class:`~tunecore.executors.runner.ReportChannel` through which the
   trials' reports reach the driver while they run. Before that, the loop sets
   :attr:`Executor.deadline`, the ``time.monotonic()`` at which the search's
   ``timeout`` passes (None without one): a wait in ``start`` (connecting,
   waiting for a worker) ends by then.
2. :meth:`Executor.submit` is called with a :class:`~tunecore.Trial` and
   returns a ``concurrent.futures.Future``-like object whose result is a
   :class:`~tunecore.executors.runner.TrialOutcome`. At most :attr:`capacity`
   trials are in flight.
3. :meth:`Executor.wait` blocks until at least one submitted future is done
   (or ``timeout`` passes: a remote executor is polled for reports meanwhile);
   :meth:`Executor.result` gives a done future's outcome.
4. :meth:`Executor.reports` returns the ``(trial_id, step, metrics)`` reports
   that arrived since the last call; the driver gives each to the oracle and,
   when the oracle answers STOPPED, calls :meth:`Executor.stop` so that the
   trial's next report returns STOPPED in the worker.
5. :meth:`Executor.kill` ends one trial at once (its ``trial_timeout`` passed)
   and replaces its worker, where the executor can. Once the search stops
   (``timeout``, ``tuner.stop()``), the trials :meth:`Executor.unstarted` names
   (queued, no worker has started them) are not waited for: they are killed
   and run again on resume.
6. :meth:`Executor.shutdown` ends the workers; ``cancel=True`` abandons the
   trials in flight (Ctrl-C, a fatal error).

A future that raises instead of returning an outcome (a worker died, the
runner could not be unpickled) fails its trial as retryable; the search goes
on. ``remote`` is True when trials run outside the driver process; in
process, a trial reports to the oracle directly and :meth:`reports` is empty.

An executor factory registered by a plugin may have an ``accepts(obj)``
class method: ``search(executor=obj)`` with an object that is not an executor
or a registered name (a Dask client, a scheduler address) picks the first
registered executor whose ``accepts`` claims it.
"""

import abc
import concurrent.futures
from collections.abc import Collection
from typing import Any

from tunecore.executors.runner import TrialOutcome, TrialRunner
from tunecore.trial import Trial


class Executor(abc.ABC):
    """Runs trials for the search loop (see the module docstring)."""

    capacity: int = 1
    remote: bool = False
    deadline: float | None = None

    @abc.abstractmethod
    def start(self, runner: TrialRunner) -> None:
        """Prepare to run trials with ``runner``."""

    @abc.abstractmethod
    def submit(self, trial: Trial) -> Any:
        """Start a trial; returns a future of its outcome."""

    def wait(self, futures: Collection[Any], timeout: float | None = None) -> tuple[set[Any], set[Any]]:
        """Block until one of ``futures`` is done; returns ``(done, not_done)``."""
        return concurrent.futures.wait(
            futures, timeout=timeout, return_when=concurrent.futures.FIRST_COMPLETED
        )

    def result(self, future: Any) -> TrialOutcome:
        """The :class:`~tunecore.executors.runner.TrialOutcome` of a done future (raises what it raised)."""
        return future.result()

    def reports(self) -> list[tuple[str, int, dict[str, float]]]:
        """The ``(trial_id, step, metrics)`` reports received since the last call, in order."""
        return []

    def stop(self, trial_id: str) -> None:
        """Ask the worker running ``trial_id`` to stop: its next report returns STOPPED."""

    def kill(self, future: Any) -> bool:
        """End the trial of ``future`` now, whatever it is doing (``trial_timeout``).

        Its worker is ended and replaced, so that it is usable again. Returns
        False if this executor cannot: the trial then stops at its next report.
        """
        return False

    def unstarted(self, futures: Collection[Any]) -> set[Any]:
        """Those of ``futures`` whose trial waits for a worker and has not started.

        An executor that starts every submitted trial at once has none (the default).
        """
        return set()

    def shutdown(self, cancel: bool = False) -> None:
        """Release the workers."""
