"""The worker side of the Dask executor: the runner, installed once per worker.

Imported by :mod:`tunecore.executors.dask` when a search starts, never by
``import tunecore``.
"""

import threading
from typing import Any

from distributed import WorkerPlugin, get_worker

from tunecore.executors.payload import load_runner
from tunecore.trial import Trial

# (plugin name, thread id) -> runner. Each worker thread keeps its own runner so
# that trials running side by side in one process never share the tuner's
# reporting oracle.
_runners: dict[tuple[str, int], Any] = {}


class RunnerPlugin(WorkerPlugin):
    """Carries a search's pickled runner to every worker, even one that joins or restarts.

    Unlike scattered data, a plugin is not lost with the worker that holds it,
    and tasks do not depend on it, so Dask spreads trials over idle workers
    instead of sending them where the data is.
    """

    def __init__(self, name: str, payload: bytes) -> None:
        self.name = name
        self.payload = payload

    def teardown(self, worker: Any) -> None:
        for key in [key for key in _runners if key[0] == self.name]:
            _runners.pop(key, None)


def run_trial(plugin_name: str, trial: Trial) -> Any:
    """Run ``trial`` with the runner of the search that registered ``plugin_name``."""
    key = (plugin_name, threading.get_ident())
    runner = _runners.get(key)
    if runner is None:
        runner = _runners[key] = load_runner(get_worker().plugins[plugin_name].payload)
    return runner(trial)
