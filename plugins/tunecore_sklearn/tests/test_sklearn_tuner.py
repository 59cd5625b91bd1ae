"""The Sklearn tuner: Keras Tuner's seed example, data handling, failures, models, parallelism."""

import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn import (
    datasets,
    ensemble,
    feature_extraction,
    linear_model,
    metrics,
    model_selection,
    pipeline,
    preprocessing,
)

import tunecore as kt
from tunecore.errors import FatalError, FatalValueError
from tunecore.trial import TrialStatus


def build_model(hp):
    model_type = hp.Choice('model_type', ['random_forest', 'ridge'])
    if model_type == 'random_forest':
        with hp.conditional_scope('model_type', 'random_forest'):
            model = ensemble.RandomForestClassifier(
                n_estimators=hp.Int('n_estimators', 10, 50, step=10),
                max_depth=hp.Int('max_depth', 3, 10))
    elif model_type == 'ridge':
        with hp.conditional_scope('model_type', 'ridge'):
            model = linear_model.RidgeClassifier(
                alpha=hp.Float('alpha', 1e-3, 1, sampling='log'))
    else:
        raise ValueError('Unrecognized model_type')
    return model


def run_seed_example(oracle, directory):
    # Keras Tuner's SklearnTuner docstring example, with `import tunecore as kt`.
    tuner = kt.tuners.Sklearn(
        oracle=oracle,
        hypermodel=build_model,
        scoring=metrics.make_scorer(metrics.accuracy_score),
        cv=model_selection.StratifiedKFold(5),
        directory=directory,
        project_name='my_project')
    X, y = datasets.load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = model_selection.train_test_split(X, y, test_size=0.2)
    tuner.search(X_train, y_train)
    best_model = tuner.get_best_models(num_models=1)[0]
    return tuner, best_model, X_test, y_test


@pytest.mark.slow
@pytest.mark.skipif("bayesian" not in kt.oracles.available(),
                    reason="the BayesianOptimization oracle (tunecore-bayes) is not installed")
def test_seed_example_runs_as_written(tmp_path):
    oracle = kt.oracles.BayesianOptimization(objective=kt.Objective('score', 'max'), max_trials=10)
    tuner, best_model, X_test, y_test = run_seed_example(oracle, tmp_path)
    assert len(tuner.oracle.trials) == 10
    assert best_model.score(X_test, y_test) > 0.8


def test_seed_example_with_random_search(tmp_path):
    oracle = kt.oracles.RandomSearch(objective=kt.Objective('score', 'max'), max_trials=4, seed=1)
    tuner, best_model, X_test, y_test = run_seed_example(oracle, tmp_path)
    best = tuner.oracle.get_best_trials(1)[0]
    assert best_model.score(X_test, y_test) > 0.8
    assert best.score == pytest.approx(best.metrics.get_last_value("score"))
    # The cross-validation summary of the trial is kept, and no per-trial model.
    for name in ("score_std", "split0_score", "split4_score", "fit_time", "score_time"):
        assert best.metrics.exists(name)
    assert sorted(os.listdir(tuner.get_trial_dir(best.trial_id))) == ["model.joblib"]


def test_keras_tuner_names_resolve_to_the_same_tuner():
    assert kt.tuners.Sklearn is kt.tuners.SklearnTuner is kt.SklearnTuner
    assert kt.tuners.get("sklearn") is kt.tuners.Sklearn


def test_discovering_the_plugin_does_not_import_scikit_learn():
    code = (
        "import sys, tunecore, tunecore_sklearn; "
        "assert 'sklearn' in tunecore.tuners.available(); "
        "assert 'sklearn' not in sys.modules, 'scikit-learn was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def oracle(max_trials=3, seed=0):
    return kt.oracles.RandomSearch(max_trials=max_trials, seed=seed)


def logistic(hp):
    return linear_model.LogisticRegression(C=hp.Float("C", 1e-2, 1e2, sampling="log"))


def test_objective_defaults_to_the_score_maximised(tmp_path):
    tuner = kt.SklearnTuner(oracle(), logistic, directory=tmp_path)
    tuner.search(*datasets.load_iris(return_X_y=True), verbose=0)
    assert tuner.oracle.objective == kt.Objective("score", "max")
    assert all(t.status == TrialStatus.COMPLETED for t in tuner.oracle.trials.values())


def test_pandas_data_pipeline_and_extra_metrics(tmp_path):
    X, y = datasets.load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:200, :5], y.iloc[:200]

    def build(hp):
        return pipeline.make_pipeline(preprocessing.StandardScaler(), logistic(hp))

    tuner = kt.SklearnTuner(oracle(2), build, scoring="neg_log_loss",
                            metrics=[metrics.accuracy_score, metrics.f1_score], directory=tmp_path)
    tuner.search(X, y, verbose=0)
    trial = tuner.oracle.get_best_trials(1)[0]
    assert trial.score < 0  # neg_log_loss
    for name in ("accuracy_score", "accuracy_score_std", "f1_score"):
        assert 0 <= trial.metrics.get_last_value(name) <= 1
    model = tuner.get_best_models(1)[0]
    assert isinstance(model, pipeline.Pipeline)
    assert model.predict(X).shape == (200,)


