"""Hyperband over Keras models: promoted trials continue from their parent's checkpoint."""

import warnings
from collections.abc import Callable
from typing import Any

from tunecore import oracles, schedule
from tunecore.hypermodel import HyperModel
from tunecore.hyperparameters import HyperParameters
from tunecore.trial import Trial
from tunecore_keras.tuner import Tuner
from tunecore_keras.tuners import shared_oracle_arguments


class Hyperband(Tuner):
    """Hyperband, as Keras Tuner runs it.

    The ``hyperband`` oracle (from tunecore-bayes, ``pip install 'tunecore[bayes]'``)
    sets each trial's ``tuner/epochs`` and ``tuner/initial_epoch``; a promoted
    trial names in ``tuner/trial_id`` the trial whose best checkpoint it loads
    and continues from. ``search(epochs=...)`` is therefore ignored, with a
    warning. With ``keep_best_checkpoints``, checkpoints are pruned when the
    search ends, since a later round may still promote any trial.

    The arguments not listed below are those of
    :class:`~tunecore_keras.tuners.RandomSearch`.

    Args:
        max_epochs: The most epochs one model is trained.
        factor: Reduction factor of the number of models and epochs between rounds.
        hyperband_iterations: How many times to run the whole Hyperband schedule.
        model_based: Whether new configurations come from a Gaussian process of
            the results so far, as in BOHB, rather than at random.
        proposer: A callable ``proposer(oracle)`` that returns the values of a
            new configuration, or None for a random one (see the
            ``hyperband`` oracle); not with ``model_based``.

    Raises:
        PluginNotFoundError: tunecore-bayes is not installed.
        ValueError: both ``model_based`` and ``proposer`` are given.
    """

    prune_checkpoints_during_search = False

    def __init__(
        self,
        hypermodel: HyperModel | Callable[[HyperParameters], Any] | None = None,
        objective: Any = None,
        max_epochs: int = 100,
        factor: int = 3,
        hyperband_iterations: int | None = 1,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int | None = 3,
        *,
        model_based: bool = False,
        proposer: Callable[[oracles.Oracle], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.seed = seed
        oracle = oracles.get("hyperband")(
            objective,
            max_epochs=max_epochs,
            factor=factor,
            hyperband_iterations=hyperband_iterations,
            seed=seed,
            model_based=model_based,
            proposer=proposer,
            **shared_oracle_arguments(locals()),
            **oracles.pop_oracle_arguments(kwargs),
        )
        super().__init__(oracle, hypermodel, **kwargs)

    def search(self, *fit_args: Any, **fit_kwargs: Any) -> None:
        if "epochs" in fit_kwargs:
            warnings.warn(
                f"Hyperband sets each trial's epochs from its schedule; "
                f"search(epochs={fit_kwargs['epochs']!r}) is ignored.",
                UserWarning,
                stacklevel=2,
            )
        super().search(*fit_args, **fit_kwargs)

    def run_trial(self, trial: Trial, *fit_args: Any, **fit_kwargs: Any) -> Any:
        values = trial.hyperparameters.values
        if schedule.EPOCHS in values:
            fit_kwargs["epochs"] = values[schedule.EPOCHS]
            fit_kwargs["initial_epoch"] = values[schedule.INITIAL_EPOCH]
        return super().run_trial(trial, *fit_args, **fit_kwargs)

    def _try_build(self, hp):
        model = super()._try_build(hp)
        parent = hp.values.get(schedule.TRIAL_ID)
        if parent is not None:
            self._load_checkpoint(model, parent)
        return model
