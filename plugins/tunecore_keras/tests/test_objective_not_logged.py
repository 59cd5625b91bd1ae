"""A Keras objective that is never logged stops the search after the first epoch (issue 23).

Without validation data Keras logs no ``val_*`` metric, so every trial of a
``val_accuracy`` search would train to the end and fail; the search stops at
the first epoch instead, naming the objective and what was logged.
"""

import keras
import pytest

import tunecore as kt


def build(hp):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 2, 8), activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_no_validation_data_stops_the_search_at_the_first_epoch(tmp_path, data):
    (x, y), _ = data
    epochs_seen = []

    class Counting(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            epochs_seen.append(epoch)

    tuner = kt.RandomSearch(build, objective="val_accuracy", max_trials=3, directory=tmp_path)
    with pytest.raises(kt.errors.FatalValueError, match="'val_accuracy'") as caught:
        tuner.search(x, y, epochs=5, callbacks=[Counting()], verbose=0)

    message = str(caught.value)
    assert "logged: accuracy, loss" in message and "validation_data=" in message
    assert isinstance(caught.value, ValueError)
    assert epochs_seen == [0]  # one epoch of one trial, not three trials trained to the end
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == kt.TrialStatus.FAILED


def test_a_misspelt_metric_names_the_metrics_that_were_logged(tmp_path, data):
    (x, y), validation = data
    tuner = kt.RandomSearch(build, objective=kt.Objective("val_acc", "max"), max_trials=2, directory=tmp_path)
    with pytest.raises(kt.errors.FatalValueError, match="'val_acc'.*val_accuracy.*Choose a logged metric"):
        tuner.search(x, y, epochs=2, validation_data=validation, verbose=0)


def test_an_objective_computed_after_fit_is_not_refused(tmp_path, data):
    (x, y), validation = data

    class AfterFit(kt.HyperModel):
        def build(self, hp):
            return build(hp)

        def fit(self, hp, model, *args, **kwargs):
            model.fit(*args, **kwargs)
            return {"score": float(model.evaluate(*validation, verbose=0)[1])}

    tuner = kt.RandomSearch(AfterFit(), objective=kt.Objective("score", "max"), max_trials=1, directory=tmp_path)
    tuner.search(x, y, epochs=1, verbose=0)
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == kt.TrialStatus.COMPLETED and trial.score is not None
