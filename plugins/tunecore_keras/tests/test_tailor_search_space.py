"""keras.io's "Tailor the search space": partial spaces, Fixed values, compile overrides."""

import keras
import pytest

import tunecore as kt


class MyHyperModel(kt.HyperModel):
    """Stands in for the guide's pre-built HyperResNet: a hypermodel with its own space."""

    def build(self, hp):
        model = keras.Sequential([keras.Input((8,))])
        for i in range(hp.Int("num_layers", 1, 2)):
            model.add(keras.layers.Dense(hp.Int(f"units_{i}", 4, 16, step=4), activation="relu"))
        model.add(keras.layers.Dense(2, activation="softmax"))
        learning_rate = hp.Float("learning_rate", 1e-3, 1e-1, sampling="log", default=1e-2)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model


def test_tune_a_few_hyperparameters_only(tmp_path, data):
    (x, y), validation = data
    hp = kt.HyperParameters()
    hp.Float("learning_rate", 1e-3, 1e-1, sampling="log")
    tuner = kt.RandomSearch(
        MyHyperModel(), hyperparameters=hp, tune_new_entries=False, objective="val_accuracy",
        max_trials=3, overwrite=True, directory=tmp_path, project_name="search_a_few", seed=0,
    )
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)

    trials = list(tuner.oracle.trials.values())
    assert len({t.hyperparameters["learning_rate"] for t in trials}) == 3
    assert all(t.hyperparameters["num_layers"] == 1 and t.hyperparameters["units_0"] == 4 for t in trials)


def test_fix_a_hyperparameter(tmp_path, data):
    (x, y), validation = data
    hp = kt.HyperParameters()
    hp.Fixed("learning_rate", value=1e-4)
    tuner = kt.RandomSearch(
        MyHyperModel(), hyperparameters=hp, objective="val_accuracy", max_trials=3,
        overwrite=True, directory=tmp_path, project_name="fixed_lr", seed=0,
    )
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)

    trials = list(tuner.oracle.trials.values())
    assert all(t.hyperparameters["learning_rate"] == 1e-4 for t in trials)
    assert len({tuple(t.hyperparameters.values.items()) for t in trials}) == 3
    assert float(tuner.get_best_models()[0].optimizer.learning_rate) == pytest.approx(1e-4)


def test_new_entries_can_be_forbidden(tmp_path, data):
    (x, y), validation = data
    hp = kt.HyperParameters()
    hp.Float("learning_rate", 1e-3, 1e-1, sampling="log")
    with pytest.raises(RuntimeError, match="`allow_new_entries` is `False`"):  # when built, as in Keras Tuner
        kt.RandomSearch(
            MyHyperModel(), hyperparameters=hp, allow_new_entries=False, objective="val_accuracy",
            max_trials=1, directory=tmp_path,
        )


def test_override_compilation_arguments(tmp_path, data):
    (x, y), validation = data
    tuner = kt.RandomSearch(
        MyHyperModel(), optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="sparse_acc")],
        objective="val_sparse_acc", max_trials=2, overwrite=True, directory=tmp_path,
    )
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.metrics.exists("val_sparse_acc")
    assert float(tuner.get_best_models()[0].optimizer.learning_rate) == pytest.approx(1e-3)
