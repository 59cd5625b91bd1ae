"""The patterns of keras.io's "Getting started with KerasTuner", with ``import tunecore as kt``."""

import keras
import numpy as np
import pytest

import tunecore as kt


@pytest.mark.slow
@pytest.mark.backends
def test_search_then_best_models_and_hyperparameters(tmp_path, data, build_model, capsys):
    (x, y), (x_val, y_val) = data
    build_model(kt.HyperParameters())  # the guide checks that the model builds
    tuner = kt.RandomSearch(
        hypermodel=build_model,
        objective="val_accuracy",
        max_trials=3,
        overwrite=True,
        directory=tmp_path,
        project_name="helloworld",
        seed=1,
    )
    tuner.search_space_summary()
    tuner.search(x, y, epochs=2, validation_data=(x_val, y_val))

    models = tuner.get_best_models(num_models=2)
    best_trial = tuner.oracle.get_best_trials(1)[0]
    _, accuracy = models[0].evaluate(x_val, y_val, verbose=0)
    assert accuracy == pytest.approx(best_trial.score)  # the weights of the best epoch
    tuner.results_summary()
    best_hps = tuner.get_best_hyperparameters(5)
    assert best_hps[0].values == best_trial.hyperparameters.values
    retrained = build_model(best_hps[0])
    retrained.fit(np.concatenate([x, x_val]), np.concatenate([y, y_val]), epochs=1, verbose=0)
    out = capsys.readouterr().out
    assert "Search space summary" in out and "Results summary" in out
    assert "Epoch 1/2" not in out  # fit is quiet inside trials by default


@pytest.mark.slow
def test_every_epoch_is_reported_to_the_oracle(tmp_path, data, build_model):
    (x, y), (x_val, y_val) = data
    tuner = kt.RandomSearch(build_model, objective="val_loss", max_trials=1, directory=tmp_path)
    tuner.search(x, y, epochs=3, validation_data=(x_val, y_val), verbose=0)

    trial = tuner.oracle.get_best_trials(1)[0]
    curve = trial.metrics.get_history("val_loss")
    assert [step for step, _ in curve] == [0, 1, 2]
    assert trial.score == min(value for _, value in curve)
    assert trial.best_step == min(curve, key=lambda p: p[1])[0]
    assert trial.metrics.exists("accuracy") and trial.metrics.exists("loss")


def test_verbose_is_honoured(tmp_path, data, build_model, capsys):
    (x, y), _ = data
    tuner = kt.RandomSearch(build_model, objective="loss", max_trials=1, directory=tmp_path)
    tuner.search(x, y, epochs=1, verbose=1)
    assert "loss:" in capsys.readouterr().out  # Keras's progress bar


class MyHyperModel(kt.HyperModel):
    def build(self, hp):
        model = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu"),
             keras.layers.Dense(2, activation="softmax")]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    def fit(self, hp, model, x, y, **kwargs):
        if hp.Boolean("normalize"):
            x = keras.layers.Normalization()(x)
        return model.fit(
            x, y, batch_size=hp.Choice("batch_size", [16, 32]), shuffle=hp.Boolean("shuffle"), **kwargs
        )


@pytest.mark.slow
def test_hypermodel_fit_tunes_training(tmp_path, data):
    (x, y), (x_val, y_val) = data
    hypermodel = MyHyperModel()
    hp = kt.HyperParameters()
    hypermodel.fit(hp, hypermodel.build(hp), x, y, epochs=1, verbose=0)

    tuner = kt.RandomSearch(hypermodel, objective="val_accuracy", max_trials=3, directory=tmp_path, seed=3)
    tuner.search(x, y, epochs=1, validation_data=(x_val, y_val), verbose=0)

    assert {"units", "normalize", "batch_size", "shuffle"} <= {hp.name for hp in tuner.oracle.hyperparameters.space}
    for trial in tuner.oracle.trials.values():
        assert trial.status == "COMPLETED"
        assert {"batch_size", "shuffle", "normalize"} <= set(trial.hyperparameters.values)


def custom_metric(y_true, y_pred):
    return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


