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

The names are imported on first access, so that loading the plugin does not
import Optuna.
"""

import importlib
from typing import Any

_EXPORTS = {
    "OptunaCmaEs": "tunecore_optuna.oracles",
    "OptunaGP": "tunecore_optuna.oracles",
    "OptunaNSGAII": "tunecore_optuna.oracles",
    "OptunaQMC": "tunecore_optuna.oracles",
    "OptunaRandom": "tunecore_optuna.oracles",
    "OptunaSampler": "tunecore_optuna.oracles",
    "OptunaTPE": "tunecore_optuna.oracles",
    "distribution": "tunecore_optuna.space",
    "to_study": "tunecore_optuna.study",
    "valid_value": "tunecore_optuna.space",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tunecore_optuna' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    return getattr(module, name)
