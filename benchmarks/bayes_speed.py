"""Milliseconds per suggestion of Bayesian optimization: tunecore, Optuna GPSampler, Keras Tuner.

On Hartmann 6-D, each method first takes ``n`` random (quasi-random for
tunecore) trials, its initial design set to ``n``, so that the model is first
used with ``n`` observations; then the next ``--repeats`` suggestions are timed
one by one, each evaluated and told before the next (observations n, n+1, ...),
in ``--seeds`` runs (Keras Tuner: one).
At n = 1000 only tunecore runs (``--reference-max-n``, default 200: Optuna's
exact GP refits on every observation, seconds per suggestion there).
Only the call that returns the next configuration is timed:

* tunecore: ``BayesianOptimization.ask`` (in memory), which fits the GP
  (warm-started from the previous fit after the first) and maximises log EI;
  ``tunecore_bo_optunaprior`` / ``tunecore_bo_laplaceprior`` with
  ``lengthscale_prior="optuna"`` (one fit, the default up to 0.2) / ``"laplace"``.
* Optuna: ``study.ask(distributions)`` with ``GPSampler(n_startup_trials=n)``.
* Keras Tuner: ``BayesianOptimizationOracle.create_trial`` (project in a temp
  dir), which fits scikit-learn's GP and maximises the bound from 50 starts.

The tables give the median over all timed suggestions of the wall time and of
this process's CPU time, and the mean CPU time: ``lengthscale_prior="select"``
compares all its priors at the first suggestion and then only on a schedule
(every 20 % more observations, or a better loss), so its median is the cost of
a suggestion between comparisons and its mean, over enough ``--repeats``, the
amortised cost (the first timed suggestion is always a comparison). Everything runs in one process, one method at a time,
single-threaded (BLAS and torch), so that the figures compare algorithms rather
than thread pools, and CPU time is close to what the call would take alone on a
quiet machine; wall time carries the other tenants' load (the load average is
printed before and after).

``--dims`` times Levy on [-10, 10]^d instead, for each d given (scaling with
the dimension, issue 24); the table then has one row per (method, d).

Usage::

    .venv/bin/python benchmarks/bayes_speed.py
    .venv/bin/python benchmarks/bayes_speed.py --quick
    .venv/bin/python benchmarks/bayes_speed.py --methods tunecore_bo optuna_gp --dims 6 15 30 --sizes 200
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import math
import tempfile
import time

import numpy as np

import _common
import _testfunctions

_common.silence_frameworks()

METHODS = ("tunecore_bo", "tunecore_bo_optunaprior", "tunecore_bo_laplaceprior", "optuna_gp", "kt_bo")
SIZES = (10, 50, 100, 200, 1000)
FUNCTION = _testfunctions.FUNCTIONS["hartmann6"]


def levy(d):
    """Levy on [-10, 10]^d as a ``TestFunction``."""

    def fn(values):
        w = 1.0 + (np.array([values[f"x{i}"] for i in range(d)]) - 1.0) / 4.0
        middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
        last = (w[-1] - 1) ** 2 * (1 + np.sin(2 * math.pi * w[-1]) ** 2)
        return float(np.sin(math.pi * w[0]) ** 2 + middle + last)

    return _testfunctions.TestFunction(f"levy{d}", _testfunctions._box(d, -10.0, 10.0), fn, 0.0)


class _Clock:
    """Appends ``(wall, cpu)`` seconds of the ``with`` block to a list."""

    def __init__(self, into):
        self.into = into

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.into.append((time.perf_counter() - self.wall, time.process_time() - self.cpu))


def time_tunecore(n, repeats, seed, **kwargs):
    import tunecore as kt

    oracle = kt.oracles.BayesianOptimization(
        objective="loss", max_trials=n + repeats, num_initial_points=n, seed=seed,
        hyperparameters=_testfunctions.keras_hyperparameters(FUNCTION.space, kt), **kwargs,
    )

    def tell(trial):
        oracle.tell(trial.trial_id, FUNCTION.fn(trial.hyperparameters.values))

    for _ in range(n):
        tell(oracle.ask("worker"))
    seconds = []
    for _ in range(repeats):
        with _Clock(seconds):
            trial = oracle.ask("worker")
        tell(trial)
    return seconds


def time_optuna_gp(n, repeats, seed):
    import optuna
    import torch

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed, n_startup_trials=n))
    distributions = _testfunctions.optuna_distributions(FUNCTION.space)
    seconds = []
    for i in range(n + repeats):
        with _Clock(seconds if i >= n else []):
            trial = study.ask(distributions)
        study.tell(trial, FUNCTION.fn(trial.params))
    return seconds


def time_keras_tuner(n, repeats, seed):
    import keras_tuner

    oracle = keras_tuner.oracles.BayesianOptimizationOracle(
        objective=keras_tuner.Objective("loss", "min"), max_trials=n + repeats, num_initial_points=n,
        hyperparameters=_testfunctions.keras_hyperparameters(FUNCTION.space, keras_tuner), seed=seed,
    )
    seconds = []
    with tempfile.TemporaryDirectory() as workdir, _common.quiet():
        oracle._set_project_dir(workdir, "kt")
        for i in range(n + repeats):
            with _Clock(seconds if i >= n else []):
                trial = oracle.create_trial("worker")
            oracle.update_trial(trial.trial_id, {"loss": FUNCTION.fn(trial.hyperparameters.values)})
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
    return seconds


TIMERS = {
    "tunecore_bo": time_tunecore, "optuna_gp": time_optuna_gp, "kt_bo": time_keras_tuner,
    "tunecore_bo_optunaprior": lambda n, r, s: time_tunecore(n, r, s, lengthscale_prior="optuna"),
    "tunecore_bo_laplaceprior": lambda n, r, s: time_tunecore(n, r, s, lengthscale_prior="laplace"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=7, help="timed suggestions per size")
    parser.add_argument("--kt-repeats", type=int, default=3, help="timed suggestions per size for kt_bo")
    parser.add_argument("--quick", action="store_true", help="sizes 10 and 50, 3 repeats (kt_bo: 1), 1 seed")
    parser.add_argument("--seeds", type=int, default=3, help="runs per size (kt_bo: 1), seeds 0, 1, ...")
    parser.add_argument("--reference-max-n", type=int, default=200,
                        help="largest n timed for optuna_gp and kt_bo")
    parser.add_argument("--dims", nargs="*", type=int, default=[],
                        help="time Levy in these dimensions instead of Hartmann 6-D")
    args = parser.parse_args(argv)
    if args.dims:
        global FUNCTION
        for d in args.dims:
            FUNCTION = levy(d)
            print(f"\n## Levy {d}-D\n")
            _run(args)
        return
    _run(args)


def _run(args):
    if args.quick:
        args.sizes, args.repeats, args.kt_repeats, args.seeds = [10, 50], 3, 1, 1

    load_before = os.getloadavg()
    wall, cpu, mean_cpu = {}, {}, {}
    for method in args.methods:
        repeats = args.kt_repeats if method == "kt_bo" else args.repeats
        TIMERS[method](3, 1, 0)  # Imports and first-call set-up are not per-suggestion costs.
        for n in args.sizes:
            if not method.startswith("tunecore_bo") and n > args.reference_max_n:
                continue
            seeds = 1 if method == "kt_bo" else args.seeds
            seconds = [t for seed in range(seeds) for t in TIMERS[method](n, repeats, seed)]
            wall[method, n] = 1000 * _common.median([w for w, _ in seconds])
            cpu[method, n] = 1000 * _common.median([c for _, c in seconds])
            mean_cpu[method, n] = 1000 * sum(c for _, c in seconds) / len(seconds)
            print(f"{method} n={n}: {wall[method, n]:.1f} ms wall, {cpu[method, n]:.1f} ms CPU "
                  f"(mean {mean_cpu[method, n]:.1f})", flush=True)
    load_after = os.getloadavg()

    for label, table in (("CPU", cpu), ("wall", wall), ("mean CPU", mean_cpu)):
        header = ["method"] + [f"n={n}" for n in args.sizes]
        rows = [[m] + [f"{table[m, n]:.1f}" if (m, n) in table else "-" for n in args.sizes]
                for m in args.methods]
        for reference in ("optuna_gp", "kt_bo"):
            if "tunecore_bo" in args.methods and reference in args.methods:
                rows.append([f"tunecore_bo / {reference}"] + [
                    f"{table['tunecore_bo', n] / table[reference, n]:.3f}" if (reference, n) in table else "-"
                    for n in args.sizes
                ])
        print(f"\n{'Mean CPU' if label == 'mean CPU' else 'Median ' + label} ms per suggestion on {FUNCTION.name} ({FUNCTION.d}-D), by observations n\n")
        print(_common.markdown_table(header, rows))
    print(f"\nLoad average (1, 5, 15 min) before: {load_before}, after: {load_after}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
