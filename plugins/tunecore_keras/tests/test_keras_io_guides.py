"""The keras.io Keras Tuner guides, run with ``import tunecore as keras_tuner`` as their only change.

Sources: keras-team/keras-io, ``guides/keras_tuner/*.py``. Each test follows
its guide call for call, in order. What differs, and only that:

* data: random arrays of the guide's shapes, with a few rows (the guides
  download MNIST; nothing downloads here), and fewer epochs, steps and trials;
* files: each test runs in ``tmp_path`` (the guides write to ``my_dir``,
  ``results``, ``/tmp/tb``...);
* Keras 3, not tunecore: a metric's ``reset_states()`` is ``reset_state()``
  (custom training loop), ``AveragePooling2D`` needs its ``pool_size``
  (distributed tuning), ``model.save`` needs a ``.keras`` path and
  ``Sequential.build`` the data's rank (getting started), and ``tf.keras`` is
  ``keras``;
* distributed tuning: the guide's script runs as one process (what Keras Tuner
  does when its ``KERASTUNER_*`` variables are unset), and as a chief and two
  workers with the variables set (on Dask, see :mod:`tunecore.distribute`).

``test_getting_started.py`` and the other guide-named test files check the
same features in more depth.
"""

import os

import keras
import numpy as np
import pytest

if keras.backend.backend() != "tensorflow":
    pytest.skip("the keras.io guides use TensorFlow (tf.data, tf.distribute)", allow_module_level=True)

import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

import tunecore as keras_tuner  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _digits(rows, seed=0):
    """MNIST-shaped data: 28x28 grey images and labels 0-9."""
    rng = np.random.default_rng(seed)
    return rng.random((rows, 28, 28, 1)).astype("float32"), rng.integers(0, 10, (rows, 1))


# -- custom_tuner.py: "Tune hyperparameters in your custom training loop" ------


def test_custom_training_loop_guide():
    x_train, y_train = _digits(64)
    x_val, y_val = _digits(32, seed=1)

    class MyHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            inputs = keras.Input(shape=(28, 28, 1))
            x = keras.layers.Flatten()(inputs)
            x = keras.layers.Dense(units=hp.Choice("units", [32, 64, 128]), activation="relu")(x)
            outputs = keras.layers.Dense(10)(x)
            return keras.Model(inputs=inputs, outputs=outputs)

        def fit(self, hp, model, x, y, validation_data, callbacks=None, **kwargs):
            batch_size = hp.Int("batch_size", 32, 128, step=32, default=64)
            train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(batch_size)
            validation_data = tf.data.Dataset.from_tensor_slices(validation_data).batch(batch_size)
            optimizer = keras.optimizers.Adam(
                hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
            )
            loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
            epoch_loss_metric = keras.metrics.Mean()

            @tf.function
            def run_train_step(images, labels):
                with tf.GradientTape() as tape:
                    logits = model(images)
                    loss = loss_fn(labels, logits)
                    if model.losses:
                        loss += tf.math.add_n(model.losses)
                gradients = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(gradients, model.trainable_variables))

            @tf.function
            def run_val_step(images, labels):
                logits = model(images)
                loss = loss_fn(labels, logits)
                epoch_loss_metric.update_state(loss)

            for callback in callbacks:
                callback.model = model  # the guide assigns; Keras 3 callbacks only have set_model

            best_epoch_loss = float("inf")
            for epoch in range(2):
                print(f"Epoch: {epoch}")
                for images, labels in train_ds:
                    run_train_step(images, labels)
                for images, labels in validation_data:
                    run_val_step(images, labels)
                epoch_loss = float(epoch_loss_metric.result().numpy())
                for callback in callbacks:
                    callback.on_epoch_end(epoch, logs={"my_metric": epoch_loss})
                epoch_loss_metric.reset_state()  # Keras 3's name for reset_states()
                print(f"Epoch loss: {epoch_loss}")
                best_epoch_loss = min(best_epoch_loss, epoch_loss)
            return best_epoch_loss

    tuner = keras_tuner.RandomSearch(
        objective=keras_tuner.Objective("my_metric", "min"),
        max_trials=2,
        hypermodel=MyHyperModel(),
        directory="results",
        project_name="custom_training",
        overwrite=True,
    )
    tuner.search(x=x_train, y=y_train, validation_data=(x_val, y_val))

    best_hps = tuner.get_best_hyperparameters()[0]
    print(best_hps.values)
    best_model = tuner.get_best_models()[0]
    best_model.summary()

    assert len(tuner.oracle.trials) == 2
    assert {"units", "batch_size", "learning_rate"} <= set(best_hps.values)
    assert os.path.isdir(os.path.join("results", "custom_training"))


