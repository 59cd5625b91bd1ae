"""TensorBoard: a log folder per trial, and each trial's hyperparameters for HParams.

TensorFlow no longer ships ``tensorboard``; it is the extra ``tunecore[tensorboard]``.
"""

import importlib
import os

import keras

from tunecore.optional import optional_import
from tunecore.errors import MissingDependencyError
from tunecore.hyperparameters import Float, Int


def _boards(callbacks):
    return [cb for cb in callbacks if isinstance(cb, keras.callbacks.TensorBoard)]


def require(callbacks):
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


def configure(callbacks, trial, execution=None):
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


def to_hparams(hyperparameters, hparams_api):
    """``{HParam: value}`` for the active hyperparameters, with their domains."""
    hparams = {}
    values = hyperparameters.values
    for hp in hyperparameters.space:
        if hp.name not in values:
            continue
        if isinstance(hp, Float) and hp.step is None:
            domain = hparams_api.RealInterval(float(hp.min_value), float(hp.max_value))
        elif isinstance(hp, Int) and hp.step in (None, 1):
            domain = hparams_api.IntInterval(int(hp.min_value), int(hp.max_value))
        else:
            domain = hparams_api.Discrete(list(hp.grid_values()))
        hparams[hparams_api.HParam(hp.name, domain)] = values[hp.name]
    return hparams
