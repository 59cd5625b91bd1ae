"""Long searches: memory stays bounded; trials run under a distribution strategy."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import psutil
import pytest

import tunecore as kt


@pytest.mark.slow
def test_memory_stays_bounded_over_30_trials(tmp_path, data):
    (x, y), _ = data
    rss = []

    def build(hp):
        model = keras.Sequential([
            keras.Input((8,)), keras.layers.Dense(hp.Int("units", 4, 64, step=4), activation=hp.Choice("act", ["relu", "tanh"])),
            keras.layers.Dense(2, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    class Measured(kt.RandomSearch):
        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            rss.append(psutil.Process().memory_info().rss / 2**20)

    tuner = Measured(build, objective="loss", max_trials=30, directory=tmp_path, seed=0)
    tuner.search(x[:64], y[:64], epochs=1, verbose=0)
    assert len(rss) == 30
    print(f"RSS after each trial (MiB): {[round(r) for r in rss]}")
    assert rss[-1] - rss[0] < 200


DISTRIBUTED = textwrap.dedent('''
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, tunecore as kt

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    seen = []

    def build(hp):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 2, 8)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    class Recording(kt.RandomSearch):
        def on_epoch_end(self, trial, model, epoch, logs=None):
            seen.append(type(model.weights[0].value).__name__)

    x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    tuner = Recording(build, objective="loss", max_trials=2, directory=sys.argv[1], distribution_strategy=strategy)
    tuner.search(x, x[:, 0], epochs=1, batch_size=16, verbose=0)
    best = tuner.get_best_models()[0]
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "variables": seen,
        "statuses": [t.status for t in tuner.oracle.trials.values()],
        "best_variable": type(best.weights[0].value).__name__,
    }))
''')


@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute needs the TensorFlow backend")
def test_trials_run_under_a_mirrored_strategy(tmp_path):
    script = tmp_path / "distributed.py"
    script.write_text(DISTRIBUTED)
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "project")],
        capture_output=True, text=True, check=True, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["statuses"] == ["COMPLETED", "COMPLETED"]
    assert result["variables"] and all(v == "MirroredVariable" for v in result["variables"])
    assert result["best_variable"] == "MirroredVariable"
