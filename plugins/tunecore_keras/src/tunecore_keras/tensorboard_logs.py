"""TensorBoard: a log folder per trial, and each trial's hyperparameters for HParams.

A ``keras.callbacks.TensorBoard(log_dir)`` given to ``search`` logs each trial's
epochs to ``<log_dir>/<trial_id>`` (``/execution<i>`` with several executions).
The search-wide part of HParams (each hyperparameter's declared domain, the
trial's score, how it ended) is the core's
:class:`tunecore.integrations.TensorBoardHParams`, the same for every tuner:
:func:`hparams_callbacks` makes one per log folder.

TensorFlow no longer ships ``tensorboard``; it is the extra ``tunecore[tensorboard]``.
"""

import importlib
import os
from collections.abc import Iterable
from typing import Any

from tunecore.errors import MissingDependencyError
from tunecore.hyperparameters import HyperParameters
from tunecore.integrations import TensorBoardHParams
from tunecore.integrations.tensorboard import hparams_domain
from tunecore.optional import optional_import
from tunecore.trial import Trial
from tunecore_keras.backend import keras


def _boards(callbacks):
    return [cb for cb in callbacks if isinstance(cb, keras.callbacks.TensorBoard)]


def require(callbacks: Iterable[Any]) -> None:
    """Fail at once if a TensorBoard callback is given but tensorboard is missing.

    Raises:
        MissingDependencyError: naming ``pip install 'tunecore[tensorboard]'``.
    """
    if not _boards(callbacks):
        return
    try:
        optional_import("tensorboard", "tensorboard")
    except MissingDependencyError as exc:
        raise MissingDependencyError(
            f"search() got a keras.callbacks.TensorBoard callback, which needs tensorboard "
            f"to record each trial's hyperparameters. {exc}"
        ) from exc.__cause__


def configure(callbacks: list[Any], trial: Trial, execution: int | None = None) -> None:
    """Point each TensorBoard callback at ``<log_dir>/<trial_id>[/execution<i>]``.

    Adds tensorboard's HParams callback beside each, so that the HParams
    dashboard lists the trial's hyperparameters next to its metrics.

    Args:
        callbacks: This execution's copies of the user's callbacks (changed in place).
        trial: The running trial.
        execution: The execution's index when a trial has several, else None.
    """
    boards = _boards(callbacks)
    if not boards:
        return
    hparams_api = importlib.import_module("tensorboard.plugins.hparams.api")
    hparams = to_hparams(trial.hyperparameters, hparams_api)
    for board in boards:
        parts = [str(board.log_dir), str(trial.trial_id)]
        if execution is not None:
            parts.append(f"execution{execution}")
        board.log_dir = os.path.join(*parts)
        callbacks.append(hparams_api.KerasCallback(board.log_dir, hparams, trial_id=trial.trial_id))


def hparams_callbacks(callbacks: Iterable[Any]) -> list[TensorBoardHParams]:
    """A core :class:`~tunecore.integrations.TensorBoardHParams` search callback per TensorBoard log folder.

    It declares the search space and records each trial's score in the same
    folders as the per-epoch logs (``<log_dir>`` and ``<log_dir>/<trial_id>``).
    """
    folders = dict.fromkeys(str(board.log_dir) for board in _boards(callbacks))
    return [TensorBoardHParams(folder) for folder in folders]


def to_hparams(hyperparameters: HyperParameters, hparams_api: Any) -> dict[Any, Any]:
    """``{HParam: value}`` for the active hyperparameters, with their declared domains."""
    hparams: dict[Any, Any] = {}
    values = hyperparameters.values
    for hp in hyperparameters.space:
        if hp.name not in values or any(h.name == hp.name for h in hparams):
            continue
        domain, description = hparams_domain(hp, hparams_api)
        hparams[hparams_api.HParam(hp.name, domain, description=description)] = values[hp.name]
    return hparams
