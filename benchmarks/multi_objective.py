"""Pareto fronts and constraints: tunecore's Bayesian oracle against Optuna's samplers.

Multi-objective problems, 100 trials each (``--trials``), hypervolume (HV) of
the final front, higher is better:

* ZDT1, ZDT2 (Zitzler, Deb & Thiele 2000): 2 objectives, 6-D, reference (11, 11).
* DTLZ2 (Deb et al. 2002): 3 objectives, 6-D, reference (1.1, 1.1, 1.1).
* MLP: scikit-learn's ``MLPClassifier`` on the digits data set; objectives the
  validation error (one stratified hold-out split, a quarter of the data) and
  log10 of the parameter count; 5-D discrete space of 288 configurations
  (layers, units, L2, initial learning rate, batch size; 40 epochs);
  reference (1.0, 5.0). Each configuration is trained once
  (``random_state=0``) and cached for all methods and seeds.

Methods: tunecore ``BayesianOptimization`` with a ``Pareto`` objective
(the default: ParEGO's scalarisation and the expected hypervolume improvement in
turn with two objectives, ParEGO with three; ``tunecore EHVI``: ``pareto="ehvi"``,
a GP per objective and the expected hypervolume improvement, two objectives only),
tunecore ``RandomSearch`` (a baseline),
Optuna's ``GPSampler``, ``TPESampler`` (multivariate) and ``NSGAIISampler``
(population 20 so that 100 trials make 5 generations), all driven by
ask / tell in memory, each with its default initial design.

Constrained problems, 50 trials, best feasible objective value (lower is
better): Branin with (x1 - 2.5)² + (x2 - 7.5)² ≤ 50 (Gardner et al., ICML
2014, optimum 0.398) and Gardner et al.'s toy problem, cos(2x1)cos(x2) +
sin(x1) subject to cos(x1)cos(x2) - sin(x1)sin(x2) ≤ 0.5 on [0, 6]²; tunecore
with ``constraints=[Constraint(...)]`` against Optuna's ``GPSampler`` with
``constraints_func``.

Time per suggestion: the median over all suggestions of the wall time of
``oracle.ask()`` / ``study.ask()`` (the model is fitted there). Everything runs
single-threaded (BLAS and torch), one method at a time.

The tables give medians over ``--seeds`` seeds; figures (one per problem: the
final front of each method for the seed with the median tunecore HV) go to
``benchmarks/figures/``.

Usage::

    .venv/bin/python benchmarks/multi_objective.py --seeds 3
    .venv/bin/python benchmarks/multi_objective.py --seeds 10 --problems zdt1 zdt2 dtlz2 mlp
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import math
import time
import warnings

import numpy as np

import _common

_common.silence_frameworks()

import optuna  # noqa: E402

import tunecore as kt  # noqa: E402
from tunecore.hyperparameters import HyperParameters  # noqa: E402
from tunecore.pareto import hypervolume, non_dominated  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
FIGURES = os.path.join(HERE, "figures")


# Problems ---------------------------------------------------------------------


class Problem:
    """``space``: [(name, low, high, kind, extra)]; ``evaluate(values) -> losses tuple``."""

    def __init__(self, name, space, evaluate, n_objectives, reference, true_front=None):
        self.name, self.space, self.evaluate = name, space, evaluate
        self.n_objectives, self.reference, self.true_front = n_objectives, reference, true_front

    def tunecore_space(self):
        hp = HyperParameters()
        for name, low, high, kind, extra in self.space:
            if kind == "float":
                hp.Float(name, low, high, sampling=extra or "linear")
            elif kind == "int":
                hp.Int(name, low, high, **(extra or {}))
            else:
                hp.Choice(name, extra)
        return hp

    def optuna_distributions(self):
        d = optuna.distributions
        out = {}
        for name, low, high, kind, extra in self.space:
            if kind == "float":
                out[name] = d.FloatDistribution(low, high, log=extra == "log")
            elif kind == "int":
                out[name] = d.IntDistribution(low, high, **(extra or {}))
            else:
                out[name] = d.CategoricalDistribution(extra)
        return out


def _zdt(values, shape):
    x = np.array([values[f"x{i}"] for i in range(6)])
    g = 1 + 9 * x[1:].sum() / 5
    f1 = x[0]
    return (f1, g * (1 - (f1 / g) ** 0.5)) if shape == 1 else (f1, g * (1 - (f1 / g) ** 2))


def _dtlz2(values):
    x = np.array([values[f"x{i}"] for i in range(6)])
    g = ((x[2:] - 0.5) ** 2).sum()
    a, b = x[0] * np.pi / 2, x[1] * np.pi / 2
    return ((1 + g) * np.cos(a) * np.cos(b), (1 + g) * np.cos(a) * np.sin(b), (1 + g) * np.sin(a))


_UNIT = [(f"x{i}", 0.0, 1.0, "float", None) for i in range(6)]
_F1 = np.linspace(0, 1, 200)


class _MLP:
    """Digits, one hold-out split; results cached by configuration (deterministic training)."""

    space = [
        ("layers", 1, 2, "int", None),
        ("units", 16, 128, "int", {"step": 16}),
        ("log10_alpha", -5, -1, "int", {"step": 2}),
        ("log10_lr", -4, -2, "int", None),
        ("batch", None, None, "choice", [32, 128]),
    ]

    def __init__(self, cache_path):
        self.cache_path = cache_path
        self.cache = json.load(open(cache_path)) if os.path.exists(cache_path) else {}
        self.data = None

    def __call__(self, values):
        key = json.dumps({k: values[k] for k in sorted(values)})
        if key not in self.cache:
            self.cache[key] = self._train(values)
            with open(self.cache_path, "w") as f:
                json.dump(self.cache, f)
        return tuple(self.cache[key])

    def _train(self, values):
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPClassifier
        from sklearn.preprocessing import StandardScaler

        if self.data is None:
            X, y = load_digits(return_X_y=True)
            X = StandardScaler().fit_transform(X)
            self.data = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        X_train, X_val, y_train, y_val = self.data
        hidden = (int(values["units"]),) * int(values["layers"])
        model = MLPClassifier(
            hidden, alpha=10.0 ** values["log10_alpha"], learning_rate_init=10.0 ** values["log10_lr"],
            batch_size=int(values["batch"]), max_iter=40, random_state=0,
        ).fit(X_train, y_train)
        params = sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
        return 1.0 - model.score(X_val, y_val), math.log10(params)


def problems(cache_path):
    zdt1_front = np.c_[_F1, 1 - np.sqrt(_F1)]
    zdt2_front = np.c_[_F1, 1 - _F1**2]
    mlp = _MLP(cache_path)
    return {
        "zdt1": Problem("ZDT1", _UNIT, lambda v: _zdt(v, 1), 2, [11.0, 11.0], zdt1_front),
        "zdt2": Problem("ZDT2", _UNIT, lambda v: _zdt(v, 2), 2, [11.0, 11.0], zdt2_front),
        "dtlz2": Problem("DTLZ2", _UNIT, _dtlz2, 3, [1.1, 1.1, 1.1]),
        "mlp": Problem("MLP digits", _MLP.space, mlp, 2, [1.0, 5.0]),
    }


# Runners ----------------------------------------------------------------------


def run_tunecore(problem, oracle_name, seed, trials, constraints=None, **options):
    """``(losses (n, m), constraint values (n,) or None, ask times)``; ``options`` go to the oracle."""
    from tunecore_bayes.bayesian import BayesianOptimization

    if problem.n_objectives > 1:
        objective = kt.Pareto([kt.Objective(f"f{i}", "min") for i in range(problem.n_objectives)])
    else:
        objective = kt.Objective("f0", "min")
    cls = BayesianOptimization if oracle_name == "bayesian" else kt.oracles.RandomSearch
    oracle = cls(objective=objective, hyperparameters=problem.tunecore_space(), max_trials=trials,
                 seed=seed, constraints=constraints, **options)
    losses, cons, times = [], [], []
    for _ in range(trials):
        start = time.perf_counter()
        trial = oracle.ask()
        times.append(time.perf_counter() - start)
        out = problem.evaluate(trial.hyperparameters.values)
        metrics = {f"f{i}": v for i, v in enumerate(out[: problem.n_objectives])}
        if constraints:
            metrics["c"] = out[-1]
            cons.append(out[-1])
        oracle.tell(trial.trial_id, metrics)
        losses.append(out[: problem.n_objectives])
    return np.array(losses), (np.array(cons) if constraints else None), times


def run_optuna(problem, sampler_name, seed, trials, constraint_max=None):
    if sampler_name == "gp":
        import torch

        torch.set_num_threads(1)
        kwargs = {}
        if constraint_max is not None:
            kwargs["constraints_func"] = lambda t: t.user_attrs["c"]
        sampler = optuna.samplers.GPSampler(seed=seed, **kwargs)
    elif sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
    else:
        sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=20)
    study = optuna.create_study(directions=["minimize"] * problem.n_objectives, sampler=sampler)
    distributions = problem.optuna_distributions()
    losses, cons, times = [], [], []
    for _ in range(trials):
        start = time.perf_counter()
        trial = study.ask(distributions)
        times.append(time.perf_counter() - start)
        out = problem.evaluate(trial.params)
        if constraint_max is not None:
            trial.set_user_attr("c", [out[-1] - constraint_max])
            cons.append(out[-1])
        study.tell(trial, list(out[: problem.n_objectives]))
        losses.append(out[: problem.n_objectives])
    return np.array(losses), (np.array(cons) if constraint_max is not None else None), times


METHODS = {
    "tunecore BO": lambda p, s, n: run_tunecore(p, "bayesian", s, n),
    "tunecore EHVI": lambda p, s, n: run_tunecore(p, "bayesian", s, n, pareto="ehvi"),  # two objectives only
    "tunecore random": lambda p, s, n: run_tunecore(p, "random", s, n),
    "Optuna GP": lambda p, s, n: run_optuna(p, "gp", s, n),
    "Optuna TPE": lambda p, s, n: run_optuna(p, "tpe", s, n),
    "Optuna NSGA-II": lambda p, s, n: run_optuna(p, "nsga2", s, n),
}


# Constrained problems -------------------------------------------------------


def _branin(values):
    x1, x2 = values["x1"], values["x2"]
    f = (x2 - 5.1 / (4 * np.pi**2) * x1**2 + 5 / np.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x1) + 10
    return (f, (x1 - 2.5) ** 2 + (x2 - 7.5) ** 2)


def _gardner(values):
    x1, x2 = values["x1"], values["x2"]
    return (np.cos(2 * x1) * np.cos(x2) + np.sin(x1), np.cos(x1) * np.cos(x2) - np.sin(x1) * np.sin(x2))


CONSTRAINED = {
    "branin": (Problem("constrained Branin", [("x1", -5.0, 10.0, "float", None), ("x2", 0.0, 15.0, "float", None)],
                       _branin, 1, None), 50.0),
    "gardner": (Problem("Gardner", [("x1", 0.0, 6.0, "float", None), ("x2", 0.0, 6.0, "float", None)],
                        _gardner, 1, None), 0.5),
}


def best_feasible(losses, cons, limit):
    ok = cons <= limit
    return float(losses[ok, 0].min()) if ok.any() else math.inf


# Main -------------------------------------------------------------------------


def _front(losses):
    return losses[non_dominated(losses)]


def _plot(problem, fronts, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6, 4.5))
    three = problem.n_objectives == 3
    ax = fig.add_subplot(projection="3d") if three else fig.add_subplot()
    if problem.true_front is not None:
        ax.plot(*problem.true_front.T, color="0.6", lw=1, label="true front")
    markers = dict(zip(fronts, "os^vD"))
    for method, front in fronts.items():
        front = front[np.argsort(front[:, 0])]
        ax.scatter(*front.T, s=18, marker=markers[method], label=f"{method} ({len(front)})")
    ax.set_xlabel("f1" if problem.name != "MLP digits" else "validation error")
    ax.set_ylabel("f2" if problem.name != "MLP digits" else "log10 parameters")
    if three:
        ax.set_zlabel("f3")
    elif problem.true_front is not None:
        ax.set_ylim(0, min(6, max(f[:, 1].max() for f in fronts.values()) * 1.05))
    ax.set_title(f"{problem.name}: final fronts, median-HV seed of tunecore BO")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--constrained-trials", type=int, default=50)
    parser.add_argument("--problems", nargs="*", default=["zdt1", "zdt2", "dtlz2", "mlp", "branin", "gardner"])
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--out", default=os.path.join(HERE, "_multi_objective_results.json"))
    args = parser.parse_args()
    os.makedirs(FIGURES, exist_ok=True)
    results = json.load(open(args.out)) if os.path.exists(args.out) else {}
    catalogue = problems(os.path.join(HERE, "_mlp_digits_cache.json"))
    for key in args.problems:
        if key in CONSTRAINED:
            problem, limit = CONSTRAINED[key]
            for method in ("tunecore BO", "Optuna GP"):
                for seed in range(args.seeds):
                    tag = f"{key}|{method}|{seed}|{args.constrained_trials}"
                    if tag in results:
                        continue
                    if method == "tunecore BO":
                        out = run_tunecore(problem, "bayesian", seed, args.constrained_trials,
                                           constraints=[kt.Constraint("c", max=limit)])
                    else:
                        out = run_optuna(problem, "gp", seed, args.constrained_trials, constraint_max=limit)
                    losses, cons, times = out
                    results[tag] = {"best": best_feasible(losses, cons, limit), "times": times,
                                    "feasible": int((cons <= limit).sum())}
                    print(tag, round(results[tag]["best"], 4), f"{np.median(times) * 1e3:.1f} ms", flush=True)
                    json.dump(results, open(args.out, "w"))
            continue
        problem = catalogue[key]
        for method in args.methods:
            if method == "tunecore EHVI" and problem.n_objectives != 2:
                continue
            for seed in range(args.seeds):
                tag = f"{key}|{method}|{seed}|{args.trials}"
                if tag in results:
                    continue
                losses, _, times = METHODS[method](problem, seed, args.trials)
                results[tag] = {
                    "hv": hypervolume(losses, problem.reference), "times": times,
                    "front": _front(losses).tolist(),
                }
                print(tag, round(results[tag]["hv"], 4), f"{np.median(times) * 1e3:.1f} ms", flush=True)
                json.dump(results, open(args.out, "w"))
    report(results, args, catalogue)


def _runs(results, key, method, trials, seeds):
    return [results[t] for s in range(seeds) if (t := f"{key}|{method}|{s}|{trials}") in results]


def report(results, args, catalogue):
    lines = []
    header = ["problem"] + [f"{m} HV" for m in args.methods] + ["tunecore BO ms", "Optuna GP ms"]
    rows = []
    for key in args.problems:
        if key in CONSTRAINED:
            continue
        problem = catalogue[key]
        row = [problem.name]
        for method in args.methods:
            runs = _runs(results, key, method, args.trials, args.seeds)
            row.append(f"{np.median([r['hv'] for r in runs]):.4f} ({len(runs)})" if runs else "-")
        for method in ("tunecore BO", "Optuna GP"):
            runs = _runs(results, key, method, args.trials, args.seeds)
            row.append(f"{np.median([t for r in runs for t in r['times']]) * 1e3:.1f}" if runs else "-")
        rows.append(row)
        runs = {m: _runs(results, key, m, args.trials, args.seeds) for m in args.methods}
        ours = runs.get("tunecore BO")
        if ours:
            hvs = [r["hv"] for r in ours]
            median_seed = int(np.argsort(hvs)[len(hvs) // 2])
            fronts = {m: np.array(r[median_seed]["front"]) for m, r in runs.items() if len(r) > median_seed}
            _plot(problem, fronts, os.path.join(FIGURES, f"pareto_{key}.png"))
    if rows:
        lines += [f"Hypervolume after {args.trials} trials (median over seeds; runs in parentheses), "
                  "higher is better; median ms per suggestion:", "", _common.markdown_table(header, rows), ""]
    rows = []
    for key in args.problems:
        if key not in CONSTRAINED:
            continue
        row = [CONSTRAINED[key][0].name]
        for method in ("tunecore BO", "Optuna GP"):
            runs = _runs(results, key, method, args.constrained_trials, args.seeds)
            row.append(f"{np.median([r['best'] for r in runs]):.6f} ({len(runs)})" if runs else "-")
            row.append(f"{np.median([r['feasible'] for r in runs]):.0f}" if runs else "-")
            row.append(f"{np.median([t for r in runs for t in r['times']]) * 1e3:.1f}" if runs else "-")
        rows.append(row)
    if rows:
        header = ["problem", "tunecore best", "feasible", "ms", "Optuna GP best", "feasible", "ms"]
        lines += [f"Best feasible value after {args.constrained_trials} trials (median over seeds), lower "
                  "is better; median feasible trials; median ms per suggestion:", "",
                  _common.markdown_table(header, rows)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
