"""keras.io's "Visualize the hyperparameter tuning process": TensorBoard logs per trial."""

import os
import sys

import keras
import pytest

import tunecore as kt


def test_tensorboard_without_tensorboard_fails_before_any_trial(tmp_path, data, build_model, monkeypatch):
    (x, y), validation = data
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if not installed
    tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=2, directory=tmp_path)
    with pytest.raises(kt.errors.MissingDependencyError, match=r"pip install 'tunecore\[tensorboard\]'"):
        tuner.search(
            x, y, epochs=1, validation_data=validation,
            callbacks=[keras.callbacks.TensorBoard(str(tmp_path / "logs"))],
        )
    assert tuner.oracle.trials == {}


def _plugins_in_events(folder):
    import tensorflow as tf

    plugins = set()
    for root, _, files in os.walk(folder):
        for name in files:
            if name.startswith("events.out.tfevents"):
                for event in tf.compat.v1.train.summary_iterator(os.path.join(root, name)):
                    plugins |= {v.metadata.plugin_data.plugin_name for v in event.summary.value}
    return plugins


def test_each_trial_logs_to_its_folder_with_hparams(tmp_path, data, build_model):
    pytest.importorskip("tensorboard")
    (x, y), validation = data
    log_dir = tmp_path / "tb_logs"
    tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=2, directory=tmp_path / "results")
    tuner.search(
        x, y, epochs=2, validation_data=validation, verbose=0,
        callbacks=[keras.callbacks.TensorBoard(str(log_dir))],
    )

    assert sorted(n for n in os.listdir(log_dir) if not n.startswith("events.out")) == sorted(tuner.oracle.trials)
    for trial_id in tuner.oracle.trials:
        trial_dir = log_dir / trial_id
        assert {"train", "validation"} <= set(os.listdir(trial_dir))
        assert "hparams" in _plugins_in_events(trial_dir)
