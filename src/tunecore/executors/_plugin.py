"""The built-in executors, registered like any plugin's."""

from tunecore.hookspecs import Register
from tunecore.plugins import hookimpl


@hookimpl
def tunecore_register_executors(register: Register) -> None:
    register("inprocess", "tunecore.executors.inprocess:InProcessExecutor", aliases=("serial",))
    register("process", "tunecore.executors.process:ProcessPoolExecutor", aliases=("processes",))
    register("dask", "tunecore.executors.dask:DaskExecutor")
