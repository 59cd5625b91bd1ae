"""Pruning inside ``TunecoreSearchCV``: steps saved and the quality of the model it picks.

``TunecoreSearchCV(partial_fit_steps=N)`` trains each candidate with
``partial_fit``, one pass over each fold's training part per step, and reports
the mean fold score after each step to the oracle's pruner. Here: a
``StandardScaler`` + ``SGDClassifier`` pipeline on the digits data
scikit-learn ships (1,257 training images, 3 folds; 540 held out), tuned over
``alpha`` (log), ``eta0`` (log), ``learning_rate`` and ``loss``; 40
candidates x 20 steps. For a seed, every method draws the same candidates in
the same order (random search; its draws do not depend on what was pruned).

Methods: ``none`` (no pruner), ``median`` (``oracle_kwargs={"pruner":
MedianPruner(warmup_steps=2, min_trials=5)}``) and ``asha``
(``SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)``). Per
method, medians over seeds of: the steps run (candidates x folds' passes, as
steps), the best cross-validated score (``best_score_``), the held-out
accuracy of ``best_estimator_``, and the wall time.

Run from the repository root::

    .venv/bin/python benchmarks/pruning_search_cv.py --seeds 5
"""

import argparse
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from _common import markdown_table, median, silence_frameworks  # noqa: E402

silence_frameworks()

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import SGDClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from tunecore.hyperparameters import Float  # noqa: E402
from tunecore.pruners import MedianPruner, SuccessiveHalvingPruner  # noqa: E402
from tunecore_sklearn import TunecoreSearchCV  # noqa: E402

PRUNERS = {
    "none": lambda: None,
    "median": lambda: MedianPruner(warmup_steps=2, min_trials=5),
    "asha": lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
}


def run(method, seed, trials, steps):
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
    space = {
        "sgdclassifier__alpha": Float("sgdclassifier__alpha", 1e-6, 1e-1, sampling="log"),
        "sgdclassifier__eta0": Float("sgdclassifier__eta0", 1e-4, 1.0, sampling="log"),
        "sgdclassifier__learning_rate": ["constant", "optimal", "invscaling", "adaptive"],
        "sgdclassifier__loss": ["hinge", "log_loss", "modified_huber"],
    }
    pruner = PRUNERS[method]()
    search = TunecoreSearchCV(
        make_pipeline(StandardScaler(), SGDClassifier(random_state=0)), space, oracle="random",
        n_trials=trials, batch_size=1, cv=3, random_state=seed, partial_fit_steps=steps,
        oracle_kwargs=None if pruner is None else {"pruner": pruner},
    )
    start = time.perf_counter()
    search.fit(x_train, y_train)
    seconds = time.perf_counter() - start
    ran = sum(len(t.metrics.get_history("score")) for t in search.oracle_.trials.values())
    return {"steps": ran, "cv": search.best_score_, "test": search.score(x_test, y_test), "seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    results = {m: [run(m, seed, args.trials, args.steps) for seed in range(args.seeds)] for m in PRUNERS}
    reference = {key: median([r[key] for r in results["none"]]) for key in ("steps", "cv", "test", "seconds")}
    rows = []
    for method, runs in results.items():
        m = {key: median([r[key] for r in runs]) for key in ("steps", "cv", "test", "seconds")}
        rows.append([
            method, f"{m['steps']:.0f}", f"{1 - m['steps'] / reference['steps']:.0%}", f"{m['cv']:.4f}",
            f"{m['test']:.4f}", f"{m['test'] - reference['test']:+.4f}", f"{m['seconds']:.1f}",
        ])
    print(f"TunecoreSearchCV, {args.trials} candidates x {args.steps} steps, medians over {args.seeds} seeds")
    print(markdown_table(
        ["pruner", "steps", "saved", "best_score_ (CV)", "held-out acc.", "vs none", "seconds"], rows,
    ))


if __name__ == "__main__":
    main()
