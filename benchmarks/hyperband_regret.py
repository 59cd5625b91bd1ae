"""Model-based Hyperband: regret of random vs model-based brackets, and the GP's length-scale prior.

Each problem of ``_testfunctions`` becomes a multi-fidelity objective: a trial
trained for ``e`` of ``max_epochs`` epochs scores ``f(x) + scale * (1 / e - 1 / max_epochs)
* (1 + 0.5 * sin(7 * sum(x)))``, a rank-disturbing bias that vanishes at the full
budget. Trials run one at a time, ``--iterations`` Hyperband iterations (70
trials each at ``max_epochs=27``); the regret at t is that of the best
full-budget trial among the first t trials (log10 of f - f*), read at the end
of each iteration.

Methods:

* ``hyperband``: tunecore's Hyperband, random configurations.
* ``hyperband_model``: ``Hyperband(model_based=True)`` with its defaults.
* ``hyperband_model_optuna`` / ``hyperband_model_select``: the same, with
  the GP's ``lengthscale_prior`` set explicitly.

    .venv/bin/python benchmarks/hyperband_regret.py --seeds 10 --iterations 1
"""

import argparse
import collections
import json
import math
import multiprocessing
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _testfunctions  # noqa: E402

MAX_EPOCHS = 27
METHODS = {
    "hyperband": {"model_based": False},
    "hyperband_model": {"model_based": True},
    "hyperband_model_optuna": {"lengthscale_prior": "optuna"},
    "hyperband_model_select": {"lengthscale_prior": "select"},
}
DEFAULT_FUNCTIONS = ("branin", "hartmann6", "levy4", "rosenbrock4", "shekel7", "michalewicz5", "styblinski8")


def _numeric(values):
    return sum(v for v in values.values() if isinstance(v, (int, float)) and not isinstance(v, bool))


def run(job):
    method, name, seed, iterations = job
    import tunecore as kt
    from tunecore_bayes.hyperband import Hyperband, ModelProposer

    f = _testfunctions.FUNCTIONS[name]
    options = dict(METHODS[method])
    kwargs = {"model_based": options.pop("model_based")} if "model_based" in options else {
        "proposer": ModelProposer(**options)}
    oracle = Hyperband(objective="loss", max_epochs=MAX_EPOCHS, seed=seed, hyperband_iterations=iterations,
                       hyperparameters=_testfunctions.keras_hyperparameters(f.space, kt), **kwargs)
    names = [spec[1] for spec in f.space]
    scale = max(abs(f.minimum), 1.0)
    best, curve = math.inf, []
    while True:
        trial = oracle.ask("w0")
        if trial.status != "RUNNING":
            break
        values = dict(trial.hyperparameters.values)
        epochs = values["tuner/epochs"]
        y = f.fn({k: values[k] for k in names if k in values})
        bias = scale * (1.0 / epochs - 1.0 / MAX_EPOCHS) * (1.0 + 0.5 * math.sin(7.0 * _numeric(
            {k: values[k] for k in names if k in values})))
        oracle.tell(trial.trial_id, y + bias)
        if epochs == MAX_EPOCHS:
            best = min(best, y)
        curve.append(best)
    return method, name, seed, curve


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--functions", nargs="+", default=list(DEFAULT_FUNCTIONS),
                        choices=list(_testfunctions.FUNCTIONS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=1, help="Hyperband iterations (70 trials each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write the best-so-far curves here")
    args = parser.parse_args(argv)

    jobs = [(m, f, s, args.iterations) for m in args.methods for f in args.functions for s in range(args.seeds)]
    curves = collections.defaultdict(list)
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for done, (method, name, seed, curve) in enumerate(pool.imap_unordered(run, jobs), 1):
            curves[method, name].append(curve)
            print(f"[{done}/{len(jobs)}] {method} {name} seed={seed}", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({f"{m}|{f}": c for (m, f), c in curves.items()}, out)

    length = min(len(c) for runs in curves.values() for c in runs)
    checkpoints = [length * (i + 1) // args.iterations for i in range(args.iterations)]
    print("| problem | " + " | ".join(args.methods) + " |")
    print("|---|" + "---|" * len(args.methods))
    for name in args.functions:
        f = _testfunctions.FUNCTIONS[name]
        cells = []
        for method in args.methods:
            medians = []
            for t in checkpoints:
                regrets = [np.log10(max(c[min(t, len(c)) - 1] - f.minimum, 1e-12)) for c in curves[method, name]]
                medians.append(f"{np.median(regrets):.2f}")
            cells.append(" / ".join(medians))
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nlog10 regret of the best full-budget trial, median over {args.seeds} seeds, at t = "
          + " / ".join(map(str, checkpoints)))


if __name__ == "__main__":
    main()
