"""A real search with the core alone: tune a function of three hyperparameters.

Run: python examples/quickstart.py
"""

import math

import tunecore as kt


def objective(hp):
    x = hp.Float("x", -5.0, 10.0)
    y = hp.Float("y", 0.0, 15.0)
    shape = hp.Choice("shape", ["branin", "bowl"])
    if shape == "bowl":
        return (x - 2.5) ** 2 + (y - 7.5) ** 2 / 10 + 1.0
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


oracle = "bayesian" if "bayesian" in kt.oracles.available() else "random"
tuner = kt.FunctionTuner(
    objective, objective=kt.Objective("loss", "min"), max_trials=40, oracle=oracle, seed=1,
    directory="results", project_name="quickstart", overwrite=True,
)
tuner.search()
tuner.results_summary(num_trials=3)
print("best:", tuner.get_best_hyperparameters()[0].values)
