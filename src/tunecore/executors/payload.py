"""Pickling what travels to a worker, with errors that name the culprit."""

from typing import Any

import cloudpickle

from tunecore.errors import UnpicklableError


def dump_runner(runner: Any) -> bytes:
    """Pickle a trial runner, or say which of its parts cannot be pickled."""
    try:
        return cloudpickle.dumps(runner)
    except Exception as exc:
        culprit = _find_unpicklable(runner)
        raise UnpicklableError(
            f"Trials cannot be sent to worker processes: {culprit} cannot be pickled "
            f"({type(exc).__name__}: {exc}). Keep open files, locks, sessions and built "
            "models out of the hypermodel and the search arguments, or use the "
            "in-process executor."
        ) from exc


def load_runner(payload: bytes) -> Any:
    return cloudpickle.loads(payload)


def _find_unpicklable(runner: Any) -> str:
    parts: dict[str, Any] = {}
    for i, arg in enumerate(getattr(runner, "fit_args", ())):
        parts[f"search argument #{i}"] = arg
    for key, arg in getattr(runner, "fit_kwargs", {}).items():
        parts[f"search argument {key!r}"] = arg
    tuner = getattr(runner, "tuner", None)
    if tuner is not None:
        parts["the hypermodel"] = getattr(tuner, "hypermodel", None)
        for key, value in tuner.__getstate__().items():
            parts[f"the tuner attribute {key!r}"] = value
    for label, value in parts.items():
        if value is None:
            continue
        try:
            cloudpickle.dumps(value)
        except Exception:
            return f"{label} ({type(value).__name__})"
    return f"the runner ({type(runner).__name__})"
