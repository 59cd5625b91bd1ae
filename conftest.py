"""Run the whole test suite with single-threaded BLAS and OpenMP.

The GP tests factorise small matrices thousands of times, and a multithreaded
BLAS oversubscribes a loaded machine: a test that takes 1.4 s took 65-250 s on
two busy cores. pytest reads this file before any test imports numpy, and child
processes (the process executor, the many-driver tests) inherit the variables.
"""

import os

_THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)

os.environ.update(dict.fromkeys(_THREAD_VARIABLES, "1"))
