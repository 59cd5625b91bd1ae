"""Keras Tuner behaviours that code written for it relies on (framework-agnostic ones)."""

import os

import pytest

import tunecore as kt
from tunecore.trial import Trial, TrialStatus


class Saving(kt.BaseTuner):
    """Saves a file per trial in its folder, as custom Keras Tuner tuners do."""

    def run_trial(self, trial):
        x = trial.hyperparameters.Float("x", 0.0, 1.0)
        with open(os.path.join(self.get_trial_dir(trial.trial_id), "model.txt"), "w") as f:
            f.write(repr(x))
        return x

    def load_model(self, trial):
        with open(os.path.join(self.get_trial_dir(trial.trial_id), "model.txt")) as f:
            return float(f.read())


def test_get_trial_dir_creates_the_folder_so_custom_tuners_can_save(tmp_path):
    tuner = Saving(kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0), directory=tmp_path)
    tuner.search(verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.COMPLETED] * 3
    assert tuner.get_best_models(1)[0] == tuner.oracle.get_best_trials(1)[0].score


def test_the_search_space_is_shown_before_the_search(tmp_path, capsys):
    def build(hp):
        return hp.Int("units", 8, 64, step=8) + hp.Float("lr", 1e-4, 1e-2, sampling="log")

    class Tuner(kt.BaseTuner):
        def run_trial(self, trial):
            return float(self.hypermodel.build(trial.hyperparameters))

    tuner = Tuner(kt.oracles.RandomSearch(objective="loss", max_trials=2), hypermodel=build, directory=tmp_path)
    tuner.search_space_summary()
    out = capsys.readouterr().out
    assert "Default search space size: 2" in out and "units (Int)" in out and "lr (Float)" in out
    tuner.search(verbose=0)
    assert len(tuner.oracle.trials) == 2


def test_a_result_of_an_unsupported_type_stops_the_search_with_a_type_error(tmp_path):
    class Bad(kt.BaseTuner):
        def run_trial(self, trial):
            trial.hyperparameters.Float("x", 0.0, 1.0)
            return "not a metric"

    tuner = Bad(kt.oracles.RandomSearch(objective="loss", max_trials=5), directory=tmp_path)
    with pytest.raises(TypeError, match="must return a number, a dict of metrics"):
        tuner.search(verbose=0)
    assert len(tuner.oracle.trials) == 1


def test_keras_tuners_extra_names_exist():
    assert issubclass(kt.errors.FatalTypeError, (kt.errors.FatalError, TypeError))
    assert issubclass(kt.errors.FatalValueError, ValueError)
    assert issubclass(kt.errors.FatalRuntimeError, RuntimeError)

    def method(self):
        return 3

    assert kt.synchronized(method) is method
    assert kt.objective.infer_metric_direction("val_accuracy") == "max"


def test_an_unknown_attribute_names_the_module_and_hints_only_at_tuner_names():
    with pytest.raises(AttributeError, match="module 'tunecore' has no attribute 'nothing_here'"):
        kt.nothing_here  # noqa: B018
    with pytest.raises(AttributeError, match="Unknown tuner 'RandomSerch'"):
        kt.RandomSerch  # noqa: B018


def test_a_trial_made_by_hand_has_an_id_and_a_message():
    trial = Trial(kt.HyperParameters(), message="why")
    assert isinstance(trial.trial_id, str) and len(trial.trial_id) == 32 and trial.message == "why"
    assert Trial(kt.HyperParameters()).trial_id != trial.trial_id


def test_multi_objectives_are_equal_in_any_order():
    first = kt.objective.create_objective(["loss", kt.Objective("acc", "max")])
    second = kt.objective.create_objective([kt.Objective("acc", "max"), "loss"])
    assert first == second and hash(first) == hash(second)


def test_reload_reads_the_project_again_and_save_is_harmless(tmp_path):
    tuner = Saving(kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0), directory=tmp_path)
    tuner.search(verbose=0)
    best = tuner.oracle.get_best_trials(1)[0].trial_id
    tuner.save()
    tuner.reload()
    assert len(tuner.oracle.trials) == 3 and tuner.oracle.get_best_trials(1)[0].trial_id == best


def test_a_custom_oracle_may_suggest_values_the_model_declares_later(tmp_path):
    class Suggests(kt.Oracle):
        def populate_space(self, trial_id):
            return {"status": TrialStatus.RUNNING, "values": {"units": 48 + len(self.trials)}}

    class Tuner(kt.BaseTuner):
        def run_trial(self, trial):
            return float(trial.hyperparameters.Int("units", 16, 64))

    oracle = Suggests(objective="loss", max_trials=3)
    Tuner(oracle, directory=tmp_path).search(verbose=0)
    assert [t.hyperparameters["units"] for t in oracle.trials.values()] == [48, 49, 50]
