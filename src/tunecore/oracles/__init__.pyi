# tunecore.oracles as type checkers see it: __init__.py's names, plus the oracles
# that plugins register, each under its real class (the plugin registry resolves
# them at run time, on first use). A plugin that is not installed leaves its
# import unresolved and its names unknown. tests/test_typing.py keeps this file
# in step with __init__.py and the plugins' registrations.

from typing import Any

from tunecore.errors import TooManyFailedTrialsError as TooManyFailedTrialsError
from tunecore.oracles.base import Oracle as Oracle
from tunecore.oracles.grid import GridSearch as GridSearch
from tunecore.oracles.random import RandomSearch as RandomSearch

# tunecore-bayes (pip install 'tunecore[bayes]')
from tunecore_bayes.asha import ASHA as ASHA
from tunecore_bayes.bayesian import BayesianOptimization as BayesianOptimization
from tunecore_bayes.hyperband import Hyperband as Hyperband

# tunecore-optuna (pip install 'tunecore[optuna]')
from tunecore_optuna.oracles import (
    OptunaCmaEs as OptunaCmaEs,
    OptunaGP as OptunaGP,
    OptunaNSGAII as OptunaNSGAII,
    OptunaQMC as OptunaQMC,
    OptunaRandom as OptunaRandom,
    OptunaSampler as OptunaSampler,
    OptunaTPE as OptunaTPE,
)

RandomSearchOracle = RandomSearch
GridSearchOracle = GridSearch
AsyncHyperband = ASHA
BayesianOptimizationOracle = BayesianOptimization
HyperbandOracle = Hyperband

__all__ = [
    "Oracle", "RandomSearch", "RandomSearchOracle", "GridSearch", "GridSearchOracle",
    "TooManyFailedTrialsError", "get", "available", "create", "ORACLE_ARGUMENTS",
    "pop_oracle_arguments",
]

ORACLE_ARGUMENTS: tuple[str, ...]

def pop_oracle_arguments(kwargs: dict[str, Any]) -> dict[str, Any]: ...
def get(name: str) -> Any: ...
def available() -> list[str]: ...
def create(oracle: Any, **kwargs: Any) -> Oracle: ...

# An oracle registered by a third-party plugin.
def __getattr__(name: str) -> Any: ...
