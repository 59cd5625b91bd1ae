"""The callbacks a trial adds to ``model.fit``: reporting and best-epoch checkpoints.

Both tolerate a custom training loop that only gives them the model and
calls ``on_epoch_end`` (as the keras.io custom-training-loop guide does).
"""

import math
from typing import TYPE_CHECKING, Any

from tunecore.errors import FatalValueError, OversizedModelError
from tunecore.objective import DEFAULT_OBJECTIVE, Objective
from tunecore.trial import Trial, TrialStatus
from tunecore_keras import weights
from tunecore_keras.backend import keras

if TYPE_CHECKING:
    from tunecore_keras.tuner import Tuner


def check_model_size(model: Any, max_model_size: int | None) -> None:
    """Raise :class:`OversizedModelError` if a built ``model`` is too large.

    An unbuilt model (a ``Sequential`` without an ``Input``) cannot be counted
    yet; the trial's callback checks it again after the first epoch, which
    builds it.
    """
    if not max_model_size or not model.built:
        return
    size = model.count_params()
    if size > max_model_size:
        raise OversizedModelError(
            f"Oversized model: {size} parameters, more than max_model_size={max_model_size}."
        )


def _floats(logs):
    metrics = {}
    for name, value in (logs or {}).items():
        try:
            metrics[name] = float(value)
        except (TypeError, ValueError):
            continue
    return metrics


def check_objective_logged(objective: Objective, epoch: int, metrics: dict[str, float]) -> None:
    """Raise :class:`FatalValueError` if ``objective`` is not among an epoch's logged ``metrics``.

    Every trial would train to the end and fail the same way (no validation
    data, a misspelt metric), so the search stops at the first epoch.
    """
    missing = [name for name in objective.names if name not in metrics and name != DEFAULT_OBJECTIVE]
    if not missing:
        return
    logged = ", ".join(sorted(metrics)) or "nothing"
    if any(name.startswith("val_") for name in missing) and not any(n.startswith("val_") for n in metrics):
        hint = (
            "No validation metric was logged: pass validation_data= (or validation_split=) to "
            "search(), or choose a logged metric as the objective."
        )
    else:
        hint = "Choose a logged metric as the objective, or compile the model with the metric it names."
    raise FatalValueError(
        f"The objective {', '.join(map(repr, missing))} is not in the logs of epoch {epoch} (logged: "
        f"{logged}), so no trial could be scored. {hint}"
    )


class _Callback(keras.callbacks.Callback):
    """A callback whose model may be assigned, not only set.

    The keras.io guide "Tune hyperparameters in your custom training loop"
    writes ``callback.model = model``, which Keras 2 allowed; Keras 3's
    ``Callback.model`` is read-only (``set_model`` sets it).
    """

    @property
    def model(self) -> Any:
        return keras.callbacks.Callback.model.fget(self)

    @model.setter
    def model(self, model: Any) -> None:
        self.set_model(model)


class TrialCallback(_Callback):
    """Runs the tuner's epoch hooks, reports each epoch and stops on a NaN loss.

    Args:
        tuner: The :class:`~tunecore_keras.tuner.Tuner`.
        trial: The running trial.
        live: Report each epoch to ``tuner.oracle`` as it ends (else only record it).
        check_objective: Whether the objective must be in the first epoch's logs
            (``model.fit`` is the only source of metrics, validating every epoch):
            if not, raise :class:`~tunecore.errors.FatalValueError` at once
            rather than train every trial for nothing.

    Attributes:
        epochs: ``{epoch: metrics}`` of every epoch seen, in order.
        nan_epoch: The epoch whose loss was NaN or infinite, if any.
        stopped: Whether the oracle asked the trial to stop.
    """

    def __init__(self, tuner: "Tuner", trial: Trial, live: bool = True, check_objective: bool = False) -> None:
        super().__init__()
        self.tuner = tuner
        self.trial = trial
        self.live = live
        self.check_objective = check_objective
        self.epochs: dict[int, dict[str, float]] = {}
        self.nan_epoch: int | None = None
        self.stopped = False

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        check_model_size(self.model, self.tuner.max_model_size)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.tuner.on_epoch_begin(self.trial, self.model, epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not self.epochs:
            check_model_size(self.model, self.tuner.max_model_size)
        # The hook runs first so that an override may add metrics to the logs.
        self.tuner.on_epoch_end(self.trial, self.model, epoch, logs=logs)
        metrics = _floats(logs)
        if self.check_objective and not self.epochs:
            check_objective_logged(self.tuner.oracle.objective, epoch, metrics)
        self.epochs[epoch] = metrics
        loss = metrics.get("loss")
        # TerminateOnNaN's test, once per epoch: a batch-level callback would turn
        # off Keras's asynchronous batch dispatch for every trial.
        if loss is not None and not math.isfinite(loss):
            self.nan_epoch = epoch
            self.model.stop_training = True
        if self.live:
            status = self.tuner.oracle.report(self.trial.trial_id, epoch, **metrics)
            if status == TrialStatus.STOPPED:
                self.stopped = self.model.stop_training = True


class BatchTrialCallback(TrialCallback):
    """A :class:`TrialCallback` that also runs the tuner's batch hooks.

    Used only when the tuner overrides ``on_batch_begin`` or ``on_batch_end``,
    because a batch-level callback makes Keras wait for every batch.
    """

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.tuner.on_batch_begin(self.trial, self.model, batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.tuner.on_batch_end(self.trial, self.model, batch, logs)


class SaveBestEpoch(_Callback):
    """Saves the model's weights at each epoch that improves the objective.

    Shared by all executions of a trial, so the file holds the best epoch of
    any of them. When the objective is not in the epoch's logs (it is computed
    after ``fit``), every epoch is saved, as Keras Tuner does.

    Args:
        objective: The oracle's :class:`~tunecore.Objective`.
        filepath: Where to save, ending in ``.weights.h5``.
    """

    def __init__(self, objective: Objective, filepath: str) -> None:
        super().__init__()
        self.objective = objective
        self.filepath = filepath
        self.best: float | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        metrics = _floats(logs)
        if not self.objective.has_value(metrics):
            weights.save(self.model, self.filepath)
            return
        value = self.objective.get_value(metrics)
        if math.isnan(value):
            return
        if self.best is None or self.objective.better_than(value, self.best):
            self.best = value
            weights.save(self.model, self.filepath)
