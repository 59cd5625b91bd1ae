"""The Keras tuners take Keras Tuner's arguments in Keras Tuner's positional order."""

import inspect

import pytest

import tunecore as kt


def build(hp):
    raise AssertionError("not built: only the oracle is inspected")


# Keras Tuner's arguments before the shared ones, by position (after the hypermodel and objective).
OWN = {
    "RandomSearch": (3, 7),  # max_trials, seed
    "GridSearch": (3, 7),
    "BayesianOptimization": (3, 2, 1e-3, 3.0, 7),  # max_trials, num_initial_points, alpha, beta, seed
    "Hyperband": (9, 3, 1, 7),  # max_epochs, factor, hyperband_iterations, seed
}


@pytest.mark.parametrize("name", sorted(OWN))
def test_the_shared_oracle_arguments_are_taken_by_position(name, tmp_path):
    hp = kt.HyperParameters()
    hp.Int("units", 1, 4)
    tuner = getattr(kt, name)(build, "val_loss", *OWN[name], hp, False, False, 2, 5, directory=tmp_path)
    oracle = tuner.oracle
    assert tuner.seed == oracle.seed == 7
    assert [p.name for p in oracle.hyperparameters.space] == ["units"]
    assert (oracle.tune_new_entries, oracle.allow_new_entries) == (False, False)
    assert (oracle.max_retries_per_trial, oracle.max_consecutive_failed_trials) == (2, 5)


def test_the_shared_oracle_arguments_by_name_are_unchanged(tmp_path):
    tuner = kt.RandomSearch(build, "val_loss", max_trials=3, max_retries_per_trial=1, pruner="median",
                            directory=tmp_path)
    assert tuner.oracle.max_retries_per_trial == 1 and tuner.oracle.tune_new_entries
    assert tuner.oracle.pruner is not None


def test_every_option_of_the_bayesian_oracle_is_forwarded_and_documented(tmp_path):
    oracle_class = kt.oracles.get("bayesian")
    options = [name for name, parameter in inspect.signature(oracle_class).parameters.items()
               if parameter.kind is parameter.KEYWORD_ONLY]
    assert {"acquisition", "lengthscale_prior", "pending", "stall"} <= set(options)
    for name in options:
        assert f"``{name}``" in kt.BayesianOptimization.__doc__, name
    for name in ("acquisition", "stall"):  # reaching the oracle: its check names the option
        with pytest.raises(ValueError, match=f"{name} must be one of"):
            kt.BayesianOptimization(build, "val_loss", directory=tmp_path, **{name: "bogus"})
