"""After the search: Optuna's plots, importances and dashboard on a tunecore project.

A small real search (an SVM or a k-nearest-neighbours classifier for handwritten
digits, chosen and tuned by Optuna's TPE sampler), then:

* which hyperparameters mattered (``tunecore.importance``);
* the optimization history, saved as docs/images/after-the-search.png
  (``tunecore.visualization``; plotly figures by default, matplotlib here);
* the command that serves optuna-dashboard on the project, live while a search runs.

Needs ``pip install 'tunecore[optuna]' scikit-learn matplotlib``.
Run: python examples/after_the_search.py
"""

import os

from sklearn import datasets, model_selection, neighbors, svm

import tunecore as kt
import tunecore.importance
import tunecore.visualization

PICTURE = os.path.join(os.path.dirname(__file__), "..", "docs", "images", "after-the-search.png")


def accuracy(hp, x, y):
    model_type = hp.Choice("model_type", ["svc", "knn"])
    if model_type == "svc":
        with hp.conditional_scope("model_type", "svc"):
            model = svm.SVC(C=hp.Float("C", 1e-2, 1e3, sampling="log"),
                            gamma=hp.Float("gamma", 1e-5, 1e-1, sampling="log"))
    else:
        with hp.conditional_scope("model_type", "knn"):
            model = neighbors.KNeighborsClassifier(n_neighbors=hp.Int("n_neighbors", 1, 31, step=2))
    return model_selection.cross_val_score(model, x, y, cv=3).mean()


def main():
    x, y = datasets.load_digits(return_X_y=True)
    tuner = kt.tune(
        accuracy, x[:600], y[:600], objective=kt.Objective("accuracy", "max"), oracle="optuna:tpe",
        max_trials=40, seed=0, directory="results", project_name="after_the_search", overwrite=True,
        verbose=0,
    )
    best = tuner.oracle.get_best_trials(1)[0]
    print(f"Best accuracy {best.score:.3f} with {best.hyperparameters.values}")

    for name, importance in tunecore.importance.get_param_importances(tuner).items():
        print(f"  {name:12} {importance:.2f}")

    axes = tunecore.visualization.plot_optimization_history(tuner.project_dir, backend="matplotlib")
    axes.set_title("Optimization history: digits, SVM or k-NN, Optuna's TPE via tunecore")
    axes.figure.set_size_inches(9, 4.5)
    axes.figure.savefig(PICTURE, dpi=110, bbox_inches="tight")
    print(f"Wrote {os.path.normpath(PICTURE)}")
    print(f"Watch a search live: tunecore dashboard {tuner.project_dir}")


if __name__ == "__main__":
    main()