# -- distributed_tuning.py: "Distributed hyperparameter tuning" ----------------


def _distributed_build_model(hp):
    """Builds a convolutional model."""
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for i in range(hp.Int("conv_layers", 1, 3, default=3)):
        x = keras.layers.Conv2D(
            filters=hp.Int("filters_" + str(i), 4, 32, step=4, default=8),
            kernel_size=hp.Int("kernel_size_" + str(i), 3, 5),
            activation="relu",
            padding="same",
        )(x)
        if hp.Choice("pooling" + str(i), ["max", "avg"]) == "max":
            x = keras.layers.MaxPooling2D()(x)
        else:
            x = keras.layers.AveragePooling2D(pool_size=2)(x)  # Keras 3 needs pool_size
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
    if hp.Choice("global_pooling", ["max", "avg"]) == "max":
        x = keras.layers.GlobalMaxPooling2D()(x)
    else:
        x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    optimizer = hp.Choice("optimizer", ["adam", "sgd"])
    model.compile(optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_distributed_tuning_guide_as_one_process():
    tuner = keras_tuner.Hyperband(
        hypermodel=_distributed_build_model,
        objective="val_accuracy",
        max_epochs=2,
        factor=3,
        hyperband_iterations=1,
        distribution_strategy=tf.distribute.MirroredStrategy(),
        directory="results_dir",
        project_name="mnist",
        overwrite=True,
    )
    x_train, y_train = _digits(64)
    x_test, y_test = _digits(16, seed=1)
    y_train = y_train.astype(np.int64)
    y_test = y_test.astype(np.int64)

    tuner.search(
        x_train,
        y_train,
        steps_per_epoch=2,
        validation_data=(x_test, y_test),
        validation_steps=1,
        callbacks=[keras.callbacks.EarlyStopping("val_accuracy")],
    )

    trials = tuner.oracle.trials.values()
    assert trials and all(t.status == "COMPLETED" for t in trials)
    assert tuner.get_best_models()[0] is not None


DISTRIBUTED_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import keras, tensorflow as tf
import tunecore as keras_tuner
from test_keras_io_guides import _digits, _distributed_build_model

tuner = keras_tuner.Hyperband(
    hypermodel=_distributed_build_model, objective="val_accuracy", max_epochs=2, factor=3,
    hyperband_iterations=1, distribution_strategy=tf.distribute.MirroredStrategy(),
    directory="results_dir", project_name="mnist", overwrite=True,
)
x_train, y_train = _digits(64)
x_test, y_test = _digits(16, seed=1)
tuner.search(x_train, y_train.astype("int64"), steps_per_epoch=2, validation_data=(x_test, y_test.astype("int64")),
             validation_steps=1, callbacks=[keras.callbacks.EarlyStopping("val_accuracy")])
trials = tuner.oracle.trials.values()
print("RESULT " + json.dumps({"statuses": sorted({t.status for t in trials}), "trials": len(trials),
      "tuners": sorted({t.tuner_id for t in trials}), "model": tuner.get_best_models()[0] is not None}))
"""


def test_distributed_tuning_guide_with_a_chief_and_two_workers(tmp_path):
    """The guide's script in three processes, with the variables the guide sets."""
    import json
    import socket
    import subprocess
    import sys

    pytest.importorskip("distributed")
    (tmp_path / "guide.py").write_text(DISTRIBUTED_SCRIPT)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def start(tuner_id):
        env = {**os.environ, "KERASTUNER_TUNER_ID": tuner_id, "KERASTUNER_ORACLE_IP": "127.0.0.1",
               "KERASTUNER_ORACLE_PORT": str(port)}
        return subprocess.Popen([sys.executable, "guide.py", os.path.dirname(__file__)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    processes = [start("chief"), start("tuner0"), start("tuner1")]
    try:
        results = []
        for process in processes:
            output, _ = process.communicate(timeout=300)
            assert process.returncode == 0, output
            results.append(next(json.loads(line[7:]) for line in output.splitlines() if line.startswith("RESULT ")))
    finally:
        for process in processes:
            process.kill()
    chief = results[0]
    assert chief["statuses"] == ["COMPLETED"] and chief["model"]
    assert set(chief["tuners"]) <= {"tuner0", "tuner1"}, "trials run on the workers, under their ids"
    assert results[1] == results[2] == chief, "every worker ends with the chief's results"


# -- failed_trials.py: "Handling failed trials in KerasTuner" ------------------


def _failed_trials_data():
    rng = np.random.default_rng(0)
    return dict(
        x=rng.random((16, 20)),
        y=rng.random((16, 1)),
        validation_data=(rng.random((16, 20)), rng.random((16, 1))),
        epochs=1,
    )


def _two_dense(hp):
    units_1 = hp.Int("units_1", 10, 40, step=10)
    units_2 = hp.Int("units_2", 10, 30, step=10)
    model = keras.Sequential([
        layers.Dense(units=units_1, input_shape=(20,)),
        layers.Dense(units=units_2),
        layers.Dense(units=1),
    ])
    model.compile(loss="mse")
    return model


def test_failed_trials_guide():
    def build_model(hp):
        model = _two_dense(hp)
        n_params = model.count_params()
        if n_params > 1200:
            raise ValueError(f"Model too large! It contains {n_params} params.")
        return model

    tuner = keras_tuner.GridSearch(
        hypermodel=build_model, objective="val_loss", overwrite=True,
        max_retries_per_trial=3, max_consecutive_failed_trials=8,
    )
    tuner.search(**_failed_trials_data())
    tuner.results_summary()
    by_status = [t.status for t in tuner.oracle.trials.values()]
    assert len(by_status) == 12 and "FAILED" in by_status and "COMPLETED" in by_status
    assert {t.attempts for t in tuner.oracle.trials.values() if t.status == "FAILED"} == {4}

    def build_model(hp):
        model = _two_dense(hp)
        n_params = model.count_params()
        if n_params > 1200:
            raise keras_tuner.errors.FailedTrialError(f"Model too large! It contains {n_params} params.")
        return model

    tuner = keras_tuner.GridSearch(
        hypermodel=build_model, objective="val_loss", overwrite=True,
        max_retries_per_trial=3, max_consecutive_failed_trials=8,
    )
    tuner.search(**_failed_trials_data())
    tuner.results_summary()
    assert {t.attempts for t in tuner.oracle.trials.values() if t.status == "FAILED"} == {1}

    def build_model(hp):
        model = _two_dense(hp)
        n_params = model.count_params()
        if n_params > 1200:
            raise keras_tuner.errors.FatalError(f"Model too large! It contains {n_params} params.")
        return model

    tuner = keras_tuner.GridSearch(
        hypermodel=build_model, objective="val_loss", overwrite=True,
        max_retries_per_trial=3, max_consecutive_failed_trials=8,
    )
    terminated = False
    try:
        tuner.search(**_failed_trials_data())
    except keras_tuner.errors.FatalError:
        print("The search is terminated.")
        terminated = True
    assert terminated
    assert len(tuner.oracle.trials) < 12


# -- tailor_the_search_space.py: "Tailor the search space" ---------------------


def _tailor_build_model(hp):
    model = keras.Sequential()
    model.add(layers.Flatten())
    model.add(layers.Dense(units=hp.Int("units", min_value=32, max_value=128, step=32, default=64)))
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=0.25))
    model.add  # sic: the guide's line does nothing
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=hp.Choice("learning_rate", values=[1e-2, 1e-3, 1e-4])
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_tailor_the_search_space_guide(capsys):
    build_model = _tailor_build_model
    hp = keras_tuner.HyperParameters()
    hp.Float("learning_rate", min_value=1e-4, max_value=1e-2, sampling="log")
    tuner = keras_tuner.RandomSearch(
        hypermodel=build_model,
        hyperparameters=hp,
        tune_new_entries=False,
        objective="val_accuracy",
        max_trials=3,
        overwrite=True,
        directory="my_dir",
        project_name="search_a_few",
    )
    x_train, y_train = _digits(16)
    x_val, y_val = _digits(8, seed=1)
    tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    capsys.readouterr()
    tuner.search_space_summary()
    summary = capsys.readouterr().out
    assert "learning_rate (Float)" in summary
    assert all(t.hyperparameters["units"] == 64 for t in tuner.oracle.trials.values())

    hp = keras_tuner.HyperParameters()
    hp.Fixed("learning_rate", value=1e-4)
    tuner = keras_tuner.RandomSearch(
        build_model,
        hyperparameters=hp,
        tune_new_entries=True,
        objective="val_accuracy",
        max_trials=3,
        overwrite=True,
        directory="my_dir",
        project_name="fix_a_few",
    )
    tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    tuner.search_space_summary()
    assert all(t.hyperparameters["learning_rate"] == 1e-4 for t in tuner.oracle.trials.values())

    tuner = keras_tuner.RandomSearch(
        build_model,
        optimizer=keras.optimizers.Adam(1e-3),
        loss="mse",
        metrics=["sparse_categorical_crossentropy"],
        objective="val_loss",
        max_trials=3,
        overwrite=True,
        directory="my_dir",
        project_name="override_compile",
    )
    tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    assert tuner.get_best_models()[0].loss == "mse"

    hypermodel = keras_tuner.applications.HyperXception(input_shape=(28, 28, 1), classes=10)
    hp = keras_tuner.HyperParameters()
    hp.Choice("learning_rate", values=[1e-2, 1e-3, 1e-4])
    tuner = keras_tuner.RandomSearch(
        hypermodel,
        hyperparameters=hp,
        tune_new_entries=False,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        objective="val_accuracy",
        max_trials=1,  # the guide: 3
        overwrite=True,
        directory="my_dir",
        project_name="helloworld",
    )
    tuner.search(x_train[:4], y_train[:4], epochs=1, validation_data=(x_val[:4], y_val[:4]))
    tuner.search_space_summary()
    assert len(tuner.oracle.trials) == 1


# -- visualize_tuning.py: "Visualize the hyperparameter tuning process" --------


def _visualize_build_model(hp):
    inputs = keras.Input(shape=(28, 28, 1))
    model_type = hp.Choice("model_type", ["mlp", "cnn"])
    x = inputs
    if model_type == "mlp":
        x = layers.Flatten()(x)
        for i in range(hp.Int("mlp_layers", 1, 3)):
            x = layers.Dense(units=hp.Int(f"units_{i}", 32, 128, step=32), activation="relu")(x)
    else:
        for i in range(hp.Int("cnn_layers", 1, 3)):
            x = layers.Conv2D(
                hp.Int(f"filters_{i}", 32, 128, step=32), kernel_size=(3, 3), activation="relu"
            )(x)
            x = layers.MaxPooling2D(pool_size=(2, 2))(x)
        x = layers.Flatten()(x)
    if hp.Boolean("dropout"):
        x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(units=10, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"], optimizer="adam")
    return model


def test_visualize_tuning_guide(tmp_path):
    pytest.importorskip("tensorboard")
    build_model = _visualize_build_model
    x_train, y_train = _digits(20)
    x_train = x_train[..., 0]
    x_test, y_test = _digits(8, seed=1)
    x_test = x_test[..., 0]
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print(x_train.shape, y_train.shape, x_test.shape, y_test.shape)

    hp = keras_tuner.HyperParameters()
    hp.values["model_type"] = "cnn"
    model = build_model(hp)
    model(x_train[:100])
    model.summary()
    hp.values["model_type"] = "mlp"
    model = build_model(hp)
    model(x_train[:100])
    model.summary()

    tuner = keras_tuner.RandomSearch(
        build_model,
        max_trials=2,  # the guide: 10
        overwrite=True,
        objective="val_accuracy",
        directory=str(tmp_path / "tb"),
    )
    tuner.search(
        x_train,
        y_train,
        validation_split=0.2,
        epochs=1,  # the guide: 2
        callbacks=[keras.callbacks.TensorBoard(str(tmp_path / "tb_logs"))],
    )
    logged = os.listdir(tmp_path / "tb_logs")
    assert set(tuner.oracle.trials) <= set(logged)  # a folder per trial, and the HParams experiment
    assert any(name.startswith("events.out.tfevents") for name in logged)


# -- getting_started.py: "Getting started with KerasTuner" ---------------------


def test_getting_started_guide(tmp_path):
    def build_model(hp):
        model = keras.Sequential()
        model.add(layers.Flatten())
        model.add(layers.Dense(units=hp.Int("units", min_value=32, max_value=512, step=32), activation="relu"))
        model.add(layers.Dense(10, activation="softmax"))
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    build_model(keras_tuner.HyperParameters())

    def build_model(hp):
        model = keras.Sequential()
        model.add(layers.Flatten())
        model.add(
            layers.Dense(
                units=hp.Int("units", min_value=32, max_value=512, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
        if hp.Boolean("dropout"):
            model.add(layers.Dropout(rate=0.25))
        model.add(layers.Dense(10, activation="softmax"))
        learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    build_model(keras_tuner.HyperParameters())

    hp = keras_tuner.HyperParameters()
    print(hp.Int("units", min_value=32, max_value=512, step=32))

    def call_existing_code(units, activation, dropout, lr):
        model = keras.Sequential()
        model.add(layers.Flatten())
        model.add(layers.Dense(units=units, activation=activation))
        if dropout:
            model.add(layers.Dropout(rate=0.25))
        model.add(layers.Dense(10, activation="softmax"))
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=lr),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def build_model(hp):
        units = hp.Int("units", min_value=32, max_value=512, step=32)
        activation = hp.Choice("activation", ["relu", "tanh"])
        dropout = hp.Boolean("dropout")
        lr = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
        return call_existing_code(units=units, activation=activation, dropout=dropout, lr=lr)

    build_model(keras_tuner.HyperParameters())

    def build_model(hp):
        model = keras.Sequential()
        model.add(layers.Flatten())
        for i in range(hp.Int("num_layers", 1, 3)):
            model.add(
                layers.Dense(
                    units=hp.Int(f"units_{i}", min_value=32, max_value=512, step=32),
                    activation=hp.Choice("activation", ["relu", "tanh"]),
                )
            )
        if hp.Boolean("dropout"):
            model.add(layers.Dropout(rate=0.25))
        model.add(layers.Dense(10, activation="softmax"))
        learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    build_model(keras_tuner.HyperParameters())

    tuner = keras_tuner.RandomSearch(
        hypermodel=build_model,
        objective="val_accuracy",
        max_trials=2,  # the guide: 3
        executions_per_trial=2,
        overwrite=True,
        directory="my_dir",
        project_name="helloworld",
    )
    tuner.search_space_summary()

    rng = np.random.default_rng(0)  # the guide loads MNIST: 60000 + 10000 images of 28x28
    x, y = rng.integers(0, 256, (40, 28, 28)).astype("uint8"), rng.integers(0, 10, 40)
    x_test, y_test = rng.integers(0, 256, (8, 28, 28)).astype("uint8"), rng.integers(0, 10, 8)
    x_train = x[:-10]
    x_val = x[-10:]
    y_train = y[:-10]
    y_val = y[-10:]
    x_train = np.expand_dims(x_train, -1).astype("float32") / 255.0
    x_val = np.expand_dims(x_val, -1).astype("float32") / 255.0
    x_test = np.expand_dims(x_test, -1).astype("float32") / 255.0
    num_classes = 10
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_val = keras.utils.to_categorical(y_val, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))  # the guide: 2 epochs

    models = tuner.get_best_models(num_models=2)
    best_model = models[0]
    best_model.build(input_shape=(None, 28, 28, 1))  # Keras 3: the guide's (None, 28, 28) is not its data's rank
    best_model.summary()
    tuner.results_summary()

    best_hps = tuner.get_best_hyperparameters(5)
    model = build_model(best_hps[0])
    x_all = np.concatenate((x_train, x_val))
    y_all = np.concatenate((y_train, y_val))
    model.fit(x=x_all, y=y_all, epochs=1)
    assert len(models) == 2 and len(best_hps) == 2

    class MyHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            model = keras.Sequential()
            model.add(layers.Flatten())
            model.add(layers.Dense(units=hp.Int("units", min_value=32, max_value=512, step=32), activation="relu"))
            model.add(layers.Dense(10, activation="softmax"))
            model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            return model

        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, shuffle=hp.Boolean("shuffle"), **kwargs)

    hp = keras_tuner.HyperParameters()
    hypermodel = MyHyperModel()
    model = hypermodel.build(hp)
    hypermodel.fit(hp, model, np.random.rand(16, 28, 28), np.random.rand(16, 10))

    class MyHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            model = keras.Sequential()
            model.add(layers.Flatten())
            model.add(layers.Dense(units=hp.Int("units", min_value=32, max_value=512, step=32), activation="relu"))
            model.add(layers.Dense(10, activation="softmax"))
            model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            return model

        def fit(self, hp, model, x, y, **kwargs):
            if hp.Boolean("normalize"):
                x = layers.Normalization()(x)
            return model.fit(x, y, shuffle=hp.Boolean("shuffle"), **kwargs)

    hp = keras_tuner.HyperParameters()
    hypermodel = MyHyperModel()
    model = hypermodel.build(hp)
    hypermodel.fit(hp, model, np.random.rand(16, 28, 28), np.random.rand(16, 10))

    class MyHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            image_size = hp.Int("image_size", 10, 28)
            inputs = keras.Input(shape=(image_size, image_size))
            outputs = layers.Flatten()(inputs)
            outputs = layers.Dense(
                units=hp.Int("units", min_value=32, max_value=512, step=32), activation="relu"
            )(outputs)
            outputs = layers.Dense(10, activation="softmax")(outputs)
            model = keras.Model(inputs, outputs)
            model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            return model

        def fit(self, hp, model, x, y, validation_data=None, **kwargs):
            if hp.Boolean("normalize"):
                x = layers.Normalization()(x)
            image_size = hp.get("image_size")
            cropped_x = x[:, :image_size, :image_size, :]
            if validation_data:
                x_val, y_val = validation_data
                cropped_x_val = x_val[:, :image_size, :image_size, :]
                validation_data = (cropped_x_val, y_val)
            return model.fit(
                cropped_x, y, shuffle=hp.Boolean("shuffle"), validation_data=validation_data, **kwargs
            )

    tuner = keras_tuner.RandomSearch(
        MyHyperModel(),
        objective="val_accuracy",
        max_trials=2,  # the guide: 3
        overwrite=True,
        directory="my_dir",
        project_name="tune_hypermodel",
    )
    tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))

    hypermodel = MyHyperModel()
    best_hp = tuner.get_best_hyperparameters()[0]
    model = hypermodel.build(best_hp)
    hypermodel.fit(best_hp, model, x_all, y_all, epochs=1)

    def regression_data():
        return dict(
            x=np.random.rand(16, 10),
            y=np.random.rand(16, 1),
            validation_data=(np.random.rand(8, 10), np.random.rand(8, 1)),
        )

    def build_regressor(hp):
        model = keras.Sequential(
            [layers.Dense(units=hp.Int("units", 32, 128, 32), activation="relu"), layers.Dense(units=1)]
        )
        model.compile(optimizer="adam", loss="mean_squared_error", metrics=[keras.metrics.MeanAbsoluteError()])
        return model

    tuner = keras_tuner.RandomSearch(
        hypermodel=build_regressor,
        objective=keras_tuner.Objective("val_mean_absolute_error", direction="min"),
        max_trials=2,  # the guide: 3
        overwrite=True,
        directory="my_dir",
        project_name="built_in_metrics",
    )
    tuner.search(**regression_data())
    tuner.results_summary()

    class CustomMetric(keras.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(name="custom_metric", **kwargs)
            self.sum = self.add_weight(name="sum", initializer="zeros")
            self.count = self.add_weight(name="count", dtype=tf.int32, initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = tf.math.squared_difference(y_pred, y_true)
            count = tf.shape(y_true)[0]
            if sample_weight is not None:
                sample_weight = tf.cast(sample_weight, self.dtype)
                values *= sample_weight
                count *= sample_weight
            self.sum.assign_add(tf.reduce_sum(values))
            self.count.assign_add(count)

        def result(self):
            return self.sum / tf.cast(self.count, tf.float32)

        def reset_states(self):
            self.sum.assign(0)
            self.count.assign(0)

    def build_regressor(hp):
        model = keras.Sequential(
            [layers.Dense(units=hp.Int("units", 32, 128, 32), activation="relu"), layers.Dense(units=1)]
        )
        model.compile(optimizer="adam", loss="mean_squared_error", metrics=[CustomMetric()])
        return model

    tuner = keras_tuner.RandomSearch(
        hypermodel=build_regressor,
        objective=keras_tuner.Objective("val_custom_metric", direction="min"),
        max_trials=2,  # the guide: 3
        overwrite=True,
        directory="my_dir",
        project_name="custom_metrics",
    )
    tuner.search(**regression_data())
    tuner.results_summary()
    assert tuner.oracle.get_best_trials()[0].metrics.exists("val_custom_metric")

    class HyperRegressor(keras_tuner.HyperModel):
        def build(self, hp):
            model = keras.Sequential(
                [layers.Dense(units=hp.Int("units", 32, 128, 32), activation="relu"), layers.Dense(units=1)]
            )
            model.compile(optimizer="adam", loss="mean_squared_error")
            return model

        def fit(self, hp, model, x, y, validation_data, **kwargs):
            model.fit(x, y, **kwargs)
            x_val, y_val = validation_data
            y_pred = model.predict(x_val)
            return np.mean(np.abs(y_pred - y_val))

    tuner = keras_tuner.RandomSearch(
        hypermodel=HyperRegressor(), max_trials=2, overwrite=True,  # the guide: 3 trials
        directory="my_dir", project_name="custom_eval",
    )
    tuner.search(**regression_data())
    tuner.results_summary()

    class HyperRegressor(keras_tuner.HyperModel):
        def build(self, hp):
            model = keras.Sequential(
                [layers.Dense(units=hp.Int("units", 32, 128, 32), activation="relu"), layers.Dense(units=1)]
            )
            model.compile(optimizer="adam", loss="mean_squared_error")
            return model

        def fit(self, hp, model, x, y, validation_data, **kwargs):
            model.fit(x, y, **kwargs)
            x_val, y_val = validation_data
            y_pred = model.predict(x_val)
            return {
                "metric_a": -np.mean(np.abs(y_pred - y_val)),
                "metric_b": np.mean(np.square(y_pred - y_val)),
            }

    tuner = keras_tuner.RandomSearch(
        hypermodel=HyperRegressor(),
        objective=keras_tuner.Objective("metric_a", "max"),
        max_trials=2,  # the guide: 3
        overwrite=True,
        directory="my_dir",
        project_name="custom_eval_dict",
    )
    tuner.search(**regression_data())
    tuner.results_summary()

    class MyTuner(keras_tuner.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            hp = trial.hyperparameters
            x = hp.Float("x", min_value=-1.0, max_value=1.0)
            return x * x + 1

    tuner = MyTuner(max_trials=5, overwrite=True, directory="my_dir", project_name="tune_anything")
    tuner.search()
    print(tuner.get_best_hyperparameters()[0].get("x"))
    assert tuner.oracle.get_best_trials()[0].score < 2.0

    def keras_code(units, optimizer, saving_path):
        model = keras.Sequential([layers.Dense(units=units, activation="relu"), layers.Dense(units=1)])
        model.compile(optimizer=optimizer, loss="mean_squared_error")
        x_train = np.random.rand(16, 10)
        y_train = np.random.rand(16, 1)
        x_val = np.random.rand(8, 10)
        y_val = np.random.rand(8, 1)
        model.fit(x_train, y_train)
        model.save(saving_path)
        y_pred = model.predict(x_val)
        return np.mean(np.abs(y_pred - y_val))

    class MyTuner(keras_tuner.RandomSearch):
        def run_trial(self, trial, **kwargs):
            hp = trial.hyperparameters
            return keras_code(
                units=hp.Int("units", 32, 128, 32),
                optimizer=hp.Choice("optimizer", ["adam", "adadelta"]),
                # The guide saves to /tmp/<trial_id>; Keras 3 needs the .keras extension.
                saving_path=os.path.join(str(tmp_path), trial.trial_id + ".keras"),
            )

    tuner = MyTuner(max_trials=2, overwrite=True, directory="my_dir", project_name="keep_code_separate")
    tuner.search()
    best_hp = tuner.get_best_hyperparameters()[0]
    keras_code(**best_hp.values, saving_path=str(tmp_path / "best_model.keras"))

    from tunecore.applications import HyperResNet  # the guide: from keras_tuner.applications import ...

    hypermodel = HyperResNet(input_shape=(28, 28, 1), classes=10)
    tuner = keras_tuner.RandomSearch(
        hypermodel,
        objective="val_accuracy",
        max_trials=1,  # the guide: 2
        overwrite=True,
        directory="my_dir",
        project_name="built_in_hypermodel",
    )
    tuner.search(x_train[:4], y_train[:4], epochs=1, validation_data=(x_val[:4], y_val[:4]))
    assert len(tuner.oracle.trials) == 1
