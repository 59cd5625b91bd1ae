"""The executor seam: where trials run.

The search loop (in the driver) owns the oracle and the project storage. It
hands an executor a *runner* once per search, then submits trials one by one
and collects their outcomes as they complete:

1. :meth:`Executor.start` receives ``runner``, a picklable callable
   ``runner(trial) -> TrialOutcome``. A remote executor ships it to
   its workers once (it carries the hypermodel and the fit arguments, never a
   built model).
2. :meth:`Executor.submit` is called with a :class:`~tunecore.Trial`
   and returns a ``concurrent.futures.Future``-like object whose result is a
   :class:`~tunecore.tuners.outcome.TrialOutcome`. At most :attr:`capacity`
   trials are in flight.
3. :meth:`Executor.wait` blocks until at least one submitted future is done.
4. :meth:`Executor.shutdown` ends the workers; ``cancel=True`` abandons the
   trials in flight (Ctrl-C, a fatal error).

A future that raises instead of returning an outcome (a worker died, the
runner could not be unpickled) fails its trial as retryable; the search goes
on. ``remote`` is True when trials run outside the driver process: their
metric reports are then replayed into the oracle when the outcome arrives,
instead of reaching it live.
"""

import abc
import concurrent.futures


class Executor(abc.ABC):
    """Runs trials for the search loop (see the module docstring)."""

    capacity = 1
    remote = False

    @abc.abstractmethod
    def start(self, runner):
        """Prepare to run trials with ``runner``."""

    @abc.abstractmethod
    def submit(self, trial):
        """Start a trial; returns a future of its outcome."""

    def wait(self, futures, timeout=None):
        """Block until one of ``futures`` is done; returns ``(done, not_done)``."""
        return concurrent.futures.wait(
            futures, timeout=timeout, return_when=concurrent.futures.FIRST_COMPLETED
        )

    def shutdown(self, cancel=False):
        """Release the workers."""

    def describe(self):
        return f"{type(self).__name__}(capacity={self.capacity})"