@pytest.mark.slow
def test_custom_metric_as_objective(tmp_path, data):
    (x, y), (x_val, y_val) = data

    def build_regressor(hp):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 2, 8)), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mean_absolute_error", custom_metric])
        return model

    tuner = kt.RandomSearch(
        build_regressor, objective=kt.Objective("val_custom_metric", direction="min"),
        max_trials=2, directory=tmp_path,
    )
    tuner.search(x, y.astype("float32"), epochs=2, validation_data=(x_val, y_val.astype("float32")), verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.score == min(v for _, v in best.metrics.get_history("val_custom_metric"))
    assert best.metrics.exists("val_mean_absolute_error")


class ScoredHyperModel(MyHyperModel):
    """The guide's fit() computing its own metric after training."""

    def __init__(self, as_dict):
        super().__init__()
        self.as_dict = as_dict

    def fit(self, hp, model, x, y, validation_data, **kwargs):
        model.fit(x, y, **kwargs)
        x_val, y_val = validation_data
        error = float(np.mean(np.abs(model.predict(x_val, verbose=0)[:, 1] - y_val)))
        if self.as_dict:
            return {"metric_a": -error, "metric_b": error}
        return error


@pytest.mark.parametrize("as_dict", [False, True])
def test_fit_returns_a_float_or_a_dict(tmp_path, data, as_dict):
    (x, y), validation = data
    objective = kt.Objective("metric_a", "max") if as_dict else None
    tuner = kt.RandomSearch(ScoredHyperModel(as_dict), objective=objective, max_trials=2, directory=tmp_path)
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)
    scores = [t.score for t in tuner.oracle.trials.values()]
    assert all(s is not None for s in scores)
    name = "metric_a" if as_dict else "default_objective"
    assert tuner.oracle.get_best_trials(1)[0].metrics.exists(name)
    assert tuner.get_best_models()[0] is not None  # each epoch was checkpointed


def test_tune_an_end_to_end_workflow(tmp_path):
    class MyTuner(kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            hp = trial.hyperparameters
            x = hp.Float("x", -1.0, 1.0)
            return x * x + 1

    tuner = MyTuner(max_trials=20, overwrite=True, directory=tmp_path, project_name="tune_anything", seed=0)
    tuner.search(verbose=0)
    assert abs(tuner.get_best_hyperparameters()[0].get("x")) < 0.3


def keras_code(x, y, units, optimizer, saving_path):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(units, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mean_squared_error")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(saving_path)
    return float(np.mean(np.abs(model.predict(x, verbose=0)[:, 0] - y)))


def test_keep_keras_code_separate(tmp_path, data):
    (x, y), _ = data

    class MyTuner(kt.RandomSearch):
        def run_trial(self, trial, **kwargs):
            hp = trial.hyperparameters
            return keras_code(
                x, y.astype("float32"),
                units=hp.Int("units", 4, 16, 4),
                optimizer=hp.Choice("optimizer", ["adam", "sgd"]),
                saving_path=str(tmp_path / f"{trial.trial_id}.keras"),
            )

    tuner = MyTuner(max_trials=2, overwrite=True, directory=tmp_path, project_name="keep_code_separate")
    tuner.search(verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    assert keras.models.load_model(tmp_path / f"{best.trial_id}.keras") is not None


def test_tuner_with_an_oracle(tmp_path, data, build_model):
    (x, y), validation = data
    oracle = kt.oracles.RandomSearchOracle(objective="val_accuracy", max_trials=2)
    tuner = kt.Tuner(oracle=oracle, hypermodel=build_model, directory=tmp_path)
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)
    assert len(tuner.oracle.get_best_trials(2)) == 2


def test_tuner_needs_a_hypermodel_or_run_trial(tmp_path):
    with pytest.raises(ValueError, match="hypermodel=None"):
        kt.RandomSearch(objective="val_loss", directory=tmp_path)


def test_compile_arguments_override_keeps_the_models_metrics(tmp_path, data):
    (x, y), validation = data

    def build(hp):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 2, 8)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mae", metrics=["mean_absolute_error"])
        return model

    tuner = kt.RandomSearch(
        build, objective="val_loss", max_trials=1, directory=tmp_path,
        optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.MeanSquaredError(),
    )
    tuner.search(x, y.astype("float32"), epochs=1, validation_data=validation, verbose=0)
    trial = tuner.oracle.get_best_trials(1)[0]
    assert trial.metrics.exists("val_mean_absolute_error")
    model = tuner.get_best_models()[0]
    assert isinstance(model.loss, keras.losses.MeanSquaredError)
    assert isinstance(model.optimizer, keras.optimizers.Adam)


def test_uncompiled_models_get_the_tuners_compile_arguments(tmp_path, data):
    (x, y), validation = data

    def build(hp):
        return keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 2, 8)), keras.layers.Dense(1)])

    tuner = kt.RandomSearch(
        build, objective="val_mean_absolute_error", max_trials=1, directory=tmp_path,
        optimizer="adam", loss="mse", metrics=[keras.metrics.MeanAbsoluteError()],
    )
    tuner.search(x, y.astype("float32"), epochs=1, validation_data=validation, verbose=0)
    assert tuner.oracle.get_best_trials(1)[0].score is not None
