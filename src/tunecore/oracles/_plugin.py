"""The built-in oracles, registered like any plugin's."""

from collections.abc import Callable
from typing import Any

from tunecore.plugins import hookimpl


@hookimpl
def tunecore_register_oracles(register: Callable[..., Any]) -> None:
    register("random", "tunecore.oracles.random:RandomSearch", aliases=("RandomSearch", "RandomSearchOracle"))
    register("grid", "tunecore.oracles.grid:GridSearch", aliases=("GridSearch", "GridSearchOracle"))
