"""How often Bayesian optimization suggests a point on the bound of the box.

Issue 12 found both GP methods (tunecore v1 and Optuna's GPSampler) putting 55-85 %
of their model-guided suggestions on a bound, where TPE put none. This counts,
per method and function, the share of suggestions after the first 10 trials
(the model's, for every method here) with at least one float coordinate within
1e-9 of the range from a bound, and the median log10 regret at the last trial
(``--trials``). Same test functions as ``bayes_regret.py``.
``tunecore_bo_mean_prior`` is tunecore v2 with v1's prior mean (the mean of the
observations instead of the worst).

Usage::

    .venv/bin/python benchmarks/bayes_bounds.py --methods tunecore_bo optuna_gp --seeds 3
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import multiprocessing

import numpy as np

import _common
import _testfunctions

_common.silence_frameworks()

METHODS = ("tunecore_bo", "tunecore_bo_mean_prior", "optuna_gp", "optuna_tpe")
_START = 10


def _suggestions(method, function, seed, n_trials):
    """The configurations a method tried, in order."""
    if method.startswith("tunecore_bo"):
        import tunecore as kt
        from tunecore.testing import run_trials

        hp = _testfunctions.keras_hyperparameters(function.space, kt)
        oracle = kt.oracles.BayesianOptimization(objective="loss", max_trials=n_trials, hyperparameters=hp, seed=seed)
        if method == "tunecore_bo_mean_prior":  # v1's prior mean, everything else v2
            oracle._proposer.prior_mean = "mean"
        return [dict(t.hyperparameters.values) for t in run_trials(oracle, function.fn)]
    study = _testfunctions.optuna_study(method.removeprefix("optuna_"), seed)
    distributions = _testfunctions.optuna_distributions(function.space)
    configurations = []
    for _ in range(n_trials):
        trial = study.ask(distributions)
        configurations.append(dict(trial.params))
        study.tell(trial, function.fn(trial.params))
    return configurations


def _on_bound(values, space):
    for spec in space:
        if spec[0] != "float":
            continue
        low, high, log = spec[2], spec[3], spec[4]
        x, lo, hi = (np.log(values[spec[1]]), np.log(low), np.log(high)) if log else (values[spec[1]], low, high)
        if min(x - lo, hi - x) <= 1e-9 * (hi - lo):
            return True
    return False


def run_job(job):
    method, function_name, seed, n_trials = job
    function = _testfunctions.FUNCTIONS[function_name]
    configurations = _suggestions(method, function, seed, n_trials)
    on_bound = [_on_bound(c, function.space) for c in configurations[_START:]]
    regret = min(function.fn(c) for c in configurations) - function.minimum
    return job, float(np.mean(on_bound)), float(np.log10(max(regret, 1e-12)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    continuous = [name for name, f in _testfunctions.FUNCTIONS.items() if any(s[0] == "float" for s in f.space)]
    parser.add_argument("--functions", nargs="+", default=continuous, choices=continuous)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    jobs = [(m, f, s, args.trials) for m in args.methods for f in args.functions for s in range(args.seeds)]
    results = {}
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for (method, function_name, _, _), share, regret in pool.imap_unordered(run_job, jobs):
            results.setdefault((method, function_name), []).append((share, regret))
    rows = []
    for function_name in args.functions:
        row = [function_name]
        for method in args.methods:
            cells = results[method, function_name]
            row.append(f"{100 * np.mean([c[0] for c in cells]):.0f} % ({np.median([c[1] for c in cells]):.2f})")
        rows.append(row)
    print(f"\nShare of suggestions {_START + 1}-{args.trials} on a bound (median log10 regret at "
          f"t={args.trials}), {args.seeds} seeds\n")
    print(_common.markdown_table(["function"] + list(args.methods), rows))


if __name__ == "__main__":
    main()
