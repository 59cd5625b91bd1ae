"""Keras Tuner behaviours that code written for it relies on (framework-agnostic ones)."""

import os
import threading
import time

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


def test_hyperparameter_objects_list_their_values_and_spaces_serialize_whole():
    from tunecore.hyperparameters import Boolean, Fixed, Float, Int, deserialize, serialize

    assert list(Float("f", 2, 8, 2).values) == [2.0, 4.0, 6.0, 8.0]
    assert len(list(Float("f", 2, 4).values)) == 10
    assert list(Int("i", 1, 4).values) == [1, 2, 3, 4]
    assert set(Boolean("b").values) == {True, False} and Fixed("x", 3).values == [3]
    hp = kt.HyperParameters()
    hp.Int("a", 1, 3)
    hp.Choice("b", ["x", "y"])
    again = deserialize(serialize(hp))
    assert again.get_config() == hp.get_config()


def test_constructor_mistakes_are_value_errors_and_logger_is_deprecated(tmp_path):
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=1)
    with pytest.raises(ValueError, match=r"Unrecognized arguments \['unrecognized'\]"):
        kt.BaseTuner(oracle, directory=tmp_path, unrecognized=1)
    with pytest.raises(ValueError, match="Expected `oracle` argument to be an instance of `Oracle`"):
        kt.BaseTuner("invalid", directory=tmp_path)
    with pytest.warns(DeprecationWarning, match="logger"):
        kt.BaseTuner(oracle, directory=tmp_path, project_name="logged", logger=object())


def test_without_an_objective_a_dict_result_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="If the objective is not specified"):
        kt.tune(lambda hp: {"loss": hp.Float("x", 0, 1)}, max_trials=2, verbose=0)


def test_keras_tuners_message_phrases_are_kept():
    from tunecore.hyperparameters import Boolean, Choice, Int

    with pytest.raises(ValueError, match="must be a Python boolean"):
        Boolean("b", default=None)
    with pytest.raises(ValueError, match="default value should be"):
        Choice("c", [1, 2, 3], default=4)
    with pytest.raises(TypeError, match="can contain only one type"):
        Choice("c", ["a", 0])
    with pytest.raises(ValueError, match="`values` must be provided"):
        Choice("c", [])
    with pytest.raises(ValueError, match="sampling must be one of"):
        Int("i", 1, 10, sampling="invalid")
    hp = kt.HyperParameters()
    with pytest.raises(KeyError, match="does not exist"):
        hp.get("wrong")


def test_the_space_is_known_as_soon_as_the_tuner_is_built(tmp_path):
    def build(hp):
        return sum(hp.Int(f"units_{i}", 2, 4, 2) for i in range(hp.Int("layers", 0, 2)))

    class Tuner(kt.BaseTuner):
        def run_trial(self, trial):
            return float(self.hypermodel.build(trial.hyperparameters))

    tuner = Tuner(kt.oracles.RandomSearch(objective="loss", max_trials=1), hypermodel=build, directory=tmp_path)
    assert {hp.name for hp in tuner.oracle.get_space().space} >= {"layers"}


def test_a_space_declared_inside_trials_is_exhausted_after_its_combinations(tmp_path):
    class Declares(kt.BaseTuner):
        def run_trial(self, trial):
            hp = trial.hyperparameters
            return float(hp.Boolean("a")) + float(hp.Boolean("b"))

    tuner = Declares(kt.oracles.RandomSearch(objective="loss", max_trials=15, seed=0), directory=tmp_path)
    tuner.search(verbose=0)
    assert len(tuner.oracle.trials) == 4


def test_more_of_keras_tuners_spelling(tmp_path):
    from tunecore.hyperparameters import Boolean

    assert Boolean("b").values == [True, False]
    assert repr(kt.Objective("loss", "min")) == 'Objective(name="loss", direction="min")'

    def mean_absolute_error(y_true, y_pred):
        return 0.0

    assert kt.objective.infer_metric_direction(mean_absolute_error) == "min"
    with pytest.raises(ValueError, match="`hypermodel` argument should be either"):
        kt.BaseTuner(kt.oracles.RandomSearch(objective="loss"), hypermodel="build_model", directory=tmp_path)


