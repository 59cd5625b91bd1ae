"""The suite runs BLAS and OpenMP single-threaded (the root conftest.py), child processes too."""

import subprocess
import sys

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

_MOST_THREADS = "import numpy, scipy.linalg, threadpoolctl; print(max(p['num_threads'] for p in threadpoolctl.threadpool_info()))"


def test_blas_runs_single_threaded_in_the_tests():
    import numpy  # noqa: F401  (loads its BLAS)
    import scipy.linalg  # noqa: F401

    pools = threadpoolctl.threadpool_info()
    assert pools and {pool["num_threads"] for pool in pools} == {1}, pools


def test_blas_runs_single_threaded_in_child_processes():
    found = subprocess.run([sys.executable, "-c", _MOST_THREADS], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "1"