@pytest.mark.parametrize(
    "X, got",
    [
        ([1, 2, 3, 4, 5, 6], "got list of shape (6,). A single feature is one column"),
        (np.arange(6.0), "got ndarray of shape (6,). A single feature is one column"),
        ([[1, 2], [3], [4, 5], [6, 7], [8, 9], [10, 11]], "got a list whose rows differ in length"),
    ],
    ids=["1-D list", "1-D array", "ragged rows"],
)
def test_data_that_is_not_one_row_per_sample_stops_the_search_before_any_trial(tmp_path, X, got):
    tuner = kt.SklearnTuner(oracle(), logistic, cv=model_selection.StratifiedKFold(3), directory=tmp_path)
    with pytest.raises(FatalValueError, match=r"^Expected the data to be numpy arrays") as info:
        tuner.search(X, [1, 1, 1, 2, 2, 2], verbose=0)
    assert isinstance(info.value, RuntimeError) and got in str(info.value)
    assert tuner.oracle.trials == {}


def test_lists_of_rows_and_raw_texts_are_accepted(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(1), logistic, directory=tmp_path, project_name="rows")
    tuner.search(X.tolist(), y.tolist(), verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.COMPLETED]

    texts = np.array(["good fine great", "bad awful poor"] * 10)
    labels = [1, 0] * 10

    def build(hp):
        return pipeline.make_pipeline(feature_extraction.text.TfidfVectorizer(), logistic(hp))

    tuner = kt.SklearnTuner(oracle(1), build, cv=2, directory=tmp_path, project_name="texts")
    tuner.search(texts, labels, verbose=0)
    assert tuner.oracle.get_best_trials(1)[0].score == 1.0

class RecordsGroups(model_selection.GroupKFold):
    def split(self, X, y=None, groups=None):
        assert groups is not None, "groups did not reach the splitter"
        yield from super().split(X, y, groups)


def test_groups_reach_a_group_splitter(tmp_path):
    X, y = datasets.make_classification(60, 4, random_state=0)
    groups = np.repeat(np.arange(6), 10)
    tuner = kt.SklearnTuner(oracle(2), logistic, cv=RecordsGroups(3), directory=tmp_path)
    tuner.search(X, y, groups=groups, verbose=0)
    trial = tuner.oracle.get_best_trials(1)[0]
    assert trial.metrics.exists("split2_score") and not trial.metrics.exists("split3_score")


class WeightRecorder(linear_model.LogisticRegression):
    """Records the weights each instance is fitted with (clones copy parameters, not this)."""

    fits = []

    def fit(self, X, y, sample_weight=None):
        self.fits.append(sample_weight)
        return super().fit(X, y, sample_weight=sample_weight)


def test_sample_weight_is_split_and_reaches_fit_and_scoring(tmp_path):
    X, y = datasets.make_classification(50, 4, random_state=0)
    weights = np.arange(50, dtype=float)
    scored = []
    WeightRecorder.fits = []

    def scorer(estimator, X_test, y_test, sample_weight=None):
        scored.append(sample_weight)
        return metrics.accuracy_score(y_test, estimator.predict(X_test), sample_weight=sample_weight)

    tuner = kt.SklearnTuner(oracle(1), lambda hp: WeightRecorder(C=hp.Float("C", 0.1, 10)),
                            scoring=scorer, cv=model_selection.KFold(5), directory=tmp_path)
    tuner.search(X, y, sample_weight=weights, verbose=0)
    assert len(WeightRecorder.fits) == 5 and all(len(w) == 40 for w in WeightRecorder.fits)
    np.testing.assert_array_equal(np.sort(np.concatenate(scored)), weights)

    WeightRecorder.fits = []
    tuner.get_best_models(1)
    np.testing.assert_array_equal(WeightRecorder.fits[0], weights)  # the refit uses all the data


