"""The ``tuner/*`` values that schedule a trial: Keras Tuner's names, owned here.

A budgeting oracle (Hyperband, ASHA) injects these into the values of the
trials it suggests, and ``run_trial`` code written for Keras Tuner reads them
from ``trial.hyperparameters``: train from ``tuner/initial_epoch`` up to
``tuner/epochs``, loading the checkpoint of ``tuner/trial_id`` when given.
They are never part of the search space and, but for ``tuner/trial_id``, they
do not tell two configurations apart (the same configuration at another
budget is not a new configuration; one that continues another trial is).
"""

from collections.abc import Mapping
from typing import Any

PREFIX = "tuner/"
EPOCHS = "tuner/epochs"
INITIAL_EPOCH = "tuner/initial_epoch"
BRACKET = "tuner/bracket"
ROUND = "tuner/round"
TRIAL_ID = "tuner/trial_id"


def is_scheduling(name: str) -> bool:
    """Whether ``name`` is a scheduling value rather than a hyperparameter."""
    return name.startswith(PREFIX)


def user_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the scheduling ones: the configuration itself."""
    return {name: value for name, value in values.items() if not name.startswith(PREFIX)}


def scheduled(
    values: Mapping[str, Any],
    epochs: int,
    initial_epoch: int,
    bracket: int,
    round: int,
    parent: str | None = None,
) -> dict[str, Any]:
    """``values`` plus the scheduling values Keras Tuner's Hyperband gives a trial.

    Args:
        values: The configuration.
        epochs: Train up to this epoch.
        initial_epoch: Start training at this epoch.
        bracket: The Hyperband bracket.
        round: The rung within the bracket.
        parent: The trial whose checkpoint this one continues, if any.

    Returns:
        A new dict; ``values`` is left unchanged.
    """
    values = dict(values)
    if parent is not None:
        values[TRIAL_ID] = parent
    values.update({EPOCHS: epochs, INITIAL_EPOCH: initial_epoch, BRACKET: bracket, ROUND: round})
    return values
