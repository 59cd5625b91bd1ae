"""A real search: choose and tune a scikit-learn classifier for handwritten digits.

Gaussian-process Bayesian optimization over a conditional space (the model type,
then its own hyperparameters), 3-fold cross-validation per trial, the best model
refit on the training data and scored on held-out data.

Run: python examples/quickstart.py
"""

from sklearn import datasets, ensemble, model_selection, svm

import tunecore as kt


def build_model(hp):
    model_type = hp.Choice("model_type", ["svc", "random_forest"])
    if model_type == "svc":
        with hp.conditional_scope("model_type", "svc"):
            return svm.SVC(
                C=hp.Float("C", 1e-2, 1e3, sampling="log"),
                gamma=hp.Float("gamma", 1e-5, 1e-1, sampling="log"),
            )
    with hp.conditional_scope("model_type", "random_forest"):
        return ensemble.RandomForestClassifier(
            n_estimators=hp.Int("n_estimators", 10, 200, step=10),
            max_depth=hp.Int("max_depth", 2, 20),
            random_state=0,
        )


def main():
    x, y = datasets.load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = model_selection.train_test_split(x, y, test_size=0.25, random_state=0)

    tuner = kt.tuners.Sklearn(
        oracle=kt.oracles.BayesianOptimization(objective=kt.Objective("score", "max"), max_trials=20, seed=0),
        hypermodel=build_model,
        scoring="accuracy",
        cv=model_selection.StratifiedKFold(3, shuffle=True, random_state=0),
        directory="results",
        project_name="quickstart",
        overwrite=True,
    )
    tuner.search(x_train, y_train)
    tuner.results_summary(num_trials=3)
    best_model = tuner.get_best_models(num_models=1)[0]
    print(f"\nBest model: {best_model}")
    print(f"Held-out accuracy: {best_model.score(x_test, y_test):.4f}")


if __name__ == "__main__":
    main()
