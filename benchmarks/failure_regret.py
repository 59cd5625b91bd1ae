"""Searches whose optimum borders a region where trials fail (issue 24, fail37).

Everyday tuning has such regions: a learning rate past divergence, a model
past the memory, an option that crashes. Each problem here is a
``_testfunctions`` problem with a failing region whose boundary passes close
to the optimum; there the objective returns NaN or raises (the trial FAILED):

* ``branin_fail``: Branin, NaN where ``x0 > 3.3`` (45 % of the box; one of its
  three minima fails, (pi, 2.275) lies 0.16 from the boundary in a 15-wide box).
* ``hartmann6_fail``: Hartmann 6, NaN inside the ball of radius 0.5 centred
  0.53 from the optimum along ``x0`` (the optimum lies 0.03 outside it).
* ``levy4_fail``: Levy 4, raises where ``x0 > 1.25`` (optimum at ``x0 = 1``).
* ``mixed_fail``: the mixed space, ``act="tanh"`` (the best option) always
  raises and ``relu`` raises for ``lr > 10**-2.85`` (its best is ``10**-3``):
  the minimum left is 0.3 at ``relu``.

The minimum is the best value outside the failing region. Each search is
driven as a user's search is, with Keras Tuner's default
``max_consecutive_failed_trials=3``: a failure is told as FAILED (NaN as the
result, or ``status="FAILED"`` after a raise) and three in a row end it.
Optuna's samplers ignore failed trials (``TrialState.FAIL``) and a study never
stops on them: the search runs to the budget.

Methods: ``tunecore_bo`` (the default, ``failures="impute"``: a failure
imputed one standard deviation of the scores above the worst score, and the
suggestion that one more failure would end the search weighted by the
probability of success), ``tunecore_bo_ignore`` (``failures="ignore"``, the
default up to 0.2), two screens: ``tunecore_bo_unguarded`` (without that
weight) and ``tunecore_bo_worst`` (without it, and failures imputed at the
worst score itself, SMAC's crash cost); ``tunecore_random``, ``optuna_gp`` and
``optuna_tpe``.

Reported per problem and method: searches ended early (of the seeds), failed
trials (median), and the median log10 regret of the best completed trial at
t = 25 / 50 / 100 (a search that ended keeps what it had found).

Run: ``python benchmarks/failure_regret.py --seeds 10 --trials 100 --workers 2 --json out.json``.
"""

import argparse
import json
import math
import multiprocessing
import os
import sys
import time

import numpy as np

import _common
import _testfunctions

_BRANIN, _HARTMANN, _LEVY, _MIXED = (_testfunctions.FUNCTIONS[name] for name in
                                     ("branin", "hartmann6", "levy4", "mixed"))
_HARTMANN_OPTIMUM = np.array([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573])
_HARTMANN_BALL = _HARTMANN_OPTIMUM + np.array([0.53, 0, 0, 0, 0, 0])


class Failed(Exception):
    """The objective raised: the trial fails."""


def _branin(values):
    return math.nan if values["x0"] > 3.3 else _BRANIN.fn(values)


def _hartmann(values):
    x = np.array([values[f"x{i}"] for i in range(6)])
    return math.nan if np.linalg.norm(x - _HARTMANN_BALL) < 0.5 else _HARTMANN.fn(values)


def _levy(values):
    if values["x0"] > 1.25:
        raise Failed("diverged")
    return _LEVY.fn(values)


def _mixed(values):
    if values["act"] == "tanh" or (values["act"] == "relu" and values["lr"] > 10 ** -2.85):
        raise Failed("diverged")
    return _MIXED.fn(values)


PROBLEMS = {
    "branin_fail": (_BRANIN.space, _branin, _BRANIN.minimum),
    "hartmann6_fail": (_HARTMANN.space, _hartmann, _HARTMANN.minimum),
    "levy4_fail": (_LEVY.space, _levy, _LEVY.minimum),
    "mixed_fail": (_MIXED.space, _mixed, 0.3),
}
METHODS = ("tunecore_bo", "tunecore_bo_ignore", "tunecore_bo_unguarded", "tunecore_bo_worst", "tunecore_random", "optuna_gp",
           "optuna_tpe")
CHECKPOINTS = (25, 50, 100)


def _evaluate(fn, values):
    """The objective's value, or None where the trial fails (NaN or a raise)."""
    try:
        value = fn(values)
    except Failed:
        return None
    return None if not math.isfinite(value) else value


def _worst(impute):
    """``impute`` (``failures.impute``) with the failures at the worst loss itself (SMAC's crash cost)."""
    def worst(X, losses, X_failed):
        X, imputed_losses, imputed = impute(X, losses, X_failed)
        imputed_losses[imputed] = losses.max()
        return X, imputed_losses, imputed
    return worst


def _unguarded(X, imputed, noise_floor, seed, penalty=None):
    """``failures.guard`` switched off: the acquisition as it is."""
    return penalty


