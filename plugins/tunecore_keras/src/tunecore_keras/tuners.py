"""The ready tuners with Keras Tuner's signatures: random, grid and Bayesian search.

Each builds its oracle from the arguments every oracle shares
(``hyperparameters``, ``tune_new_entries``, ``allow_new_entries``,
``max_retries_per_trial``, ``max_consecutive_failed_trials``, taken by name
or, as Keras Tuner takes them, by position after the tuner's own; see
:class:`tunecore.oracles.Oracle`) and passes the rest to
:class:`~tunecore_keras.tuner.Tuner`.
"""

import inspect
from collections.abc import Callable
from typing import Any

from tunecore import oracles
from tunecore.hypermodel import HyperModel
from tunecore.hyperparameters import HyperParameters
from tunecore_keras.tuner import Tuner

# Keras Tuner's tuners take these oracle arguments after their own, by name or by position.
_SHARED = ("hyperparameters", "tune_new_entries", "allow_new_entries", "max_retries_per_trial",
           "max_consecutive_failed_trials")


def shared_oracle_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The shared oracle arguments among a tuner's ``locals()``."""
    return {name: arguments[name] for name in _SHARED}


class RandomSearch(Tuner):
    """Random search over Keras models.

    Args:
        hypermodel: A :class:`~tunecore.HyperModel` or a function ``build(hp)``.
        objective: A metric name (direction inferred), an ``Objective`` or a list of them.
        max_trials: How many trials to run at most.
        seed: Random seed.
        hyperparameters: A search space to start from; it and the four
            arguments after it are the shared oracle arguments (see
            :class:`tunecore.oracles.Oracle`).
        **kwargs: The other oracle arguments (``pruner``, ``constraints``,
            ``warm_start_from``) and those of :class:`~tunecore_keras.tuner.Tuner`.
    """

    def __init__(
        self,
        hypermodel: HyperModel | Callable[[HyperParameters], Any] | None = None,
        objective: Any = None,
        max_trials: int | None = 10,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int | None = 3,
        **kwargs: Any,
    ) -> None:
        self.seed = seed
        oracle = oracles.RandomSearch(
            objective=objective,
            max_trials=max_trials,
            seed=seed,
            **shared_oracle_arguments(locals()),
            **oracles.pop_oracle_arguments(kwargs),
        )
        super().__init__(oracle, hypermodel, **kwargs)


class GridSearch(Tuner):
    """Grid search over Keras models, in Keras Tuner's order.

    Arguments are those of :class:`RandomSearch`; ``max_trials=None`` runs the whole grid.
    """

    def __init__(
        self,
        hypermodel: HyperModel | Callable[[HyperParameters], Any] | None = None,
        objective: Any = None,
        max_trials: int | None = None,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int | None = 3,
        **kwargs: Any,
    ) -> None:
        self.seed = seed
        oracle = oracles.GridSearch(
            objective=objective,
            max_trials=max_trials,
            seed=seed,
            **shared_oracle_arguments(locals()),
            **oracles.pop_oracle_arguments(kwargs),
        )
        super().__init__(oracle, hypermodel, **kwargs)


class BayesianOptimization(Tuner):
    """Bayesian optimisation (a Gaussian process) over Keras models.

    The ``bayesian`` oracle comes from the tunecore-bayes plugin
    (``pip install 'tunecore[bayes]'``). The arguments not listed below are
    those of :class:`RandomSearch`.

    Args:
        num_initial_points: Random trials before the model is fitted.
        alpha: Noise added to the GP's kernel diagonal.
        beta: Exploration weight of the upper confidence bound.
        **kwargs: Also the oracle's keyword-only options (``acquisition``,
            ``lengthscale_prior``, ``pending``, ``follow_up``, ``activity``,
            ``categories``, ``stall``, ``taboo``, ``exploration``, ``branches``,
            ``failures``, ``best``, ``pareto``: see
            ``tunecore_bayes.bayesian.BayesianOptimization``).

    Raises:
        PluginNotFoundError: tunecore-bayes is not installed.
    """

    def __init__(
        self,
        hypermodel: HyperModel | Callable[[HyperParameters], Any] | None = None,
        objective: Any = None,
        max_trials: int | None = 10,
        num_initial_points: int | None = None,
        alpha: float = 1e-4,
        beta: float = 2.6,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int | None = 3,
        **kwargs: Any,
    ) -> None:
        self.seed = seed
        oracle_class = oracles.get("bayesian")
        options = {
            name: kwargs.pop(name)
            for name, parameter in inspect.signature(oracle_class).parameters.items()
            if parameter.kind is parameter.KEYWORD_ONLY and name in kwargs
        }
        oracle = oracle_class(
            objective=objective,
            max_trials=max_trials,
            num_initial_points=num_initial_points,
            alpha=alpha,
            beta=beta,
            seed=seed,
            **shared_oracle_arguments(locals()),
            **oracles.pop_oracle_arguments(kwargs),
            **options,
        )
        super().__init__(oracle, hypermodel, **kwargs)
