"""keras.io's "Tune hyperparameters in your custom training loop"."""

import keras
import numpy as np
import pytest

if keras.backend.backend() != "tensorflow":
    pytest.skip("the guide's training loop uses tf.data and tf.GradientTape", allow_module_level=True)

import tensorflow as tf  # noqa: E402

import tunecore as kt  # noqa: E402


class MyHyperModel(kt.HyperModel):
    def build(self, hp):
        inputs = keras.Input(shape=(8,))
        x = keras.layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu")(inputs)
        outputs = keras.layers.Dense(2)(x)
        return keras.Model(inputs=inputs, outputs=outputs)

    def fit(self, hp, model, x, y, validation_data, callbacks=None, **kwargs):
        batch_size = hp.Int("batch_size", 32, 64, step=32, default=32)
        train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
        validation_data = tf.data.Dataset.from_tensor_slices(validation_data).batch(batch_size)
        optimizer = keras.optimizers.Adam(hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3))
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        epoch_loss_metric = keras.metrics.Mean()

        def run_train_step(images, labels):
            with tf.GradientTape() as tape:
                logits = model(images)
                loss = loss_fn(labels, logits)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))

        def run_val_step(images, labels):
            epoch_loss_metric.update_state(loss_fn(labels, model(images)))

        for callback in callbacks:
            callback.set_model(model)
        best_epoch_loss = float("inf")
        for epoch in range(2):
            for images, labels in train_ds:
                run_train_step(images, labels)
            for images, labels in validation_data:
                run_val_step(images, labels)
            epoch_loss = float(epoch_loss_metric.result().numpy())
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs={"my_metric": epoch_loss})
            epoch_loss_metric.reset_state()
            best_epoch_loss = min(best_epoch_loss, epoch_loss)
        return best_epoch_loss


def test_custom_training_loop(tmp_path, data):
    (x, y), (x_val, y_val) = data
    tuner = kt.RandomSearch(
        objective=kt.Objective("my_metric", "min"), max_trials=2, hypermodel=MyHyperModel(),
        directory=tmp_path, project_name="custom_training", overwrite=True,
    )
    tuner.search(x=x, y=y, validation_data=(x_val, y_val))

    best_hps = tuner.get_best_hyperparameters()[0]
    assert "batch_size" in best_hps.values
    best_model = tuner.get_best_models()[0]
    best = tuner.oracle.get_best_trials(1)[0]
    losses = [value for _, value in best.metrics.get_history("my_metric")]
    assert best.score == min(losses)
    # The metric is the unweighted mean of per-batch losses, as the loop computed it.
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    size = best_hps["batch_size"]
    batch_losses = [
        float(loss_fn(y_val[i:i + size], best_model(x_val[i:i + size])))
        for i in range(0, len(x_val), size)
    ]
    assert np.isclose(np.mean(batch_losses), best.score, rtol=1e-4)  # the weights of the best epoch


def test_a_hand_built_history_is_scored_from_its_lists(tmp_path):
    """Keras Tuner's tests return a History whose ``history`` dict was filled by hand."""

    class HandBuilt(kt.HyperModel):
        def build(self, hp):
            hp.Choice("mode", [0, 1])
            return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])

        def fit(self, hp, model, *args, **kwargs):
            history = keras.callbacks.History()
            history.history = {"loss": [5.0, 3.0 + hp["mode"], 4.0]}
            return history

    tuner = kt.Tuner(
        kt.oracles.RandomSearch(objective="loss", max_trials=2, seed=1),
        hypermodel=HandBuilt(), directory=tmp_path,
    )
    tuner.search()
    scores = sorted(t.score for t in tuner.oracle.trials.values())
    assert scores == [3.0, 4.0]
