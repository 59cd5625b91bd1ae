"""Simple regret of tunecore's Bayesian optimization against Keras Tuner and Optuna.

Every method minimises the same test functions (``_testfunctions.py``) with
its default settings, one seed per run. The original six (issue 3): Branin
2-D, Hartmann 6-D, Rosenbrock 4-D, Ackley 5-D, Levy 4-D and a mixed space of a
log-scaled float, an int and a 3-way unordered choice. Four more (issue 12),
one per weakness found: ``ellipsoid4`` (noise-free rotated quadratic: final
precision), ``shekel4`` (ten narrow wells), ``svc_digits`` (a real 3-fold CV
search of an SVC on 180 digits, kernel choice x log C x log gamma: the CV error
is a multiple of 1/180 and whole regions tie) and ``levy10`` (10-D, read at
100 trials).

* ``tunecore_bo``: ``tunecore.oracles.BayesianOptimization`` driven in memory by
  ``tunecore.testing.run_trials``.
* ``tunecore_bo_pending8``: the same, asynchronously with 8 trials always
  running: 8 are asked, then each tell (oldest first) is followed by an ask;
  f values in the order they are told.
* ``tunecore_bo_alpha1e-4``: tunecore_bo with the noise floor of v1 (Keras
  Tuner's ``alpha=1e-4``) instead of 1e-6.
* ``tunecore_random``: ``tunecore.oracles.RandomSearch``, the same way.
* ``kt_bo``: ``keras_tuner.oracles.BayesianOptimizationOracle`` driven through its
  oracle API (create_trial / update_trial / end_trial), project in a temp dir.
* ``optuna_tpe`` / ``optuna_gp``: an in-memory study with ``TPESampler`` /
  ``GPSampler`` driven by ``study.ask`` / ``study.tell``.

Simple regret after t trials is min(f over the first t trials) - f*; the tables
give the median and interquartile range over seeds of log10 of it (floored at
1e-12); for ``svc_digits`` the regret itself (CV error above the best known).
Budgets by default: 10 seeds x 100 trials; Optuna's GPSampler (several
seconds per run of 50 trials) 10 seeds x 50 trials (``--gp-trials``); Keras
Tuner's BO (seconds per suggestion) 3 seeds x 50 trials (``--kt-seeds``,
``--kt-trials``); on a function read at 100 trials (``levy10``) both run 100.
Each cell says how many seeds it has. Every worker is
single-threaded (BLAS and torch); ``--workers`` processes run at once.
``--json`` saves the raw values and ``--load`` tables earlier runs' methods
beside this run's (e.g. rerun only ``tunecore_bo`` against stored baselines).

Usage::

    .venv/bin/python benchmarks/bayes_regret.py                # the full run
    .venv/bin/python benchmarks/bayes_regret.py --quick        # smoke run
    .venv/bin/python benchmarks/bayes_regret.py --methods tunecore_bo optuna_gp --functions branin
    .venv/bin/python benchmarks/bayes_regret.py --methods tunecore_bo --load baselines.json
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import multiprocessing
import sys
import tempfile
import time

import numpy as np

import _common
import _testfunctions

_common.silence_frameworks()

METHODS = (
    "tunecore_bo", "tunecore_bo_pending8", "tunecore_bo_alpha1e-4", "tunecore_random", "kt_bo", "optuna_tpe",
    "optuna_gp",
)
CHECKPOINTS = (10, 25, 50, 100)
_FLOOR = 1e-12


def _run_tunecore(function, seed, n_trials, oracle_name, **kwargs):
    import tunecore as kt
    from tunecore.testing import run_trials

    hp = _testfunctions.keras_hyperparameters(function.space, kt)
    oracle_cls = kt.oracles.BayesianOptimization if oracle_name == "bo" else kt.oracles.RandomSearch
    oracle = oracle_cls(objective="loss", max_trials=n_trials, hyperparameters=hp, seed=seed, **kwargs)
    return [t.score for t in run_trials(oracle, function.fn)]


def _run_tunecore_pending(function, seed, n_trials, pending):
    """BO with ``pending`` trials always running; f values in the order they are told."""
    import collections

    import tunecore as kt

    hp = _testfunctions.keras_hyperparameters(function.space, kt)
    oracle = kt.oracles.BayesianOptimization(objective="loss", max_trials=n_trials, hyperparameters=hp, seed=seed)
    running, values = collections.deque(), []
    while len(values) < n_trials:
        while len(running) < pending and len(values) + len(running) < n_trials:
            trial = oracle.ask(f"worker{len(running)}")
            if trial.status != "RUNNING":
                break
            running.append(trial)
        if not running:
            break
        trial = running.popleft()
        values.append(function.fn(trial.hyperparameters.values))
        oracle.tell(trial.trial_id, values[-1])
    return values


def _run_keras_tuner(function, seed, n_trials):
    import keras_tuner

    hp = _testfunctions.keras_hyperparameters(function.space, keras_tuner)
    oracle = keras_tuner.oracles.BayesianOptimizationOracle(
        objective=keras_tuner.Objective("loss", "min"), max_trials=n_trials, hyperparameters=hp, seed=seed,
    )
    values = []
    with tempfile.TemporaryDirectory() as workdir, _common.quiet():
        oracle._set_project_dir(workdir, "kt")
        for _ in range(n_trials):
            trial = oracle.create_trial("worker")
            if trial.status != "RUNNING":
                break
            values.append(function.fn(trial.hyperparameters.values))
            oracle.update_trial(trial.trial_id, {"loss": values[-1]})
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
    return values


def _run_optuna(function, seed, n_trials, sampler_name):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler_name == "gp":
        import torch

        torch.set_num_threads(1)
        sampler = optuna.samplers.GPSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    distributions = _testfunctions.optuna_distributions(function.space)
    values = []
    for _ in range(n_trials):
        trial = study.ask(distributions)
        values.append(function.fn(trial.params))
        study.tell(trial, values[-1])
    return values


RUNNERS = {
    "tunecore_bo": lambda f, s, n: _run_tunecore(f, s, n, "bo"),
    "tunecore_bo_pending8": lambda f, s, n: _run_tunecore_pending(f, s, n, 8),
    "tunecore_bo_alpha1e-4": lambda f, s, n: _run_tunecore(f, s, n, "bo", alpha=1e-4),
    "tunecore_random": lambda f, s, n: _run_tunecore(f, s, n, "random"),
    "kt_bo": _run_keras_tuner,
    "optuna_tpe": lambda f, s, n: _run_optuna(f, s, n, "tpe"),
    "optuna_gp": lambda f, s, n: _run_optuna(f, s, n, "gp"),
}


def run_job(job):
    """One (method, function, seed) run; returns the job, its f values in trial order and its seconds."""
    method, function_name, seed, n_trials = job
    start = time.perf_counter()
    values = RUNNERS[method](_testfunctions.FUNCTIONS[function_name], seed, n_trials)
    return job, values, time.perf_counter() - start


def log_regret(values, minimum, t, log=True):
    """log10 of the simple regret after the first ``t`` values (the regret itself if
    not ``log``), None if fewer were run."""
    if len(values) < t:
        return None
    regret = max(min(values[:t]) - minimum, 0.0)
    return float(np.log10(max(regret, _FLOOR))) if log else regret


def summarise(results, checkpoints):
    """``{function: {method: {t: (median, q25, q75, n_seeds)}}}`` from the raw runs."""
    table = {}
    for (method, function_name), runs in results.items():
        function = _testfunctions.FUNCTIONS[function_name]
        cells = table.setdefault(function_name, {}).setdefault(method, {})
        for t in checkpoints:
            regrets = [r for r in (log_regret(v, function.minimum, t, function.log_regret) for v in runs)
                       if r is not None]
            if regrets:
                q25, median, q75 = np.percentile(regrets, [25, 50, 75])
                cells[t] = (float(median), float(q25), float(q75), len(regrets))
    return table


def markdown(table, methods, checkpoints):
    out = []
    for function_name, by_method in table.items():
        log = _testfunctions.FUNCTIONS[function_name].log_regret
        what = "log10 simple regret" if log else "simple regret (CV error above the best known)"
        out.append(f"\n**{function_name}** ({what}: median [IQR], seeds)\n")
        fmt = ".2f" if log else ".4f"
        rows = []
        for method in methods:
            cells = by_method.get(method, {})
            rows.append([method] + [
                f"{cells[t][0]:{fmt}} [{cells[t][1]:{fmt}}, {cells[t][2]:{fmt}}] ({cells[t][3]})" if t in cells else "-"
                for t in checkpoints
            ])
        out.append(_common.markdown_table(["method"] + [f"t={t}" for t in checkpoints], rows))
    return "\n".join(out)


def _init_worker():
    # TensorFlow and Keras Tuner print on import and per trial; the parent reports progress.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    parser.add_argument("--functions", nargs="+", default=list(_testfunctions.FUNCTIONS),
                        choices=list(_testfunctions.FUNCTIONS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--kt-seeds", type=int, default=3, help="seeds for kt_bo")
    parser.add_argument("--kt-trials", type=int, default=50, help="trials for kt_bo")
    parser.add_argument("--gp-trials", type=int, default=50, help="trials for optuna_gp")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="3 seeds, 25 trials (kt_bo: 2 seeds, 25 trials)")
    parser.add_argument("--json", help="also write the raw f values here")
    parser.add_argument("--load", nargs="*", default=[],
                        help="raw f values written by earlier --json runs, tabled with this run's; "
                             "a later file's (method, function) replaces an earlier one's")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials, args.gp_trials, args.kt_seeds, args.kt_trials = 3, 25, 25, 2, 25

    jobs = []
    for method in args.methods:
        seeds, trials = {
            "kt_bo": (args.kt_seeds, args.kt_trials), "optuna_gp": (args.seeds, args.gp_trials),
        }.get(method, (args.seeds, args.trials))
        jobs += [
            (method, f, seed, trials if args.quick or method not in ("kt_bo", "optuna_gp")
             else max(trials, _testfunctions.FUNCTIONS[f].trials))
            for f in args.functions for seed in range(seeds)
        ]
    # Slowest first, so that the two workers finish together.
    jobs.sort(key=lambda job: {"kt_bo": 0, "optuna_gp": 1}.get(job[0], 2))

    results, seconds = {}, {}
    for path in args.load:
        with open(path) as f:
            for key, runs in json.load(f).items():
                method, function_name = key.split("|")
                if method not in args.methods:
                    results[method, function_name] = runs
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.workers, initializer=_init_worker) as pool:
        for done, (job, values, elapsed) in enumerate(pool.imap_unordered(run_job, jobs), 1):
            method, function_name, seed, _ = job
            results.setdefault((method, function_name), []).append(values)
            seconds.setdefault(method, []).append(elapsed)
            print(f"[{done}/{len(jobs)}] {method} {function_name} seed={seed}: {elapsed:.1f}s", file=sys.stderr)
    wall = time.perf_counter() - start

    checkpoints = [t for t in CHECKPOINTS if any(len(v) >= t for runs in results.values() for v in runs)]
    table = summarise(results, checkpoints)
    methods = [m for m in METHODS if any(key[0] == m for key in results)]
    print(markdown(table, methods, checkpoints))
    print("\nSeconds per run (median): " + ", ".join(
        f"{m} {np.median(seconds[m]):.1f}" for m in methods if m in seconds))
    print(f"Wall time: {wall / 60:.1f} min with {args.workers} workers; load average {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{m}|{fn}": runs for (m, fn), runs in results.items() if m in args.methods}, f)


if __name__ == "__main__":
    main()
