"""tunecore's Sklearn tuner vs Keras Tuner's SklearnTuner vs scikit-learn's RandomizedSearchCV.

Same search space for all (a scaled RBF SVC: C and gamma, both log-uniform),
same trial budget, same cross-validation splits per seed, same timed scorer.
Reports, per dataset, medians over seeds of: wall time, the seconds spent in
fit and scoring, the framework overhead (the difference), the best mean CV
accuracy, and the size of the project directory left on disk.

Run from the repository root:

    .venv/bin/python benchmarks/sklearn_tuner.py --trials 30 --seeds 3
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import markdown_table, median, quiet, silence_frameworks  # noqa: E402

silence_frameworks()

import keras_tuner  # noqa: E402
from _sklearn_timing import Timed, measure, timed_accuracy  # noqa: E402
from scipy.stats import loguniform  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

import tunecore  # noqa: E402

C_RANGE, GAMMA_RANGE = (1e-2, 1e3), (1e-4, 1e0)
DATASETS = {"digits": datasets.load_digits, "breast_cancer": datasets.load_breast_cancer}


def build(hp):
    """The hypermodel, identical for tunecore and Keras Tuner."""
    return Timed(make_pipeline(StandardScaler(), SVC(
        C=hp.Float("C", *C_RANGE, sampling="log"),
        gamma=hp.Float("gamma", *GAMMA_RANGE, sampling="log"),
    )))


def tunecore_run(oracle_name):
    def run(X, y, cv, seed, trials, directory):
        oracle = tunecore.oracles.get(oracle_name)(
            objective=tunecore.Objective("score", "max"), max_trials=trials, seed=seed)
        tuner = tunecore.tuners.Sklearn(oracle, build, scoring=timed_accuracy, cv=cv,
                                        directory=directory, project_name="project")
        tuner.search(X, y, verbose=0)
        return oracle.get_best_trials(1)[0].score
    return run


def keras_tuner_run(oracle_name):
    def run(X, y, cv, seed, trials, directory):
        oracle = getattr(keras_tuner.oracles, oracle_name)(
            objective=keras_tuner.Objective("score", "max"), max_trials=trials, seed=seed)
        tuner = keras_tuner.SklearnTuner(oracle, build, scoring=timed_accuracy, cv=cv,
                                         directory=directory, project_name="project")
        with quiet():
            tuner.search(X, y)
        return tuner.oracle.get_best_trials(1)[0].score
    return run


def randomized_search_run(X, y, cv, seed, trials, directory):
    search = RandomizedSearchCV(
        Timed(make_pipeline(StandardScaler(), SVC())),
        {"estimator__svc__C": loguniform(*C_RANGE),
         "estimator__svc__gamma": loguniform(*GAMMA_RANGE)},
        n_iter=trials, scoring=timed_accuracy, cv=cv, refit=False, random_state=seed,
    )
    return search.fit(X, y).best_score_


def methods():
    found = {"tunecore random": tunecore_run("random")}
    if "bayesian" in tunecore.oracles.available():
        found["tunecore bayesian"] = tunecore_run("bayesian")
    else:
        print("tunecore's bayesian oracle is not installed: skipped.", file=sys.stderr)
    found["Keras Tuner random"] = keras_tuner_run("RandomSearchOracle")
    found["Keras Tuner bayesian"] = keras_tuner_run("BayesianOptimizationOracle")
    found["RandomizedSearchCV"] = randomized_search_run
    return found


# Keras Tuner's Bayesian oracle spends minutes per search in its GP: opt-in.
DEFAULT_METHODS = [
    "tunecore random", "tunecore bayesian", "Keras Tuner random", "RandomizedSearchCV",
]


def directory_bytes(path):
    return sum(os.path.getsize(os.path.join(root, f))
               for root, _, files in os.walk(path) for f in files)


def benchmark(trials, seeds, names, selected):
    runs = {name: run for name, run in methods().items() if name in selected}
    X, y = datasets.load_iris(return_X_y=True)
    for run in runs.values():  # warm up: first imports and caches are not overhead
        with tempfile.TemporaryDirectory() as directory:
            run(X, y, StratifiedKFold(3), 0, 2, directory)
    for name, load in DATASETS.items():
        if name not in names:
            continue
        X, y = load(return_X_y=True)
        results = {method: [] for method in runs}
        for seed in range(seeds):
            cv = StratifiedKFold(5, shuffle=True, random_state=seed)
            for method, run in runs.items():
                with tempfile.TemporaryDirectory() as directory:
                    score, wall, model = measure(
                        lambda: run(X, y, cv, seed, trials, directory))  # noqa: B023
                    size = directory_bytes(directory)
                results[method].append((wall, model, score, size))
                print(f"{name} seed={seed} {method}: wall {wall:.2f}s model {model:.2f}s "
                      f"overhead {wall - model:.2f}s best {score:.4f} dir {size} B",
                      file=sys.stderr, flush=True)
        print(f"\n### {name} ({X.shape[0]} samples, {X.shape[1]} features), "
              f"{trials} trials, 5-fold CV, medians over {seeds} seeds\n")
        rows = []
        for method, values in results.items():
            wall, model, score, size = (list(v) for v in zip(*values))
            overhead = [w - m for w, m in zip(wall, model)]
            rows.append([
                method,
                f"{median(wall):.2f}",
                f"{median(model):.2f}",
                f"{median(overhead):.2f}",
                f"{1000 * median(overhead) / trials:.1f}",
                f"{median(score):.4f} ({min(score):.4f}–{max(score):.4f})",
                f"{median(size) / 1024:.1f}",
            ])
        print(markdown_table(
            ["method", "wall s", "fit+score s", "overhead s", "overhead ms/trial",
             "best CV accuracy (min–max)", "project dir KiB"], rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--methods", nargs="+", default=DEFAULT_METHODS,
                        help="among: " + ", ".join(repr(m) for m in [*DEFAULT_METHODS,
                                                                     "Keras Tuner bayesian"]))
    args = parser.parse_args()
    benchmark(args.trials, args.seeds, args.datasets, args.methods)


if __name__ == "__main__":
    main()
