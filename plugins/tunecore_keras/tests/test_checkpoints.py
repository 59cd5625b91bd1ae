"""Best-epoch checkpoints, their retention, and several executions per trial."""

import os
import statistics

import pytest

import tunecore as kt


@pytest.mark.backends
def test_keep_best_checkpoints_deletes_the_others(tmp_path, data, build_model):
    (x, y), validation = data
    tuner = kt.RandomSearch(
        build_model, objective="val_loss", max_trials=3, directory=tmp_path, keep_best_checkpoints=1, seed=4,
    )
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)

    best = tuner.oracle.get_best_trials(1)[0]
    kept = [t for t in tuner.oracle.trials if os.path.exists(os.path.join(tuner.get_trial_dir(t), "checkpoint.weights.h5"))]
    assert kept == [best.trial_id]
    assert tuner.get_best_models(1)[0] is not None
    other = next(t for t in tuner.oracle.trials.values() if t.trial_id != best.trial_id)
    with pytest.raises(FileNotFoundError, match="keep_best_checkpoints=1"):
        tuner.load_model(other)


def test_keep_best_checkpoints_is_validated(tmp_path, build_model):
    with pytest.raises(ValueError, match="keep_best_checkpoints must be None"):
        kt.RandomSearch(build_model, objective="val_loss", directory=tmp_path, keep_best_checkpoints=0)


def test_keep_best_checkpoints_is_refused_with_an_oracle_that_reranks(tmp_path, build_model):
    # best="model" may bring back to the top a trial whose checkpoint was deleted.
    pytest.importorskip("tunecore_bayes")
    with pytest.raises(ValueError, match="keep_best_checkpoints=2 deletes the checkpoints.*best='model'"):
        kt.BayesianOptimization(build_model, objective="val_loss", directory=tmp_path, best="model",
                                keep_best_checkpoints=2)
    kt.BayesianOptimization(build_model, objective="val_loss", directory=tmp_path, keep_best_checkpoints=2)


@pytest.mark.slow
@pytest.mark.backends
def test_executions_are_averaged_as_keras_tuner_does(tmp_path, data, build_model):
    (x, y), validation = data
    seen = []

    class RecordingTuner(kt.RandomSearch):
        def on_epoch_end(self, trial, model, epoch, logs=None):
            if epoch == 0:
                seen.append([])
            seen[-1].append(logs["val_loss"])

    tuner = RecordingTuner(
        build_model, objective="val_loss", max_trials=1, executions_per_trial=2, directory=tmp_path,
    )
    tuner.search(x, y, epochs=3, validation_data=validation, verbose=0)

    trial = tuner.oracle.trials["00"]
    assert len(seen) == 2
    assert trial.score == pytest.approx(statistics.mean(min(run) for run in seen))
    best_step = int(statistics.mean(run.index(min(run)) for run in seen))
    assert trial.best_step == best_step
    curve = dict(trial.metrics.get_history("val_loss"))
    assert sorted(curve) == [0, 1, 2]
    for step in set(curve) - {best_step}:
        assert curve[step] == pytest.approx(statistics.mean(run[step] for run in seen))


def test_hooks_see_every_epoch_and_batch(tmp_path, data, build_model):
    (x, y), _ = data
    calls = []

    class HookedTuner(kt.RandomSearch):
        def on_epoch_begin(self, trial, model, epoch, logs=None):
            calls.append(("epoch_begin", epoch))

        def on_batch_end(self, trial, model, batch, logs=None):
            calls.append(("batch_end", batch))

    tuner = HookedTuner(build_model, objective="loss", max_trials=1, directory=tmp_path)
    tuner.search(x, y, epochs=2, batch_size=80, verbose=0)
    assert calls == [("epoch_begin", 0), ("batch_end", 0), ("batch_end", 1)] * 1 + [
        ("epoch_begin", 1), ("batch_end", 0), ("batch_end", 1)
    ]


def _search_with(model_class, data, tmp_path, max_trials):
    """A RandomSearch over models of ``model_class`` (a ``keras.Sequential``), run for ``max_trials``."""
    import keras

    def build(hp):
        model = model_class([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 1, 2)), keras.layers.Dense(1)])
        model.compile(loss="mse")
        return model

    (x, y), _ = data
    tuner = kt.RandomSearch(build, objective="loss", max_trials=max_trials, directory=tmp_path)
    tuner.search(x, y.astype("float32"), epochs=2, verbose=0)
    return tuner


def test_a_model_that_overrides_save_weights_is_saved_by_its_own_method(tmp_path, data):
    import keras

    saved = []

    class Recording(keras.Sequential):
        def save_weights(self, filepath, *args, **kwargs):
            saved.append(filepath)
            return super().save_weights(filepath, *args, **kwargs)

    _search_with(Recording, data, tmp_path, max_trials=1)
    assert saved and all(path.endswith("checkpoint.weights.h5") for path in saved)


def test_a_model_whose_save_weights_writes_nothing_is_still_scored(tmp_path, data):
    # Keras Tuner's tuner_test.py MockModel: its save_weights does nothing.
    import keras

    class Unsaved(keras.Sequential):
        def save_weights(self, filepath, *args, **kwargs):
            pass

    tuner = _search_with(Unsaved, data, tmp_path, max_trials=2)
    assert [t.status for t in tuner.oracle.trials.values()] == [kt.TrialStatus.COMPLETED] * 2
    assert not os.path.exists(os.path.join(tuner.get_trial_dir("00"), "checkpoint.weights.h5"))


@pytest.mark.backends
def test_a_checkpoint_that_is_a_link_is_replaced_never_written_through(tmp_path, data, build_model):
    (x, y), validation = data
    outside = tmp_path / "precious.weights.h5"
    outside.write_bytes(b"keep me")
    tuner = kt.RandomSearch(build_model, objective="val_loss", max_trials=1, directory=tmp_path / "root", seed=4)
    os.symlink(outside, os.path.join(tuner.get_trial_dir("00"), "checkpoint.weights.h5"))
    os.symlink(outside, os.path.join(tuner.get_trial_dir("00"), "partial-checkpoint.weights.h5"))
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)
    assert outside.read_bytes() == b"keep me"
    checkpoint = os.path.join(tuner.get_trial_dir("00"), "checkpoint.weights.h5")
    assert not os.path.islink(checkpoint) and tuner.get_best_models(1)[0] is not None