def _tailored_build(hp):
    return hp.Int("units", 32, 512, step=32) * (hp.Choice("activation", ["relu", "tanh"]) == "relu")


class _Returns(kt.BaseTuner):
    def run_trial(self, trial):
        return float(self.hypermodel.build(trial.hyperparameters)) + trial.hyperparameters["lr"]


def test_untuned_entries_stay_out_of_the_space_and_take_their_defaults(tmp_path, capsys):
    hp = kt.HyperParameters()
    hp.Float("lr", 1e-3, 0.1, sampling="log")

    def tuner(max_trials):
        oracle = kt.oracles.RandomSearch(
            objective="loss", max_trials=max_trials, hyperparameters=hp, tune_new_entries=False, seed=0
        )
        return _Returns(oracle, hypermodel=_tailored_build, directory=tmp_path, project_name="few")

    first = tuner(2)
    first.search(verbose=0)
    first.search_space_summary()
    assert "Default search space size: 1" in capsys.readouterr().out
    assert [h.name for h in first.oracle.get_space().space] == ["lr"]
    for trial in first.oracle.trials.values():
        assert (trial.hyperparameters["units"], trial.hyperparameters["activation"]) == (32, "relu")

    resumed = tuner(3)
    resumed.search(verbose=0)
    assert len(resumed.oracle.trials) == 3 and len(resumed.oracle.hyperparameters.space) == 1
    assert {t.hyperparameters["units"] for t in resumed.oracle.trials.values()} == {32}


@pytest.mark.parametrize("flag", ["tune_new_entries", "allow_new_entries"])
def test_an_oracle_that_takes_no_new_entries_needs_a_space(flag):
    with pytest.raises(ValueError, match=f"If you set `{flag}=False`, you must specify the search space"):
        kt.Oracle(objective="loss", **{flag: False})
    hp = kt.HyperParameters()
    hp.Int("units", 1, 4)
    assert kt.Oracle(objective="loss", hyperparameters=hp, **{flag: False}).get_space().values == {"units": 1}


def test_too_many_failures_use_keras_tuners_sentence_then_the_detail(tmp_path):
    class Fails(kt.BaseTuner):
        def run_trial(self, trial):
            trial.hyperparameters.Float("x", 0.0, 1.0)
            raise ValueError("kaboom")

    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=5, max_consecutive_failed_trials=2)
    with pytest.raises(RuntimeError, match=r"^Number of consecutive failures exceeded the limit of 2\.") as info:
        Fails(oracle, directory=tmp_path).search(verbose=0)
    assert "kaboom" in str(info.value)


def test_a_list_objective_prints_as_in_keras_tuner(tmp_path, capsys):
    objective = kt.objective.create_objective(["loss", kt.Objective("acc", "max")])
    expected = (
        'MultiObjective(name="multi_objective", direction="min"): '
        '[Objective(name="loss", direction="min"), Objective(name="acc", direction="max")]'
    )
    assert str(objective) == expected
    tuner = Saving(kt.oracles.RandomSearch(objective=["loss", kt.Objective("acc", "max")], max_trials=1),
                   directory=tmp_path)
    tuner.results_summary()
    assert expected in capsys.readouterr().out


@pytest.mark.parametrize("objective", [[3], 3, ["loss", 3]])
def test_an_objective_of_the_wrong_type_is_a_type_error(tmp_path, objective):
    with pytest.raises(TypeError, match="`objective` not understood, expected str or `Objective` object"):
        kt.BaseTuner(kt.oracles.RandomSearch(objective=objective), directory=tmp_path)


def test_a_custom_oracle_keeps_values_of_names_not_declared_yet():
    class Suggests(kt.Oracle):
        def populate_space(self, trial_id):
            return {"status": TrialStatus.RUNNING, "values": {"hp1": 1}}

    trial = Suggests(objective="loss", max_trials=2).create_trial("tuner0")
    assert trial.status == TrialStatus.RUNNING and trial.hyperparameters.values == {"hp1": 1}
    assert trial.hyperparameters.Int("hp1", 0, 5) == 1


