"""The built-in oracles, registered like any plugin's."""

from tunecore.plugins import hookimpl


@hookimpl
def tunecore_register_oracles(register):
    register("random", "tunecore.oracles.random:RandomSearch", aliases=("RandomSearch", "RandomSearchOracle"))
    register("grid", "tunecore.oracles.grid:GridSearch", aliases=("GridSearch", "GridSearchOracle"))
