import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "backends: also runs on Keras's JAX and PyTorch backends (test_backends.py runs them there)",
    )


@pytest.fixture(autouse=True, scope="session")
def eager_functions():
    """Run tf.functions eagerly: tracing a graph per model takes seconds on 2 cores.

    JAX stays compiled: running it op by op is slower than compiling these models.
    """
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.fixture
def data():
    """A separable two-class problem: ``(x, y), (x_val, y_val)`` with 160 / 40 rows."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return (x[:160], y[:160]), (x[160:], y[160:])


@pytest.fixture
def build_model():
    """The getting-started guide's build function, on 8 features and 2 classes."""

    def build(hp):
        model = keras.Sequential([keras.Input((8,))])
        model.add(
            keras.layers.Dense(
                units=hp.Int("units", min_value=4, max_value=32, step=4),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
        if hp.Boolean("dropout"):
            model.add(keras.layers.Dropout(rate=0.25))
        model.add(keras.layers.Dense(2, activation="softmax"))
        learning_rate = hp.Float("lr", min_value=1e-3, max_value=1e-1, sampling="log")
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    return build
