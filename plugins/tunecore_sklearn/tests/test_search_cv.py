"""TunecoreSearchCV: a scikit-learn search estimator driven by tunecore oracles."""

import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import accuracy_score
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

import tunecore as kt
from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError, PluginNotFoundError
from tunecore.hyperparameters import Float, HyperParameters, Int
from tunecore.trial import TrialStatus
from tunecore_sklearn import TunecoreSearchCV

X, y = datasets.load_iris(return_X_y=True)


def log_c(name="C"):
    return Float(name, 1e-2, 1e2, sampling="log")


def test_finds_good_parameters_and_exposes_search_results():
    search = TunecoreSearchCV(LogisticRegression(max_iter=500), {"C": log_c()}, oracle="random",
                              n_trials=6, cv=3, random_state=0)
    search.fit(X, y)
    assert set(search.best_params_) == {"C"} and 1e-2 <= search.best_params_["C"] <= 1e2
    assert search.best_score_ == max(search.cv_results_["mean_test_score"])
    assert list(search.cv_results_["trial_id"]) == [f"{i:02d}" for i in range(6)]
    assert search.best_estimator_.C == search.best_params_["C"]
    assert search.predict(X).shape == y.shape and search.score(X, y) > 0.9
    assert len(search.oracle_.trials) == 6


def test_reachable_from_tunecore():
    assert kt.TunecoreSearchCV is TunecoreSearchCV


def test_random_state_makes_the_search_reproducible():
    def best(seed):
        search = TunecoreSearchCV(Ridge(), {"alpha": log_c("alpha")}, oracle="random",
                                  n_trials=4, cv=3, random_state=seed)
        return list(search.fit(X, y).cv_results_["param_alpha"])

    assert best(3) == best(3) != best(4)


