"""What an executor runs and what it hands back: the runner, its channel, the outcome.

The search loop builds one :class:`TrialRunner` per search and gives it to
:meth:`Executor.start <tunecore.executors.Executor.start>`; an executor calls
``runner(trial)`` wherever the trial runs and returns the
:class:`TrialOutcome` through its future. A remote executor sets
``runner.channel``, a :class:`ReportChannel`, before trials run, so that the
reports a trial makes while it runs reach the driver.

These types belong to the executors, the layer that moves them; the tuner
that implements the runner (:class:`tunecore.tuners.outcome.TunerRunner`)
lives above.
"""

import abc
import dataclasses
from typing import TYPE_CHECKING, Protocol

from tunecore.errors import FatalError
from tunecore.trial import Trial

if TYPE_CHECKING:
    from tunecore.hyperparameters import HyperParameters


class ReportChannel(abc.ABC):
    """A worker's end of the way back to the driver (picklable)."""

    @abc.abstractmethod
    def send(self, trial_id: str, step: int, metrics: dict[str, float]) -> str:
        """Send one report; returns the driver's latest answer for the trial (RUNNING or STOPPED)."""


@dataclasses.dataclass
class TrialOutcome:
    """What a finished trial sends back to the driver.

    Attributes:
        trial_id: The trial.
        status: COMPLETED, FAILED or INVALID.
        metrics: What ``run_trial`` returned, as a dict of floats (or None).
        hyperparameters: The trial's hyperparameters at the end, when it ran
            in a worker (it may declare new ones).
        message: The traceback of a failure.
        retryable: Whether a failure may be retried.
        fatal: The :class:`~tunecore.errors.FatalError` class to stop the search with, or None.
        seconds: Wall time of ``run_trial``.
        reports: How many reports it sent through a channel (the driver waits
            for them all before ending the trial).
        killed: The driver ended it (``trial_timeout``): no report is awaited.
        tuner_id: The tuner that ran it, when not the driver's (a Keras Tuner
            distributed worker).
        returned: What ``run_trial`` returned when it gave no metrics, in
            words for a message (``"None"``, ``"an empty list"``).
        error: The exception that made the trial fatal, in the driver's own
            process only (a worker's reaches the driver as ``message``, its
            traceback in text): the search's error is chained to it.
    """

    trial_id: str
    status: str
    metrics: dict[str, float] | None = None
    hyperparameters: "HyperParameters | None" = None
    message: str | None = None
    retryable: bool = True
    fatal: type[FatalError] | None = None
    seconds: float = 0.0
    reports: int = 0
    killed: bool = False
    tuner_id: str | None = None
    returned: str | None = None
    error: BaseException | None = None


class TrialRunner(Protocol):
    """Runs one trial where the executor put it; picklable, shipped to workers once per search.

    Attributes:
        channel: Where the trial's reports go; None in process, set by a
            remote executor before the first call.
        tuner_id: The tuner whose trials it runs (a Keras Tuner distributed
            worker records it in the outcome).
    """

    channel: ReportChannel | None

    @property
    def tuner_id(self) -> str: ...

    def __call__(self, trial: Trial) -> TrialOutcome:
        """Run ``trial`` and return its outcome; never raises for a failed trial."""
        ...
