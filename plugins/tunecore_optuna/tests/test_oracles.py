"""Optuna's samplers as tunecore oracles, through the public API."""

import importlib.util
import subprocess
import sys

import optuna
import pytest

import tunecore as kt
from tunecore.errors import MissingDependencyError, PluginNotFoundError
from tunecore.testing import OracleConformance, run_trials
from tunecore.trial import TrialStatus
from tunecore_optuna import OptunaCmaEs, OptunaNSGAII, OptunaQMC, OptunaRandom, OptunaSampler, OptunaTPE


class TestTPEConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: kt.oracles.get("optuna:tpe")(n_startup_trials=3, **kwargs)


class TestCmaEsConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: kt.oracles.get("optuna:cmaes")(**kwargs)


class TestQMCConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: kt.oracles.get("optuna:qmc")(**kwargs)


class TestNSGAIIConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: kt.oracles.get("optuna:nsga2")(population_size=4, **kwargs)


class TestRandomConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: kt.oracles.get("optuna:random")(**kwargs)


class TestAnySamplerConformance(OracleConformance):
    """``OptunaSampler`` with a sampler object the user built and seeded."""

    @pytest.fixture
    def make_oracle(self):
        def make(seed, **kwargs):
            return OptunaSampler(optuna.samplers.TPESampler(n_startup_trials=2, seed=seed), seed=seed, **kwargs)

        return make


def _quadratic(hp):
    x = hp.Float("x", -5.0, 5.0)
    y = hp.Float("y", -5.0, 5.0)
    return (x - 1.0) ** 2 + (y + 2.0) ** 2


def test_names_resolve_to_the_oracles():
    assert kt.oracles.get("optuna:tpe") is OptunaTPE
    assert kt.oracles.get("optuna:cmaes") is OptunaCmaEs
    assert kt.oracles.get("optuna:qmc") is OptunaQMC
    assert kt.oracles.get("optuna:nsga2") is OptunaNSGAII
    assert kt.oracles.get("optuna:random") is OptunaRandom
    assert kt.oracles.get("optuna") is OptunaSampler
    assert kt.oracles.OptunaTPE is OptunaTPE  # Keras Tuner's attribute style, by alias
    assert {"optuna:tpe", "optuna:cmaes", "optuna:qmc", "optuna:nsga2"} <= set(kt.oracles.available())


def test_a_misspelt_name_gets_a_suggestion():
    with pytest.raises(PluginNotFoundError, match="Did you mean 'optuna:tpe'"):
        kt.oracles.get("optuna:tpee")


def test_tpe_finds_a_good_optimum_of_a_quadratic():
    def best(oracle, seed):
        tuner = kt.tune(_quadratic, oracle=oracle, max_trials=40, seed=seed, verbose=0)
        return tuner.oracle.get_best_trials(1)[0].score

    tpe = sorted(best("optuna:tpe", seed) for seed in range(3))
    rs = sorted(best("random", seed) for seed in range(3))
    assert tpe[1] < 0.3  # the optimum is 0 at (1, -2); TPE's median best is about 0.1
    assert tpe[1] < rs[1]  # and random search's about 0.5


def test_sampler_arguments_pass_through_and_bad_ones_fail():
    oracle = kt.oracles.create("optuna:tpe", objective="loss", n_startup_trials=3, multivariate=True)
    assert isinstance(oracle.sampler, optuna.samplers.TPESampler)
    with pytest.raises(TypeError, match="n_startup"):
        kt.oracles.create("optuna:tpe", objective="loss", n_startup=3)


def test_a_sampler_class_is_seeded_with_the_oracles_seed():
    def values(seed):
        oracle = OptunaSampler(optuna.samplers.RandomSampler, objective="loss", max_trials=5, seed=seed,
                               hyperparameters=_space())
        return [t.hyperparameters.values for t in run_trials(oracle, lambda v: v["x"])]

    assert values(4) == values(4)
    assert values(4) != values(5)


