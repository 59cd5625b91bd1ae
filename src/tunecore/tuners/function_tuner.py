"""Tune a plain function ``fn(hp) -> float | dict``, no subclass needed."""

from tunecore import oracles
from tunecore.signatures import accepts_keyword
from tunecore.storage import InMemoryStorage
from tunecore.tuners.base_tuner import BaseTuner


class FunctionTuner(BaseTuner):
    """Tunes ``fn(hp, *args, **kwargs)``, which returns the objective or a dict of metrics.

    Args:
        fn: The function to tune. It declares its hyperparameters as it runs.
        objective: The metric to optimise (default: the returned number, minimised).
        max_trials: How many trials to run.
        oracle: A registered oracle name (``"random"``, ``"grid"``, ``"bayesian"``...)
            or an :class:`~tunecore.oracles.Oracle` instance.
        directory: Keep the project under ``directory/project_name`` (default:
            in memory only).
        **oracle_kwargs: Passed to the oracle (``seed``, ``hyperparameters``...).
    """

    discover_space_by_building = False

    def __init__(
        self,
        fn,
        objective=None,
        max_trials=None,
        oracle="random",
        directory=None,
        project_name=None,
        overwrite=False,
        **oracle_kwargs,
    ):
        self.fn = fn
        oracle = oracles.create(oracle, objective=objective, max_trials=max_trials, **oracle_kwargs)
        super().__init__(
            oracle, directory=directory, project_name=project_name, overwrite=overwrite,
            storage=InMemoryStorage() if directory is None else None,
        )

    def run_trial(self, trial, *args, **kwargs):
        if not accepts_keyword(self.fn, "verbose"):
            kwargs.pop("verbose", None)
        return self.fn(trial.hyperparameters, *args, **kwargs)


def tune(fn, *args, objective=None, max_trials=None, oracle="random", executor=None,
         max_parallel_trials=None, verbose=1, **kwargs):
    """Tune ``fn(hp, *args)`` and return the :class:`FunctionTuner` after its search.

    Example::

        def loss(hp):
            x = hp.Float("x", -5, 5)
            return (x - 1) ** 2

        tuner = tunecore.tune(loss, max_trials=30)
        tuner.get_best_hyperparameters()[0].values
    """
    tuner = FunctionTuner(fn, objective=objective, max_trials=max_trials, oracle=oracle, **kwargs)
    tuner.search(*args, executor=executor, max_parallel_trials=max_parallel_trials, verbose=verbose)
    return tuner
