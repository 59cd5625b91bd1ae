"""The plugin's hook implementations, found through its ``tunecore`` entry point.

Keep this module light: tunecore imports it to discover plugins, so a heavy
framework is named by an import path (``"package.module:Class"``), not imported.
"""

import tunecore
from tunecore.hookspecs import Register


@tunecore.hookimpl
def tunecore_register_oracles(register: Register) -> None:
    register("local_search", "tunecore_plugin_template.oracle:LocalSearch", aliases=("LocalSearch",))


# An executor goes here the same way, e.g.
#
#     @tunecore.hookimpl
#     def tunecore_register_executors(register: Register) -> None:
#         register("my_cluster", "tunecore_plugin_template.executor:MyClusterExecutor")
#
# with a ``tunecore.executors.Executor`` subclass; then
# ``search(executor="my_cluster", max_parallel_trials=n)`` uses it.
#
# A storage is not registered by name: subclass ``tunecore.storage.Storage`` and
# pass an instance to a tuner (``kt.RandomSearch(..., storage=MyStorage(...))``).
# Test either with tunecore.testing's conformance suite for its kind, as
# tests/test_oracle.py does for the oracle.
