"""Run each trial in the driver process, one at a time."""

import concurrent.futures
from typing import TYPE_CHECKING

from tunecore.errors import InvalidArgumentError
from tunecore.executors.base import Executor
from tunecore.trial import Trial

if TYPE_CHECKING:
    from tunecore.executors.runner import TrialOutcome, TrialRunner


class InProcessExecutor(Executor):
    """The default: trials run synchronously in the calling process.

    Reports reach the oracle live and directly, so it can stop a trial early.

    Raises:
        InvalidArgumentError: ``max_workers`` (``search(max_parallel_trials=...)``)
            asks for more than one trial at a time.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers != 1:
            raise InvalidArgumentError(
                f"The 'inprocess' executor runs one trial at a time; got max_parallel_trials={max_workers!r}. "
                "Use executor='process' (or another parallel executor) to run several at once."
            )

    def start(self, runner: "TrialRunner") -> None:
        self._runner = runner

    def submit(self, trial: Trial) -> "concurrent.futures.Future[TrialOutcome]":
        future: concurrent.futures.Future[TrialOutcome] = concurrent.futures.Future()
        try:
            future.set_result(self._runner(trial))
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            future.set_exception(exc)
        return future
