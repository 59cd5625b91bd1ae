"""The Hyperband and Bayesian tuners, on the tunecore-bayes plugin's oracles."""

import numpy as np
import pytest

import tunecore as kt

needs_hyperband = pytest.mark.skipif(
    "hyperband" not in kt.oracles.available(), reason="tunecore-bayes's hyperband oracle is not installed"
)
needs_bayesian = pytest.mark.skipif(
    "bayesian" not in kt.oracles.available(), reason="tunecore-bayes's bayesian oracle is not installed"
)


@pytest.mark.skipif("hyperband" in kt.oracles.available(), reason="tunecore-bayes is installed")
def test_without_the_plugin_the_error_says_what_to_install(tmp_path, build_model):
    with pytest.raises(kt.errors.PluginNotFoundError, match=r"pip install 'tunecore\[bayes\]'"):
        kt.Hyperband(build_model, objective="val_accuracy", max_epochs=3, directory=tmp_path)


@needs_hyperband
@pytest.mark.slow
@pytest.mark.backends
def test_promoted_trials_continue_from_their_parents_checkpoint(tmp_path, data, build_model):
    (x, y), validation = data
    starts = {}

    class Recording(kt.Hyperband):
        def on_epoch_begin(self, trial, model, epoch, logs=None):
            if trial.trial_id not in starts:
                starts[trial.trial_id] = (epoch, [w.copy() for w in model.get_weights()])

    tuner = Recording(build_model, objective="val_accuracy", max_epochs=2, factor=2, directory=tmp_path, seed=0)
    with pytest.warns(UserWarning, match="schedule"):
        tuner.search(x, y, epochs=50, validation_data=validation, verbose=0)

    promoted = [t for t in tuner.oracle.trials.values() if "tuner/trial_id" in t.hyperparameters.values]
    assert promoted
    for trial in tuner.oracle.trials.values():
        values = trial.hyperparameters.values
        steps = [step for step, _ in trial.metrics.get_history("val_accuracy")]
        assert steps == list(range(values["tuner/initial_epoch"], values["tuner/epochs"]))
    for trial in promoted:
        first_epoch, weights = starts[trial.trial_id]
        assert first_epoch == trial.hyperparameters.values["tuner/initial_epoch"]
        parent = tuner.oracle.get_trial(trial.hyperparameters.values["tuner/trial_id"])
        for loaded, saved in zip(weights, tuner.load_model(parent).get_weights()):
            np.testing.assert_array_equal(loaded, saved)


@needs_bayesian
@pytest.mark.backends
def test_bayesian_optimization(tmp_path, data, build_model):
    (x, y), validation = data
    tuner = kt.BayesianOptimization(
        build_model, objective="val_accuracy", max_trials=3, num_initial_points=2, directory=tmp_path, seed=0,
    )
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)
    assert len(tuner.oracle.get_best_trials(3)) == 3


@needs_bayesian
def test_bayesian_tuner_passes_the_oracles_own_options(tmp_path, build_model):
    tuner = kt.BayesianOptimization(
        build_model, objective="val_accuracy", max_trials=3, directory=tmp_path,
        lengthscale_prior="optuna", pending="kriging", follow_up="rescore",
    )
    assert tuner.oracle.max_trials == 3
    with pytest.raises(ValueError, match="lengthscale_prior must be one of .*; got 'selct'"):
        kt.BayesianOptimization(build_model, objective="val_accuracy", directory=tmp_path, lengthscale_prior="selct")


@needs_hyperband
def test_hyperband_tuner_draws_from_a_model_when_asked(tmp_path, build_model):
    tuner = kt.Hyperband(build_model, objective="val_accuracy", max_epochs=3, directory=tmp_path,
                         model_based=True)
    assert tuner.oracle.model_based and tuner.oracle.proposer is not None
    assert kt.Hyperband(build_model, objective="val_accuracy", max_epochs=3, directory=tmp_path,
                        project_name="random").oracle.proposer is None
    with pytest.raises(ValueError, match="model_based=True or a proposer, not both"):
        kt.Hyperband(build_model, objective="val_accuracy", max_epochs=3, directory=tmp_path,
                     project_name="both", model_based=True, proposer=lambda oracle: None)


@needs_hyperband
@pytest.mark.backends
def test_model_based_hyperband_search_runs_its_proposer(tmp_path, data, build_model):
    (x, y), validation = data
    asked = []

    def proposer(oracle):
        asked.append(len(oracle.trials))
        return None  # a random configuration

    tuner = kt.Hyperband(build_model, objective="val_accuracy", max_epochs=2, factor=2, directory=tmp_path,
                         seed=0, proposer=proposer)
    tuner.search(x, y, validation_data=validation, verbose=0)
    assert asked and len(tuner.oracle.get_best_trials(1)) == 1