def test_best_model_is_refit_on_all_data_saved_and_reloaded(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(), logistic, directory=tmp_path, project_name="p")
    tuner.search(X, y, verbose=0)
    model = tuner.get_best_models(1)[0]
    assert model.n_features_in_ == 4 and len(model.classes_) == 3
    best = tuner.oracle.get_best_trials(1)[0]
    assert model.C == best.hyperparameters["C"]

    resumed = kt.SklearnTuner(oracle(), logistic, directory=tmp_path, project_name="p")
    reloaded = resumed.get_best_models(1)[0]
    np.testing.assert_array_equal(reloaded.coef_, model.coef_)


class _Planted:
    """What a shared project folder could plant: a pickle that runs code when loaded."""

    def __reduce__(self):
        return (open, (_Planted.marker, "w"))


def test_a_search_in_this_process_refits_and_never_unpickles_a_planted_model(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(2), logistic, directory=tmp_path, project_name="p")
    tuner.search(X, y, verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    _Planted.marker = str(tmp_path / "pwned")
    os.makedirs(tuner.get_trial_dir(best.trial_id), exist_ok=True)
    joblib.dump(_Planted(), os.path.join(tuner.get_trial_dir(best.trial_id), "model.joblib"))

    model = tuner.get_best_models(1)[0]
    assert not (tmp_path / "pwned").exists()
    assert model.C == best.hyperparameters["C"] and model.score(X, y) > 0.8
    assert tuner.get_best_models(1)[0] is model  # refit once


def test_a_fresh_project_without_search_has_no_model_to_give(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(1), logistic, directory=tmp_path, project_name="p")
    tuner.search(X, y, verbose=0)
    resumed = kt.SklearnTuner(oracle(1), logistic, directory=tmp_path, project_name="p")
    with pytest.raises(kt.errors.TunecoreError, match=r"call search\(X, y\)"):
        resumed.get_best_models(1)


class PicksySolver(linear_model.LogisticRegression):
    """Rejects large C, as a solver rejects a parameter combination."""

    def fit(self, X, y, sample_weight=None):
        if self.C > 1:
            raise ValueError(f"C={self.C} is not supported by this solver")
        return super().fit(X, y)


def picky(hp):
    return PicksySolver(C=hp.Choice("C", [0.5, 5.0]))


def test_a_failing_fit_fails_its_trial_and_the_search_goes_on(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(2), picky, directory=tmp_path)
    tuner.search(X, y, verbose=0)
    by_c = {t.hyperparameters["C"]: t for t in tuner.oracle.trials.values()}
    assert by_c[0.5].status == TrialStatus.COMPLETED
    assert by_c[5.0].status == TrialStatus.FAILED
    assert "C=5.0 is not supported by this solver" in by_c[5.0].message


def test_error_score_number_scores_the_failing_folds(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(2), picky, error_score=0.0, directory=tmp_path)
    tuner.search(X, y, verbose=0)
    by_c = {t.hyperparameters["C"]: t for t in tuner.oracle.trials.values()}
    assert by_c[5.0].status == TrialStatus.COMPLETED and by_c[5.0].score == 0.0


def test_error_score_raise_stops_the_search(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(kt.oracles.GridSearch(), picky, error_score="raise",
                            directory=tmp_path)
    with pytest.raises(FatalError, match="C=5.0 is not supported"):
        tuner.search(X, y, verbose=0)


def test_invalid_error_score_is_refused(tmp_path):
    with pytest.raises(ValueError, match="error_score must be None"):
        kt.SklearnTuner(oracle(), logistic, error_score="ignore", directory=tmp_path)


def test_a_hypermodel_that_raises_fails_its_trial(tmp_path):
    def build(hp):
        if hp.Boolean("broken"):
            raise RuntimeError("cannot build this one")
        return linear_model.LogisticRegression()

    tuner = kt.SklearnTuner(kt.oracles.GridSearch(), build, directory=tmp_path)
    tuner.search(*datasets.load_iris(return_X_y=True), verbose=0)
    statuses = {t.hyperparameters["broken"]: t for t in tuner.oracle.trials.values()}
    assert statuses[False].status == TrialStatus.COMPLETED
    assert statuses[True].status == TrialStatus.FAILED
    assert "cannot build this one" in statuses[True].message


class FitPredictOnly:
    """Not a scikit-learn estimator: only fit and predict."""

    def __init__(self, threshold):
        self.threshold = threshold

    def fit(self, X, y):
        self.mean_ = X[:, 0].mean()
        return self

    def predict(self, X):
        return (X[:, 0] > self.mean_ + self.threshold).astype(int)


def test_any_estimator_with_fit_and_predict(tmp_path):
    X, y = datasets.make_classification(60, 3, n_informative=3, n_redundant=0, random_state=0)

    def accuracy(estimator, X, y):
        return metrics.accuracy_score(y, estimator.predict(X))

    tuner = kt.SklearnTuner(oracle(2), lambda hp: FitPredictOnly(hp.Float("threshold", -1, 1)),
                            scoring=accuracy, metrics=metrics.balanced_accuracy_score,
                            directory=tmp_path)
    tuner.search(X, y, verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.score > 0 and best.metrics.exists("balanced_accuracy_score")
    assert isinstance(tuner.get_best_models(1)[0], FitPredictOnly)


@pytest.mark.slow
def test_trials_run_in_a_process_pool(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(4), logistic, directory=tmp_path)
    tuner.search(X, y, executor="process", max_parallel_trials=2, verbose=0)
    trials = tuner.oracle.trials.values()
    assert len(trials) == 4 and all(t.status == TrialStatus.COMPLETED for t in trials)
    assert tuner.get_best_models(1)[0].score(X, y) > 0.8


@pytest.mark.slow
def test_folds_run_in_parallel_with_n_jobs(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(2), logistic, n_jobs=2, directory=tmp_path)
    tuner.search(X, y, verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.score > 0.8 and best.metrics.exists("split4_score")


def _sgd_or_forest(hp):
    if hp.Choice("model", ["sgd", "forest"]) == "forest":
        with hp.conditional_scope("model", "forest"):
            return ensemble.RandomForestClassifier(n_estimators=5, random_state=0)
    with hp.conditional_scope("model", "sgd"):
        return linear_model.SGDClassifier(alpha=hp.Float("alpha", 1e-6, 10.0, sampling="log"), random_state=0)


def test_partial_fit_models_report_each_step_and_can_be_pruned(tmp_path):
    X, y = datasets.load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    oracle = kt.oracles.RandomSearch(objective=kt.Objective("score", "max"), max_trials=14, seed=0,
                                     pruner=kt.pruners.MedianPruner(warmup_steps=1, min_trials=2))
    tuner = kt.tuners.Sklearn(oracle=oracle, hypermodel=_sgd_or_forest, cv=3, partial_fit_steps=6,
                              directory=tmp_path, project_name="p")
    tuner.search(X, y, verbose=0)

    trials = list(tuner.oracle.trials.values())
    for trial in trials:
        steps = [obs.step for obs in trial.metrics.get_history("score")]
        if trial.hyperparameters["model"] == "forest":  # no partial_fit: one cross-validation
            assert len(steps) == 1
        elif trial.status == TrialStatus.COMPLETED:
            assert steps == list(range(6))
    stopped = [t for t in trials if t.status == TrialStatus.STOPPED]
    assert stopped and all(t.hyperparameters["model"] == "sgd" for t in stopped)
    assert all(len(t.metrics.get_history("score")) < 6 for t in stopped)
    assert tuner.get_best_models()[0].predict(X[:5]).shape == (5,)


def test_a_model_file_that_is_a_link_is_never_written_through(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    tuner = kt.SklearnTuner(oracle(2), logistic, directory=tmp_path / "root", project_name="p")
    tuner.search(X, y, verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    model = os.path.join(tuner.get_trial_dir(best.trial_id), "model.joblib")
    if os.path.lexists(model):
        os.remove(model)
    os.symlink(outside, model)
    with pytest.raises(kt.errors.ProjectError, match=rf"The model file of trial {best.trial_id} .* is a link"):
        tuner.get_best_models(1)
    assert outside.read_text() == "keep me"