def test_a_grid_oracle_covers_the_grid_like_grid_search_cv():
    space = {"C": [0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    ours = TunecoreSearchCV(LogisticRegression(max_iter=500), space, oracle="grid", n_trials=100,
                            cv=3).fit(X, y)
    theirs = GridSearchCV(LogisticRegression(max_iter=500), space, cv=3).fit(X, y)
    assert len(ours.cv_results_["params"]) == 6
    assert ours.best_score_ == pytest.approx(theirs.best_score_)


def test_tunes_a_pipeline_with_step_parameters_and_objects():
    pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    space = {
        "scale": [StandardScaler(), MinMaxScaler(), None],
        "svc__C": log_c("svc__C"),
        "svc__kernel": ["rbf", "linear"],
    }
    search = TunecoreSearchCV(pipe, space, oracle="random", n_trials=5, cv=3, random_state=0)
    search.fit(X, y)
    chosen = search.cv_results_["param_scale"]
    assert all(s is None or isinstance(s, (StandardScaler, MinMaxScaler)) for s in chosen)
    assert search.best_estimator_.named_steps["svc"].kernel in ("rbf", "linear")


def test_a_conditional_space_sets_only_active_parameters():
    hp = HyperParameters()
    kernel = hp.Choice("kernel", ["rbf", "poly"])
    with hp.conditional_scope("kernel", "poly"):
        hp.Int("degree", 2, 4)
    search = TunecoreSearchCV(SVC(), hp, oracle="random", n_trials=6, cv=3, random_state=0)
    search.fit(X, y)
    for params in search.cv_results_["params"]:
        assert ("degree" in params) == (params["kernel"] == "poly")
    assert kernel == "rbf"  # the user's space is left as it was


def test_clone_inside_a_pipeline_and_nested_cross_validation():
    search = TunecoreSearchCV(LogisticRegression(max_iter=500), {"C": log_c()}, oracle="random",
                              n_trials=3, cv=3, random_state=0)
    assert clone(search).get_params()["search_space"] == search.get_params()["search_space"]
    outer = cross_val_score(make_pipeline(StandardScaler(), search), X, y, cv=3)
    assert outer.shape == (3,) and outer.mean() > 0.8


def test_an_oracle_instance_is_copied_and_given_the_search_settings():
    oracle = kt.oracles.RandomSearch(max_trials=2, seed=0)
    search = TunecoreSearchCV(Ridge(), {"alpha": log_c("alpha")}, oracle=oracle, n_trials=4, cv=3)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert not oracle.trials  # fit leaves its parameters untouched
    assert search.oracle_.objective == kt.Objective("score", "max")


def test_several_scorers_optimise_the_one_refit_names():
    search = TunecoreSearchCV(LogisticRegression(max_iter=500), {"C": log_c()}, oracle="random",
                              n_trials=3, cv=3, random_state=0,
                              scoring={"acc": "accuracy", "nll": "neg_log_loss"}, refit="nll")
    search.fit(X, y)
    best = search.oracle_.get_best_trials(1)[0]
    assert best.score == pytest.approx(max(search.cv_results_["mean_test_nll"]))


def test_several_scorers_without_refit_name_ask_for_one():
    search = TunecoreSearchCV(Ridge(), {"alpha": log_c("alpha")}, oracle="random", n_trials=2,
                              cv=3, scoring=["r2", "neg_mean_squared_error"], refit=False)
    with pytest.raises(ValueError, match=r"several scores \(neg_mean_squared_error, r2\); name the one "
                       "to optimise with refit='<scorer name>'"):
        search.fit(X, y)


class Picky(LogisticRegression):
    """Rejects large C, as a solver rejects a parameter combination."""

    def fit(self, X, y, sample_weight=None):
        if self.C > 1:
            raise ValueError(f"C={self.C} is not supported")
        return super().fit(X, y)


def test_failing_candidates_do_not_stop_the_search():
    search = TunecoreSearchCV(Picky(max_iter=500), {"C": [0.1, 10.0, 20.0, 30.0, 0.5]},
                              oracle="grid", n_trials=10, cv=3)
    search.fit(X, y)
    statuses = {t.hyperparameters["C"]: t.status for t in search.oracle_.trials.values()}
    assert statuses == {0.1: TrialStatus.COMPLETED, 10.0: TrialStatus.FAILED,
                        20.0: TrialStatus.FAILED, 30.0: TrialStatus.FAILED,
                        0.5: TrialStatus.COMPLETED}
    assert search.best_params_["C"] in (0.1, 0.5)
    failed = search.oracle_.trials["01"]
    assert "C=10.0 is not supported" in failed.message


def test_every_candidate_failing_raises():
    search = TunecoreSearchCV(Picky(), {"C": [10.0, 20.0]}, oracle="grid", n_trials=5, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match="All 2 candidates failed"):
            search.fit(X, y)


def test_error_score_raise_stops_at_the_first_failure():
    search = TunecoreSearchCV(Picky(), {"C": [10.0]}, oracle="grid", cv=3, error_score="raise")
    with pytest.raises(ValueError, match="C=10.0 is not supported"):
        search.fit(X, y)


@pytest.mark.skipif("hyperband" not in kt.oracles.available(),
                    reason="the Hyperband oracle (tunecore-bayes) is not installed")
def test_hyperband_budgets_go_to_the_resource_parameter():
    search = TunecoreSearchCV(RandomForestClassifier(random_state=0),
                              {"max_depth": Int("max_depth", 2, 8)}, oracle="hyperband",
                              n_trials=8, cv=3, random_state=0, resource="n_estimators",
                              oracle_kwargs={"max_epochs": 9})
    search.fit(X, y)
    budgets = search.cv_results_["param_n_estimators"]
    assert set(budgets) <= {1, 3, 9} and len(set(budgets)) > 1
    assert not any(name.startswith("param_tuner") for name in search.cv_results_)


@pytest.mark.skipif("hyperband" not in kt.oracles.available(),
                    reason="the Hyperband oracle (tunecore-bayes) is not installed")
def test_a_budgeting_oracle_without_resource_says_what_to_name():
    search = TunecoreSearchCV(RandomForestClassifier(), {"max_depth": Int("max_depth", 2, 8)},
                              oracle="hyperband", n_trials=2, cv=3)
    with pytest.raises(ValueError, match="resource='n_estimators'"):
        search.fit(X, y)


def test_space_errors_name_the_offending_entry():
    with pytest.raises(InvalidSpaceError, match=r"search_space\['C'\] is a hyperparameter named 'c'"):
        TunecoreSearchCV(Ridge(), {"C": Float("c", 0.1, 1)}, oracle="random").fit(X, y)
    with pytest.raises(InvalidSpaceTypeError, match=r"search_space\['alpha'\] must be"):
        TunecoreSearchCV(Ridge(), {"alpha": 0.5}, oracle="random").fit(X, y)


def test_an_unknown_oracle_name_says_what_is_installed():
    with pytest.raises(PluginNotFoundError, match="Installed oracles: .*random"):
        TunecoreSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, oracle="randon").fit(X, y)


@pytest.mark.skipif("bayesian" not in kt.oracles.available(),
                    reason="the Bayesian oracle (tunecore-bayes) is not installed")
def test_the_default_bayesian_oracle():
    search = TunecoreSearchCV(LogisticRegression(max_iter=500), {"C": log_c()}, n_trials=5, cv=3,
                              random_state=0)
    assert search.fit(X, y).best_score_ > 0.9


digits_X, digits_y = datasets.load_digits(return_X_y=True)
digits_X, digits_y = digits_X[:600] / 16, digits_y[:600]


def sgd_search(**kwargs):
    settings = dict(oracle="random", n_trials=12, cv=3, random_state=0, partial_fit_steps=6)
    return TunecoreSearchCV(SGDClassifier(random_state=0),
                            {"alpha": Float("alpha", 1e-6, 10.0, sampling="log")}, **{**settings, **kwargs})


def test_partial_fit_steps_let_the_pruner_stop_poor_candidates():
    search = sgd_search(oracle_kwargs={"pruner": "median"}).fit(digits_X, digits_y)
    trials = search.oracle_.trials
    steps = {t.trial_id: len(t.metrics.get_history("score")) for t in trials.values()}
    stopped = {i for i, t in trials.items() if t.status == TrialStatus.STOPPED}
    completed = {i for i, t in trials.items() if t.status == TrialStatus.COMPLETED}
    assert stopped and completed and stopped | completed == set(trials)
    assert all(steps[i] < 6 for i in stopped) and all(steps[i] == 6 for i in completed)

    results = search.cv_results_
    assert list(results["trial_id"]) == sorted(trials)
    assert list(results["status"]) == [trials[i].status for i in results["trial_id"]]
    is_stopped = results["status"] == TrialStatus.STOPPED
    means, ranks = results["mean_test_score"], results["rank_test_score"]
    assert means[is_stopped].max() > means[~is_stopped].min()  # a stopped one beats a completed one...
    assert ranks[~is_stopped].max() < ranks[is_stopped].min()  # ...yet ranks after all of them
    assert results["status"][search.best_index_] == TrialStatus.COMPLETED
    assert search.best_score_ == means[~is_stopped].max()
    for i in np.flatnonzero(is_stopped):  # a stopped candidate's scores are its last report
        last = trials[results["trial_id"][i]].metrics.get_history("split1_score")[-1]
        assert results["split1_test_score"][i] == last.value[0]


def test_partial_fit_steps_report_every_step():
    search = sgd_search(n_trials=3, partial_fit_steps=4).fit(digits_X, digits_y)
    for i, trial_id in enumerate(search.cv_results_["trial_id"]):
        trial = search.oracle_.trials[trial_id]
        history = trial.metrics.get_history("score")
        assert trial.status == TrialStatus.COMPLETED and [h.step for h in history] == [0, 1, 2, 3]
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(history[-1].value[0])
    assert (search.cv_results_["mean_fit_time"] > 0).all()
    assert search.n_splits_ == 3 and search.scorer_ is not None


def test_partial_fit_steps_need_an_estimator_with_partial_fit():
    search = TunecoreSearchCV(LogisticRegression(), {"C": log_c()}, oracle="random", n_trials=2,
                              partial_fit_steps=3)
    with pytest.raises(ValueError, match=r"LogisticRegression\(\) lacks"):
        search.fit(X, y)


def test_partial_fit_steps_take_one_scorer():
    search = sgd_search(n_trials=2, scoring=["accuracy", "f1_macro"], refit="accuracy")
    with pytest.raises(ValueError, match="scoring must be one scorer"):
        search.fit(digits_X, digits_y)


def test_partial_fit_steps_is_a_parameter_clone_keeps():
    search = sgd_search(partial_fit_steps=4, oracle_kwargs={"pruner": "median"})
    copy = clone(search)
    assert copy.get_params()["partial_fit_steps"] == 4
    assert copy.get_params()["oracle_kwargs"] == {"pruner": "median"}
    assert copy.set_params(partial_fit_steps=2).partial_fit_steps == 2
    assert search.partial_fit_steps == 4
    with pytest.raises(ValueError, match="partial_fit_steps"):
        search.set_params(partial_fit_steps=0).fit(digits_X, digits_y)


def test_partial_fit_best_estimator_is_trained_as_the_candidates_were():
    search = sgd_search(n_trials=3, partial_fit_steps=3).fit(digits_X, digits_y)
    manual = SGDClassifier(random_state=0, alpha=search.best_params_["alpha"])
    for _ in range(3):
        manual.partial_fit(digits_X, digits_y, classes=np.unique(digits_y))
    np.testing.assert_allclose(search.best_estimator_.coef_, manual.coef_)
    assert accuracy_score(digits_y, search.predict(digits_X)) > 0.8


def test_partial_fit_steps_train_a_pipelines_final_step_and_skip_failing_candidates():
    pipe = Pipeline([("scale", StandardScaler()), ("sgd", SGDClassifier(random_state=0))])
    search = TunecoreSearchCV(pipe, {"sgd__alpha": [1e-3, -1.0, 1e-2]}, oracle="grid", n_trials=3, cv=3,
                              partial_fit_steps=3, n_jobs=2)
    search.fit(digits_X, digits_y)
    statuses = [t.status for t in search.oracle_.trials.values()]
    assert statuses == [TrialStatus.COMPLETED, TrialStatus.FAILED, TrialStatus.COMPLETED]
    assert [p["sgd__alpha"] for p in search.cv_results_["params"]] == [1e-3, 1e-2]
    assert "alpha" in search.oracle_.trials["01"].message
    assert search.score(digits_X, digits_y) > 0.8


def test_a_search_kept_in_a_database_is_resumed_and_loaded(tmp_path):
    pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path}/runs.db"
    X, y = datasets.load_iris(return_X_y=True)

    def search(n_trials):
        return TunecoreSearchCV(LogisticRegression(max_iter=200), {"C": Float("C", 1e-3, 10.0, sampling="log")},
                                oracle="random", n_trials=n_trials, cv=3, random_state=0,
                                storage=url, project_name="iris").fit(X, y)

    first = search(3)
    again = search(5)
    assert len(again.oracle_.trials) == 5 and len(again.cv_results_["params"]) == 2
    project = kt.load(url, project_name="iris")
    assert sorted(project.trials) == sorted(again.oracle_.trials)
    assert first.best_score_ <= max(t.score for t in project.trials.values())
    assert clone(again).get_params()["storage"] == url



