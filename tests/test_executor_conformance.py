"""The core's executors pass the public executor conformance suite."""

import pytest

from tunecore.executors import InProcessExecutor, ProcessPoolExecutor
from tunecore.testing import ExecutorConformance


class TestInProcessExecutor(ExecutorConformance):
    @pytest.fixture
    def make_executor(self):
        return lambda max_workers: InProcessExecutor()


class TestProcessPoolExecutor(ExecutorConformance):
    kills_trials = True
    isolates_trials = True

    @pytest.fixture
    def make_executor(self):
        return ProcessPoolExecutor


@pytest.fixture(scope="module")
def dask_cluster():
    """Two worker processes with nannies, shared by the Dask tests; a dying worker fails its task at once."""
    pytest.importorskip("distributed")
    import dask.config
    import distributed

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
    with cluster:
        yield cluster


@pytest.mark.slow
class TestDaskExecutor(ExecutorConformance):
    kills_trials = True
    isolates_trials = True

    @pytest.fixture
    def make_executor(self, dask_cluster):
        from tunecore.executors.dask import DaskExecutor

        return lambda max_workers: DaskExecutor(dask_cluster, max_workers=max_workers)