def test_synchronized_serialises_an_oracles_methods_and_lets_them_nest():
    class Logs(kt.Oracle):
        def __init__(self):
            super().__init__(objective="loss")
            self.log = []

        @kt.synchronized
        def step(self, i):
            self.log.append(i)
            time.sleep(0.05)
            self.log.append(i)

        @kt.synchronized
        def nested(self, i):
            self.step(i)

        @kt.synchronized
        def fails(self):
            raise ValueError("inside")

    oracle = Logs()
    threads = [threading.Thread(target=oracle.nested, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert oracle.log in ([0, 0, 1, 1], [1, 1, 0, 0])
    with pytest.raises(ValueError, match="inside"):
        oracle.fails()
    oracle.step(2)  # the failed call released the lock
    assert oracle.log[-2:] == [2, 2]


def test_hyperparameter_type_mistakes_are_value_errors_too_with_keras_tuners_sentences():
    from tunecore.hyperparameters import Boolean, Choice, Fixed, Int

    with pytest.raises(ValueError, match=r"^`Fixed` value must be an `int`, `float`, `str`, or `bool`, found \[1, 2\]"):
        Fixed("x", [1, 2])
    with pytest.raises(ValueError, match="min_value must be a number, got '1'"):
        Int("i", "1", 10)
    with pytest.raises(TypeError, match="can contain only one type"):
        Choice("c", [1, "a"])
    with pytest.raises(ValueError, match=r"^The default value should be one of the choices\. Choice 'c'"):
        Choice("c", [1, 2], default=5)
    with pytest.raises(ValueError, match=r"^`default` must be a Python boolean\. Boolean 'b'"):
        Boolean("b", default="x")
    with pytest.raises(ValueError, match=r"^Int 'i': invalid default 9; expected an int in \[1, 5\]\.$"):
        Int("i", 1, 5, default=9)


def test_the_space_summary_prints_each_config_as_keras_tuner_does(tmp_path, capsys):
    tuner = _Returns(kt.oracles.RandomSearch(objective="loss", max_trials=1), hypermodel=_tailored_build,
                     directory=tmp_path)
    tuner.search_space_summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "Search space summary", "Default search space size: 2", "units (Int)",
        "{'default': 32, 'conditions': [], 'min_value': 32, 'max_value': 512, 'step': 32, 'sampling': 'linear'}",
    ]


def test_an_oracle_counts_remaining_trials_with_a_method():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=3, hyperparameters=hp, seed=0)
    first, second = oracle.create_trial("a"), oracle.create_trial("b")
    for trial in (second, first):
        oracle.update_trial(trial.trial_id, {"loss": 1.0})
        trial.status = TrialStatus.COMPLETED
        oracle.end_trial(trial)
    assert oracle.remaining_trials() == 1
    assert oracle.start_order == [first.trial_id, second.trial_id]
    assert kt.oracles.RandomSearch(objective="loss").remaining_trials() is None


def test_update_trial_returns_the_trial_and_an_override_may_still_stop_it(tmp_path):
    class StopsAtTwo(kt.oracles.RandomSearch):
        def update_trial(self, trial_id, metrics, step=0):
            trial = super().update_trial(trial_id, metrics, step)
            return TrialStatus.STOPPED if step >= 2 else trial

    oracle = StopsAtTwo(objective="loss", max_trials=1)
    trial = oracle.ask()
    updated = kt.oracles.RandomSearch.update_trial(oracle, trial.trial_id, {"loss": 3.0})
    assert updated is trial and updated.metrics.get_last_value("loss") == 3.0
    assert [oracle.report(trial.trial_id, step, loss=1.0) for step in range(1, 4)] == ["RUNNING", "STOPPED", "STOPPED"]


def test_an_oracle_overriding_score_trial_is_warned_that_it_is_not_called():
    with pytest.warns(UserWarning, match="LastValue overrides Keras Tuner's score_trial, which tunecore never calls"):
        class LastValue(kt.oracles.RandomSearch):
            def score_trial(self, trial):
                trial.score = trial.metrics.get_last_value("loss")


def test_a_trial_without_values_shows_the_default_configuration(capsys):
    trial = Trial(kt.HyperParameters(), trial_id="7")
    trial.summary()
    assert capsys.readouterr().out.splitlines() == ["Trial 7 summary", "Hyperparameters:", "default configuration"]
    hp = kt.HyperParameters()
    hp.Int("units", 1, 4)
    Trial(hp).display_hyperparameters()
    assert capsys.readouterr().out == "units: 1\n"