def test_a_search_sharing_its_storage_waits_for_the_trials_other_drivers_run():
    import threading
    import time

    from tunecore.storage import InMemoryStorage, SharedLog

    log = SharedLog()
    hps = HyperParameters()
    hps.Float("C", 1e-3, 10.0, sampling="log")
    other = kt.oracles.RandomSearch(objective=kt.Objective("score", "max"), hyperparameters=hps, max_trials=3)
    other.open(InMemoryStorage(log=log))
    theirs = other.ask("other driver")  # runs while this search runs the other two of the three

    def end_theirs_after_ours():
        while sum(e["event"] == "end" for e in log.events) < 2:
            time.sleep(0.01)
        time.sleep(0.5)  # this search has asked again by now, and been told to wait
        other.tell(theirs.trial_id, {"score": 0.5})

    ender = threading.Thread(target=end_theirs_after_ours)
    ender.start()
    try:
        search = TunecoreSearchCV(LogisticRegression(max_iter=200), {"C": Float("C", 1e-3, 10.0, sampling="log")},
                                  oracle="random", n_trials=3, cv=3, random_state=0,
                                  storage=InMemoryStorage(log=log)).fit(X, y)
    finally:
        ender.join(timeout=60)
        other.close()
    statuses = {t.trial_id: t.status for t in search.oracle_.trials.values()}
    assert statuses == dict.fromkeys(["00", "01", "02"], TrialStatus.COMPLETED), "it returned before trial 00 ended"
    assert sorted(search.cv_results_["trial_id"]) == ["01", "02"]


class _NoisyPeak(BaseEstimator):
    """Scores a smooth peak at x = 0.3 with a deterministic rough noise (a lucky draw is the best score)."""

    def __init__(self, x=0.0):
        self.x = x

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -((self.x - 0.3) ** 2) + 0.02 * np.sin(997.0 * self.x)


def test_an_oracle_that_ranks_by_its_model_picks_the_best_candidate():
    pytest.importorskip("tunecore_bayes")
    search = TunecoreSearchCV(_NoisyPeak(), {"x": Float("x", 0.0, 1.0)}, oracle="bayesian", n_trials=20, cv=2,
                              random_state=0, oracle_kwargs={"best": "model"})
    search.fit(X, y)
    ids = list(search.cv_results_["trial_id"])
    assert ids[search.best_index_] == search.oracle_.get_best_trials(1)[0].trial_id
    assert search.best_index_ != np.argmin(search.cv_results_["rank_test_score"])  # not the best mean score
    assert search.best_score_ == search.cv_results_["mean_test_score"][search.best_index_]
    assert search.best_estimator_.x == search.best_params_["x"]
