"""Checkpoint files: the model's weights without its optimizer's state.

A trial's model is always recompiled before its weights are loaded (by
``load_model`` or a Hyperband promotion, as in Keras Tuner), so the optimizer's
state would never be restored; leaving it out makes an Adam-trained checkpoint
about three times smaller. Keras exposes ``objects_to_skip`` only in its saving
library; without it we fall back to ``model.save_weights``.
"""

import os
import warnings
from typing import Any

from tunecore_keras.backend import keras

try:
    from keras.src.saving import saving_lib
except ImportError:  # a Keras without the saving library's layout
    saving_lib = None


def _overrides(model, method):
    return getattr(type(model), method, None) is not getattr(keras.Model, method)


def _skip(model):
    optimizer = getattr(model, "optimizer", None)
    return [optimizer] if optimizer is not None else []


def save(model: Any, path: str) -> None:
    """Save ``model``'s weights (not its optimizer's) to ``path`` (``.weights.h5``).

    A model class that overrides ``save_weights`` is saved by its own method
    (one that writes nothing leaves no checkpoint, as in Keras Tuner). The file
    is written beside ``path`` and renamed over it, so a link at ``path`` is
    replaced, never written through (nothing in a project is followed as a
    link), and a crash never leaves half a checkpoint.
    """
    folder, name = os.path.split(path)
    partial = os.path.join(folder, "partial-" + name)  # keeps the .weights.h5 that Keras asks for
    if os.path.lexists(partial):
        os.remove(partial)  # a link left there goes, not what it points to
    if saving_lib is None or _overrides(model, "save_weights"):
        model.save_weights(partial)
    else:
        saving_lib.save_weights_only(model, partial, objects_to_skip=_skip(model))
    if os.path.lexists(partial):
        os.replace(partial, path)


def load(model: Any, path: str) -> None:
    """Load weights saved by :func:`save` (or by ``model.save_weights``) into ``model``."""
    if saving_lib is None or _overrides(model, "load_weights"):
        with warnings.catch_warnings():
            # The fresh model's optimizer state cannot match the file's: expected.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(path)
        return
    saving_lib.load_weights_only(model, path, objects_to_skip=_skip(model))
