"""The journal's event shapes: what the ledger appends, and reading a recorded event back.

The kinds and their fields are documented in :mod:`tunecore.storage.base`.
Events are compact: a trial's values (the space is recorded once per change),
its reports, and how it ended; optional fields appear only when they say
something (another tuner, a later attempt, a changed oracle state). Reading
checks every value, so that replay can name the journal line it cannot use.
"""

from collections.abc import Mapping
from typing import Any

from tunecore import schedule
from tunecore.hyperparameters import Fixed, HyperParameters
from tunecore.storage import paths, records
from tunecore.storage.base import Event
from tunecore.trial import Trial


def metrics_event(trial_id: str, step: int, metrics: Mapping[str, float], attempt: int = 1) -> Event:
    """A report of a running trial (or its final result, which rides in its ``end`` event);
    ``attempt`` is recorded when not the first (a shared storage's drivers tell runs apart)."""
    event: Event = {"event": "metrics", "trial_id": trial_id, "step": int(step), "metrics": records.finite(metrics)}
    if attempt != 1:
        event["attempt"] = attempt
    return event


def end_event(trial: Trial, retry: bool, final: Event | None, **changed: Any) -> Event:
    """How ``trial`` ended, with its ``final`` result; ``changed`` holds ``values`` if it
    declared hyperparameters as it ran, ``tuner_id`` if a tuner other than its starter ran it,
    ``interrupted`` if its driver died (another driver ended it: not a failure of the objective)."""
    event: Event = {"event": "end", "trial_id": trial.trial_id, "status": trial.status}
    if final is not None:
        event["step"], event["metrics"] = final["step"], final["metrics"]
    event.update(changed)
    if trial.message is not None:
        event["message"] = trial.message
    if not trial.retryable:
        event["retryable"] = False
    if retry:
        event["retry"] = True
    return event


def read_metrics(event: Event) -> dict[str, float]:
    """The ``metrics`` of a ``metrics`` or ``end`` event, as floats."""
    return {name: float(value) for name, value in checked_dict(event["metrics"]).items()}


def configuration(space: HyperParameters, values: Mapping[str, Any]) -> HyperParameters:
    """A copy of ``space`` with ``values`` assigned; scheduling values join it as ``Fixed``.

    Raises:
        InvalidSpaceError: a value is not valid for its hyperparameter.
    """
    hps = space.copy()
    for name, value in values.items():
        if schedule.is_scheduling(name) and not hps.is_defined(name):
            hps.register(Fixed(name, value))
        else:
            hps.assign(name, value)
    hps.ensure_active_values()
    return hps


def configure(trial: Trial, space: HyperParameters, values: Any) -> dict[str, Any]:
    """Check a recorded trial's ``values`` against ``space`` now; build its hyperparameters when read.

    Values of names the space does not define (untuned entries, a custom
    oracle's suggestions) are kept as they are, as the trial had them.
    """
    values = checked_dict(values)
    for name, value in values.items():
        if space.is_defined(name):
            space.validate(name, value)
    trial.defer_hyperparameters(lambda: configuration(space, values))
    return values


def checked_dict(value: Any) -> dict[str, Any]:
    """``value``, checked to be an object whose ``tuner/trial_id`` (if any) is a valid trial id."""
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    parent = value.get(schedule.TRIAL_ID)
    if parent is not None and not paths.is_trial_id(parent):
        raise ValueError(f"{schedule.TRIAL_ID}={parent!r} is not a valid trial id")
    return value
