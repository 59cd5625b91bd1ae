"""tunecore-bayes's hook implementations (registered through the `tunecore` entry point)."""

from tunecore.hookspecs import Register
from tunecore.plugins import hookimpl


@hookimpl
def tunecore_register_oracles(register: Register) -> None:
    register(
        "bayesian",
        "tunecore_bayes.bayesian:BayesianOptimization",
        aliases=("BayesianOptimization", "BayesianOptimizationOracle"),
    )
    register("hyperband", "tunecore_bayes.hyperband:Hyperband", aliases=("Hyperband", "HyperbandOracle"))
    register("asha", "tunecore_bayes.asha:ASHA", aliases=("ASHA", "AsyncHyperband"))
