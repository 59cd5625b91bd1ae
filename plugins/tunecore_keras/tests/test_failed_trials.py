"""keras.io's "Handling failed trials", and the other ways a trial fails or is skipped."""

import keras
import pytest

import tunecore as kt


def build_with_size_limit(hp):
    """The guide's build: too large a model raises FailedTrialError; 'broken' raises ValueError."""
    units = hp.Choice("units", [4, 64])
    if hp.Boolean("broken"):
        raise ValueError("this configuration cannot be built")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(units, activation="relu"), keras.layers.Dense(1)])
    model.compile(loss="mse")
    num_params = model.count_params()
    if num_params > 100:
        raise kt.errors.FailedTrialError(f"Model too large! It contains {num_params} params.")
    return model


def test_failed_trials_are_recorded_and_the_search_goes_on(tmp_path, data, capsys):
    (x, y), validation = data
    tuner = kt.GridSearch(
        build_with_size_limit, objective="val_loss", directory=tmp_path,
        max_retries_per_trial=1, max_consecutive_failed_trials=8,
    )
    tuner.search(x, y.astype("float32"), epochs=1, validation_data=validation)

    trials = {(t.hyperparameters["units"], t.hyperparameters["broken"]): t for t in tuner.oracle.trials.values()}
    assert trials[(4, False)].status == "COMPLETED"
    too_large = trials[(64, False)]
    assert too_large.status == "FAILED" and too_large.attempts == 1  # FailedTrialError: no retry
    assert "Model too large! It contains 641 params." in too_large.message
    broken = trials[(4, True)]
    assert broken.status == "FAILED" and broken.attempts == 2  # any other error is retried
    assert "ValueError: this configuration cannot be built" in broken.message
    assert "failed: ValueError: this configuration cannot be built" in capsys.readouterr().out


def nan_loss(y_true, y_pred):
    return keras.ops.mean(keras.ops.log(-keras.ops.abs(y_pred) - 1.0))


def test_nan_loss_fails_the_trial_after_the_epoch(tmp_path, data):
    (x, y), _ = data

    def build(hp):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss=nan_loss if hp.Boolean("explode") else "mse")
        return model

    tuner = kt.GridSearch(build, objective="loss", directory=tmp_path)
    tuner.search(x, y.astype("float32"), epochs=3, verbose=0)

    exploded = next(t for t in tuner.oracle.trials.values() if t.hyperparameters["explode"])
    assert exploded.status == "FAILED" and exploded.attempts == 1
    assert "the loss was nan at epoch 0" in exploded.message
    assert [step for step, _ in exploded.metrics.get_history("loss")] == [0]  # training stopped
    healthy = next(t for t in tuner.oracle.trials.values() if not t.hyperparameters["explode"])
    assert healthy.status == "COMPLETED"


@pytest.mark.parametrize("declare_input", [True, False])
def test_models_over_max_model_size_are_invalid(tmp_path, data, declare_input):
    (x, y), _ = data

    def build(hp):
        layers = [keras.layers.Dense(hp.Choice("units", [2, 64])), keras.layers.Dense(1)]
        model = keras.Sequential([keras.Input((8,)), *layers] if declare_input else layers)
        model.compile(loss="mse")
        return model

    tuner = kt.GridSearch(build, objective="loss", directory=tmp_path, max_model_size=100)
    tuner.search(x, y.astype("float32"), epochs=1, verbose=0)

    by_units = {t.hyperparameters["units"]: t for t in tuner.oracle.trials.values()}
    assert by_units[2].status == "COMPLETED"
    assert by_units[64].status == "INVALID"
    assert "641 parameters, more than max_model_size=100" in by_units[64].message
    assert tuner.get_best_models()[0].count_params() == 21  # an unbuilt model is rebuilt to load


def test_a_space_whose_models_are_all_oversized_stops_the_search(tmp_path, data):
    """Keras Tuner's test_tuner_errors: the search ends with a RuntimeError naming the cause."""
    (x, y), _ = data

    def build(hp):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 8, 64)), keras.layers.Dense(1)])
        model.compile(loss="mse")
        return model

    tuner = kt.RandomSearch(
        build, objective="loss", max_trials=5, directory=tmp_path, max_model_size=4,
        max_consecutive_failed_trials=2,
    )
    with pytest.raises(RuntimeError, match="Oversized model") as raised:
        tuner.search(x, y.astype("float32"), epochs=1, verbose=0)
    assert isinstance(raised.value, kt.errors.FatalError)
    assert "2 trials in a row" in str(raised.value)
    assert len(tuner.oracle.trials) == 2


def test_the_oracle_may_stop_a_trial_early(tmp_path, data, build_model):
    (x, y), validation = data

    class StopAfterFirstEpoch(kt.oracles.RandomSearch):
        def update_trial(self, trial_id, metrics, step=0):
            super().update_trial(trial_id, metrics, step)
            self.trials[trial_id].status = "STOPPED"
            return "STOPPED"

    oracle = StopAfterFirstEpoch(objective="val_accuracy", max_trials=1)
    tuner = kt.Tuner(oracle, build_model, directory=tmp_path)
    tuner.search(x, y, epochs=5, validation_data=validation, verbose=0)

    trial = oracle.trials["00"]
    assert trial.status == "STOPPED"
    assert [step for step, _ in trial.metrics.get_history("val_accuracy")] == [0]
    assert trial.score is not None


def test_a_build_returning_no_model_stops_the_search(tmp_path, data):
    (x, y), _ = data
    tuner = kt.RandomSearch(lambda hp: hp.Int("units", 1, 4), objective="loss", directory=tmp_path)
    with pytest.raises(kt.errors.FatalError, match="Expected the model-building function.*keras.Model; it returned"):
        tuner.search(x, y, epochs=1, verbose=0)
