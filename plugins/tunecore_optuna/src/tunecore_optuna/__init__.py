"""tunecore-optuna: Optuna's tools on tunecore searches, and Optuna's samplers as oracles.

* :func:`to_study` turns a project (a path, a :class:`tunecore.Project`, a
  tuner) into an :class:`optuna.Study`, read-only.
* :mod:`tunecore_optuna.visualization` and :mod:`tunecore_optuna.importance`:
  Optuna's plots and hyperparameter importances on it (also reachable as
  ``tunecore.visualization`` and ``tunecore.importance``).
* :mod:`tunecore_optuna.dashboard`: ``tunecore dashboard PROJECT`` serves
  optuna-dashboard on a project, live while its search runs.
* :class:`OptunaSampler` and the registered oracles ``"optuna:tpe"``,
  ``"optuna:cmaes"``, ``"optuna:qmc"``, ``"optuna:nsga2"``, ``"optuna:gp"``,
  ``"optuna:random"``.
"""

from tunecore_optuna.oracles import (
    OptunaCmaEs,
    OptunaGP,
    OptunaNSGAII,
    OptunaQMC,
    OptunaRandom,
    OptunaSampler,
    OptunaTPE,
)
from tunecore_optuna.space import distribution, valid_value
from tunecore_optuna.study import to_study

__all__ = [
    "OptunaCmaEs", "OptunaGP", "OptunaNSGAII", "OptunaQMC", "OptunaRandom", "OptunaSampler",
    "OptunaTPE", "distribution", "to_study", "valid_value",
]