def test_a_non_sampler_is_refused():
    with pytest.raises(ValueError, match="Optuna sampler"):
        OptunaSampler("tpe", objective="loss")


def test_the_sampler_learns_every_ended_trial_with_its_history():
    oracle = OptunaTPE(objective="loss", max_trials=6, seed=0, hyperparameters=_space())
    for _ in range(5):
        trial = oracle.ask("t")
        for step in range(3):
            oracle.report(trial.trial_id, step, loss=trial.hyperparameters["x"] + 1 - step)
        oracle.tell(trial.trial_id)
    failed = oracle.ask("t")
    oracle.tell(failed.trial_id, status=TrialStatus.FAILED, message="boom", retryable=False)
    states = [t.state for t in oracle.study.trials]
    assert states.count(optuna.trial.TrialState.COMPLETE) == 5
    assert states.count(optuna.trial.TrialState.FAIL) >= 1
    complete = [t for t in oracle.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert all(sorted(t.intermediate_values) == [0, 1, 2] for t in complete)
    assert all(t.value == min(t.intermediate_values.values()) for t in complete)


def test_a_resumed_search_rebuilds_the_study_from_the_project(tmp_path):
    kt.tune(_quadratic, oracle="optuna:tpe", max_trials=6, seed=0, verbose=0, directory=tmp_path, project_name="p")
    resumed = kt.tune(_quadratic, oracle="optuna:tpe", max_trials=9, seed=0, verbose=0, directory=tmp_path,
                      project_name="p")
    assert len(resumed.oracle.trials) == 9
    finished = [t for t in resumed.oracle.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(finished) == 9


@pytest.mark.skipif(not hasattr(kt, "Pareto"), reason="this tunecore has no Pareto objectives")
def test_nsga2_optimises_several_objectives_at_once():
    def two(hp):
        x = hp.Float("x", 0.0, 1.0)
        return {"loss_a": x, "loss_b": 1.0 - x}

    tuner = kt.tune(two, objective=kt.Pareto(["loss_a", "loss_b"]), oracle="optuna:nsga2", population_size=4,
                    max_trials=8, seed=0, verbose=0)
    study = tuner.oracle.study
    assert len(study.directions) == 2
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 8 and all(sum(t.values) == pytest.approx(1.0) for t in complete)


def test_a_list_of_objectives_is_optimised_as_its_weighted_sum():
    def two(hp):
        x = hp.Float("x", 0.0, 1.0)
        return {"loss_a": x, "loss_b": 2.0 * x}

    tuner = kt.tune(two, objective=["loss_a", "loss_b"], oracle="optuna:tpe", max_trials=5, seed=0, verbose=0)
    complete = [t for t in tuner.oracle.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert complete and all(t.value == pytest.approx(3.0 * t.params["x"]) for t in complete)


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="PyTorch is installed")
def test_gp_without_torch_says_how_to_get_it():
    with pytest.raises(MissingDependencyError, match="pip install torch"):
        kt.oracles.create("optuna:gp", objective="loss")


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    return hp


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="optuna:gp needs PyTorch")
def test_gp_finds_the_optimum_of_a_mixed_space():
    def fn(hp):
        x = hp.Float("x", -5.0, 5.0)
        return (x - 1.0) ** 2 + (1.0 if hp.Choice("c", ["a", "b"]) == "a" else 0.0)

    tuner = kt.tune(fn, oracle="optuna:gp", n_startup_trials=4, max_trials=12, seed=0, verbose=0)
    assert tuner.oracle.get_best_trials(1)[0].score < 0.1


def test_discovering_the_plugin_does_not_import_optuna():
    code = (
        "import sys, tunecore, tunecore_optuna; "
        "assert 'optuna:tpe' in tunecore.oracles.available(); "
        "assert 'optuna' not in sys.modules, 'Optuna was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