def _run_tunecore(problem, seed, n_trials, method):
    from tunecore_bayes import failures

    impute = failures.impute
    guard = failures.guard
    if method == "tunecore_bo_worst":
        failures.impute = _worst(impute)
    if method in ("tunecore_bo_worst", "tunecore_bo_unguarded"):
        failures.guard = _unguarded
    try:
        return _search(problem, seed, n_trials, method)
    finally:
        failures.impute, failures.guard = impute, guard


def _search(problem, seed, n_trials, method):
    import tunecore as kt

    space, fn, _ = PROBLEMS[problem]
    hp = _testfunctions.keras_hyperparameters(space, kt)
    if method == "tunecore_random":
        oracle = kt.oracles.RandomSearch(objective="loss", max_trials=n_trials, hyperparameters=hp, seed=seed)
    else:
        options = {"failures": "ignore"} if method == "tunecore_bo_ignore" else {}
        oracle = kt.oracles.BayesianOptimization(objective="loss", max_trials=n_trials, hyperparameters=hp,
                                                 seed=seed, **options)
    values, ended = [], False
    while len(values) < n_trials:
        trial = oracle.ask("tester")
        if trial.status != "RUNNING":
            break
        value = _evaluate(fn, trial.hyperparameters.values)
        values.append(value)
        try:
            if value is None:
                oracle.tell(trial.trial_id, None, status="FAILED", message="diverged")
            else:
                oracle.tell(trial.trial_id, value)
        except kt.oracles.TooManyFailedTrialsError:
            ended = True
            break
    return values, ended


def _run_optuna(problem, seed, n_trials, method):
    import optuna

    space, fn, _ = PROBLEMS[problem]
    study = _testfunctions.optuna_study(method.removeprefix("optuna_"), seed)
    distributions = _testfunctions.optuna_distributions(space)
    values = []
    for _ in range(n_trials):
        trial = study.ask(distributions)
        value = _evaluate(fn, trial.params)
        values.append(value)
        if value is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, value)
    return values, False


def run_job(job):
    method, problem, seed, n_trials = job
    start = time.perf_counter()
    run = _run_optuna if method.startswith("optuna") else _run_tunecore
    values, ended = run(problem, seed, n_trials, method)
    return job, {"values": values, "ended": ended}, time.perf_counter() - start


def log_regret(run, minimum, t):
    """log10 of the best completed value's regret among the first ``t`` trials (None: none completed, or
    a search that ran fewer without being ended)."""
    values = run["values"]
    if len(values) < t and not run["ended"]:
        return None
    done = [v for v in values[:t] if v is not None]
    return None if not done else float(np.log10(max(min(done) - minimum, 1e-12)))


def table(results, problem, methods, checkpoints):
    """Markdown: per method, searches ended early, failed trials and median log10 regret at each t."""
    rows = []
    for method in methods:
        runs = results.get((method, problem))
        if not runs:
            continue
        ended = sum(run["ended"] for run in runs)
        failed = np.median([sum(v is None for v in run["values"]) for run in runs])
        cells = []
        for t in checkpoints:
            regrets = [log_regret(run, PROBLEMS[problem][2], t) for run in runs]
            regrets = [r for r in regrets if r is not None]
            cells.append(f"{np.median(regrets):.2f}" if regrets else "-")
        trials = np.median([len(run["values"]) for run in runs])
        rows.append([method, f"{ended}/{len(runs)}", f"{trials:g}", f"{failed:g}"] + cells)
    header = ["method", "ended early", "trials (median)", "failed (median)"] + [f"t={t}" for t in checkpoints]
    return f"\n**{problem}** (log10 regret of the best completed trial, median)\n\n" + \
        _common.markdown_table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--gp-trials", type=int, default=50, help="trials for optuna_gp")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write the raw runs here")
    parser.add_argument("--load", nargs="*", default=[], help="raw runs of earlier --json runs, tabled with these")
    args = parser.parse_args(argv)

    results = {}
    for path in args.load:
        with open(path) as f:
            for key, runs in json.load(f).items():
                method, problem = key.split("|")
                results[method, problem] = runs
    jobs = [(method, problem, seed, args.gp_trials if method == "optuna_gp" else args.trials)
            for method in args.methods for problem in args.problems
            for seed in range(args.first_seed, args.first_seed + args.seeds)]
    jobs.sort(key=lambda job: job[0] != "optuna_gp")  # slowest first
    for job in jobs:
        results.pop(job[:2], None)
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for done, (job, run, elapsed) in enumerate(pool.imap_unordered(run_job, jobs), 1):
            results.setdefault(job[:2], []).append(run)
            print(f"[{done}/{len(jobs)}] {job[0]} {job[1]} seed={job[2]}: {elapsed:.1f}s", file=sys.stderr)
            if args.json:
                with open(args.json + ".tmp", "w") as f:
                    json.dump({f"{m}|{p}": runs for (m, p), runs in results.items()}, f)
                os.replace(args.json + ".tmp", args.json)
    methods = [m for m in METHODS if any(key[0] == m for key in results)]
    for problem in PROBLEMS:
        if any(key[1] == problem for key in results):
            print(table(results, problem, methods, CHECKPOINTS))


if __name__ == "__main__":
    main()
