"""Pruning, search callbacks and option checks with the Keras tuner."""

import keras
import pytest

import tunecore as kt
from tunecore.errors import InvalidArgumentError
from tunecore.trial import TrialStatus


@pytest.mark.backends
def test_a_pruner_ends_fit_of_a_lagging_trial(tmp_path, data, build_model):
    (x, y), (x_val, y_val) = data
    tuner = kt.RandomSearch(build_model, objective="val_loss", max_trials=6, seed=0, directory=tmp_path,
                            pruner=kt.pruners.MedianPruner(warmup_steps=1, min_trials=2))
    tuner.search(x, y, epochs=6, validation_data=(x_val, y_val), verbose=0)

    trials = list(tuner.oracle.trials.values())
    stopped = [t for t in trials if t.status == TrialStatus.STOPPED]
    # Pruned trials end fit early (one pruned at the last epoch, as weights' random
    # initialisation on some backends may give, has trained them all).
    assert stopped and any(len(t.metrics.get_history("val_loss")) < 6 for t in stopped)
    assert all(len(t.metrics.get_history("val_loss")) == 6 for t in trials if t.status == TrialStatus.COMPLETED)
    assert tuner.oracle.get_best_trials(1)[0].status == TrialStatus.COMPLETED
    assert tuner.get_best_models(1)[0].predict(x_val[:2], verbose=0).shape == (2, 2)


def test_keras_and_search_callbacks_share_the_callbacks_argument(tmp_path, data, build_model):
    (x, y), (x_val, y_val) = data

    class Count(kt.callbacks.Callback):
        reports = 0

        def on_trial_report(self, tuner, trial, step, metrics):
            Count.reports += 1

    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    tuner = kt.RandomSearch(build_model, objective="val_loss", max_trials=2, seed=0, directory=tmp_path)
    tuner.search(x, y, epochs=5, validation_data=(x_val, y_val), verbose=0, callbacks=[early, Count()])

    epochs = [len(t.metrics.get_history("val_loss")) for t in tuner.oracle.trials.values()]
    assert epochs == [2, 2]  # EarlyStopping reached fit: nothing improves by 10
    assert Count.reports == sum(epochs)


def test_a_misspelt_fit_argument_fails_before_any_trial(tmp_path, data, build_model):
    (x, y), (x_val, y_val) = data
    tuner = kt.RandomSearch(build_model, objective="val_loss", max_trials=2, directory=tmp_path)
    with pytest.raises(InvalidArgumentError, match="'validaton_data'.*Did you mean 'validation_data'"):
        tuner.search(x, y, epochs=1, validaton_data=(x_val, y_val))
    assert not tuner.oracle.trials
