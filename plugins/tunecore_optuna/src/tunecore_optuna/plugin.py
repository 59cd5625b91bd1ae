"""tunecore-optuna's hook implementations (registered through the `tunecore` entry point).

Oracles are registered by their import path, so that discovering plugins does
not import Optuna.
"""

from tunecore.hookspecs import Register
from tunecore.plugins import hookimpl

ORACLES = {
    "optuna:tpe": "OptunaTPE",
    "optuna:cmaes": "OptunaCmaEs",
    "optuna:qmc": "OptunaQMC",
    "optuna:nsga2": "OptunaNSGAII",
    "optuna:gp": "OptunaGP",
    "optuna:random": "OptunaRandom",
}


@hookimpl
def tunecore_register_oracles(register: Register) -> None:
    for name, cls in ORACLES.items():
        register(name, f"tunecore_optuna.oracles:{cls}", aliases=(cls,))
    register("optuna", "tunecore_optuna.oracles:OptunaSampler", aliases=("OptunaSampler",))
