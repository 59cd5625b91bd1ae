"""The Sklearn tuner raises the user's own mistakes at once, as the core does (issue 23 review).

A build that returns no estimator, or a ``scoring`` that cannot score, would
fail every trial the same way: the first is recorded FAILED and the search stops.
An estimator that fails to fit is still an ordinary failed trial.
"""

import pytest
from sklearn import datasets, linear_model

import tunecore as kt
from tunecore.errors import FatalTypeError, FatalValueError
from tunecore.trial import TrialStatus


def _oracle(max_trials=3):
    return kt.oracles.create("random", objective=kt.Objective("score", "max"), max_trials=max_trials, seed=0)


def _logistic(hp):
    return linear_model.LogisticRegression(C=hp.Float("C", 0.01, 10, sampling="log"), max_iter=300)


def test_a_build_that_returns_nothing_stops_the_search(tmp_path):
    def build(hp):
        _logistic(hp)  # forgot the return

    tuner = kt.SklearnTuner(_oracle(), build, directory=tmp_path)
    with pytest.raises(FatalTypeError, match="returned None of type NoneType. Did you forget to return the model"):
        tuner.search(*datasets.load_iris(return_X_y=True), verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.FAILED]


def test_a_misspelt_scoring_stops_the_search_with_the_close_name(tmp_path):
    tuner = kt.SklearnTuner(_oracle(), _logistic, scoring="acuracy", directory=tmp_path)
    with pytest.raises(FatalValueError, match=r"scoring='acuracy'.*Did you mean scoring='accuracy'\?"):
        tuner.search(*datasets.load_iris(return_X_y=True), verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.FAILED]


def test_an_estimator_that_fails_to_fit_is_still_an_ordinary_failed_trial(tmp_path):
    def build(hp):
        hp.Float("C", 0.01, 10, sampling="log")
        return linear_model.LogisticRegression(solver="no-such-solver")

    tuner = kt.SklearnTuner(_oracle(2), build, directory=tmp_path, max_consecutive_failed_trials=5)
    tuner.search(*datasets.load_iris(return_X_y=True), verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.FAILED] * 2
