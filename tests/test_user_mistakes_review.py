"""Review of issue 23 as landed: user mistakes found with fresh scenarios.

A call that cannot bind to the tuned function or to ``run_trial`` is the
user's mistake, raised at once; and a search resumed after any mistake that
struck before a hyperparameter was declared runs the fixed function rather
than taking its empty space for exhausted.
"""

import warnings

import pytest

import tunecore as kt
from tunecore.errors import (
    FatalError,
    FatalTypeError,
    FatalValueError,
    InvalidArgumentError,
    TooManyFailedTrialsError,
)


def test_a_function_called_without_an_argument_it_needs_stops_the_search(tmp_path):
    def objective(hp, data):
        return hp.Float("x", 0, 1) + data

    with pytest.raises(FatalTypeError, match=r"missing a required argument: 'data'.*tune\(fn, \*args"):
        kt.tune(objective, max_trials=3, directory=tmp_path, verbose=0)
    (trial,) = kt.load(tmp_path / "untitled_project").trials.values()
    assert trial.status == kt.TrialStatus.FAILED

    tuner = kt.tune(objective, 1.0, max_trials=3, directory=tmp_path, verbose=0)  # fixed: the search goes on
    assert [t.status for t in tuner.oracle.trials.values()][1:] == [kt.TrialStatus.COMPLETED] * 2


def test_an_unexpected_keyword_for_a_function_with_trial_is_named():
    def objective(hp, trial):
        return hp.Float("x", 0, 1)

    with pytest.raises(FatalTypeError, match="too many positional arguments"):
        kt.tune(objective, 3, max_trials=3, verbose=0)


def test_a_run_trial_override_missing_a_search_argument_stops_the_search(tmp_path):
    class Tuner(kt.BaseTuner):
        def run_trial(self, trial, x, y):
            return trial.hyperparameters.Float("a", 0, 1) + x + y

    tuner = Tuner(oracle=kt.oracles.create("random", max_trials=3), directory=tmp_path)
    with pytest.raises(FatalTypeError, match=r"run_trial.*missing a required argument: 'y'"):
        tuner.search(1, verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [kt.TrialStatus.FAILED]


def test_a_type_error_inside_the_function_is_still_an_ordinary_failed_trial():
    def objective(hp):
        hp.Float("x", 0, 1)
        return len(None)  # the user's bug in the body, not in the call: Keras Tuner fails the trial

    tuner = kt.FunctionTuner(objective, max_trials=2, max_consecutive_failed_trials=5)
    tuner.search(verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [kt.TrialStatus.FAILED] * 2


ORACLES = [
    ("random", {"max_trials": 4}),
    ("grid", {"max_trials": 4}),
    ("bayesian", {"max_trials": 4}),
    ("hyperband", {"max_epochs": 3}),
]


@pytest.mark.parametrize("oracle, options", ORACLES)
def test_a_search_resumed_after_a_mistake_before_any_definition_runs_the_fixed_function(tmp_path, oracle, options):
    with pytest.raises(FatalValueError):
        kt.tune(lambda hp: hp.Int("x", 3, 1), oracle=oracle, directory=tmp_path, verbose=0, **options)

    tuner = kt.tune(lambda hp: hp.Int("x", 1, 3), oracle=oracle, directory=tmp_path, verbose=0, **options)
    first, *_ = trials = list(tuner.oracle.trials.values())
    assert first.status == kt.TrialStatus.COMPLETED and first.attempts == 2  # the stopped trial ran again
    assert [t.status for t in trials].count(kt.TrialStatus.COMPLETED) >= 2
    assert tuner.get_best_hyperparameters()[0]["x"] in (1, 2, 3)


@pytest.mark.parametrize("oracle, options", ORACLES)
def test_a_first_trial_that_fails_before_declaring_does_not_end_the_search(oracle, options):
    calls = []

    def objective(hp):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the data share was not mounted yet")
        return hp.Int("x", 1, 3)

    tuner = kt.tune(objective, oracle=oracle, verbose=0, **options)
    statuses = [t.status for t in tuner.oracle.trials.values()]
    assert statuses[0] == kt.TrialStatus.FAILED and statuses.count(kt.TrialStatus.COMPLETED) >= 2


def test_a_function_that_always_fails_before_declaring_still_stops_after_consecutive_failures():
    def objective(hp):
        raise OSError("no data")

    with pytest.raises(TooManyFailedTrialsError):
        kt.tune(objective, max_trials=10, verbose=0)


def test_a_function_that_declares_nothing_runs_once():
    tuner = kt.tune(lambda hp: 1.0, max_trials=5, verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [kt.TrialStatus.COMPLETED]


# A pruner on a function that cannot report ---------------------------------------


def test_a_pruner_on_a_function_without_a_trial_parameter_warns_once_at_the_users_line():
    with pytest.warns(UserWarning, match=r"no `trial` parameter.*trial\.report\(step, loss=\.\.\.\).*objective='loss'") as caught:
        kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=4, pruner="median", verbose=0)
    pruner_warnings = [w for w in caught if "pruner" in str(w.message)]
    assert len(pruner_warnings) == 1 and pruner_warnings[0].filename == __file__


def test_a_pruner_on_a_named_objective_says_which_metric_to_report():
    with pytest.warns(UserWarning, match=r"trial\.report\(step, acc=\.\.\.\)"):
        kt.FunctionTuner(lambda hp: {"acc": hp.Float("x", 0, 1)}, objective=kt.Objective("acc", "max"),
                         max_trials=2, pruner="median")


def test_no_pruner_warning_for_a_function_that_reports_or_a_search_without_a_pruner():
    def reports(hp, trial):
        x = hp.Float("x", 0, 1)
        trial.report(0, loss=x)
        return {"loss": x}

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kt.tune(reports, objective="loss", max_trials=2, pruner="median", verbose=0)
        kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, verbose=0)


# A result is a number however it is held -----------------------------------------


def test_a_numpy_or_tensor_scalar_returned_is_the_objective_as_it_is_in_a_dict():
    np = pytest.importorskip("numpy")

    tuner = kt.tune(lambda hp: np.array(hp.Float("x", 0, 1)), max_trials=2, verbose=0, seed=0)
    assert all(t.status == kt.TrialStatus.COMPLETED and t.score == t.hyperparameters["x"]
               for t in tuner.oracle.trials.values())


def test_a_tensor_scalar_returned_is_the_objective():
    torch = pytest.importorskip("torch")

    tuner = kt.tune(lambda hp: torch.tensor(hp.Float("x", 0, 1), dtype=torch.float64), max_trials=2, verbose=0)
    assert all(t.status == kt.TrialStatus.COMPLETED for t in tuner.oracle.trials.values())


def test_an_array_of_several_values_is_still_refused_naming_it():
    np = pytest.importorskip("numpy")

    with pytest.raises(FatalTypeError, match=r"array\(\[0\.5, 1\. *\]\) of type ndarray"):
        kt.tune(lambda hp: np.array([hp.Fixed("x", 0.5), 1.0]), max_trials=2, verbose=0)


# The user's own FatalError from a worker process ---------------------------------


def test_a_users_own_fatal_error_from_a_worker_stops_the_search(parallel):
    class DataIsGone(FatalError):
        """Defined where no worker can import it: a worker gets it by value."""

    def objective(hp):
        hp.Float("x", 0, 1)
        raise DataIsGone("the dataset was deleted")

    with pytest.raises(FatalError, match="DataIsGone: the dataset was deleted"):
        kt.tune(objective, max_trials=6, verbose=0, max_consecutive_failed_trials=None, **parallel())



# Arguments refused before any trial, naming themselves ----------------------------


@pytest.mark.parametrize("value", [0, -2, 1.5, "2", True])
def test_max_parallel_trials_that_is_not_a_count_is_refused(value):
    with pytest.raises(InvalidArgumentError, match=rf"max_parallel_trials must be an integer >= 1 or None.*got {value!r}"):
        kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, max_parallel_trials=value, verbose=0)


@pytest.mark.parametrize("seed", ["a", -1, 0.5])
def test_a_seed_that_is_not_a_count_is_refused_by_name(seed):
    with pytest.raises(ValueError, match=rf"seed must be an integer >= 0 or None; got {seed!r}"):
        kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, seed=seed, verbose=0)


def test_a_misspelt_pruner_says_which_was_meant():
    with pytest.raises(ValueError, match="Did you mean 'median'"):
        kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, pruner="medain", verbose=0)


# A hypermodel that cannot be called as build(hp) -----------------------------------


@pytest.mark.parametrize("build, words", [
    (lambda: None, "too many positional arguments"),
    (lambda hp, data: None, "missing a required argument: 'data'"),
])
def test_a_build_function_with_the_wrong_signature_is_refused_at_construction(build, words):
    with pytest.raises(InvalidArgumentError, match=f"callable build\\(hp\\).*{words}"):
        kt.Tuner(oracle=kt.oracles.create("random", max_trials=2), hypermodel=build)


def test_a_hypermodel_class_instead_of_an_instance_says_to_instantiate_it():
    class MyHyperModel(kt.HyperModel):
        def build(self, hp):
            return hp.Float("x", 0, 1)

    with pytest.raises(InvalidArgumentError, match=r"pass an instance of it: hypermodel=MyHyperModel\(\)"):
        kt.Tuner(oracle=kt.oracles.create("random", max_trials=2), hypermodel=MyHyperModel)
    with pytest.raises(InvalidArgumentError, match=r"Bad\.build\(\)"):
        class Bad(kt.HyperModel):
            def build(self):
                return None
        kt.Tuner(oracle=kt.oracles.create("random", max_trials=2), hypermodel=Bad())


def test_a_number_returned_for_several_objectives_is_named_as_what_it_is():
    with pytest.raises(FatalTypeError, match=r"objective's metrics \['loss', 'acc'\]; received the single number"):
        kt.tune(lambda hp: hp.Float("x", 0, 1), objective=["loss", kt.Objective("acc", "max")], max_trials=2, verbose=0)


def test_an_async_function_is_named_as_one_without_a_never_awaited_warning():
    async def objective(hp):
        return hp.Float("x", 0, 1)

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(FatalTypeError, match=r"is an async function.*asyncio\.run"):
            kt.tune(objective, max_trials=2, verbose=0)


# A value given for a name nothing defines ------------------------------------------


def test_a_misspelt_initial_point_warns_once_naming_it_and_the_defined_names():
    def objective(hp):
        return hp.Float("learning_rate", 0, 1)

    with pytest.warns(UserWarning, match=r"given \{'learnig_rate': 0\.5\}.*defines \['learning_rate'\]") as caught:
        kt.tune(objective, max_trials=3, initial_points=[{"learnig_rate": 0.5}], verbose=0)
    assert len([w for w in caught if "was given" in str(w.message)]) == 1


def test_an_initial_point_for_an_inactive_branch_or_an_untuned_entry_says_nothing():
    def objective(hp):
        layers = hp.Int("layers", 1, 2)
        if layers == 2:
            hp.Int("units_2", 8, 16)
        return float(layers)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kt.tune(objective, max_trials=4, seed=0, initial_points=[{"layers": 2, "units_2": 8}, {"layers": 1}],
                verbose=0)


# A report that is not numbers --------------------------------------------------------


@pytest.mark.parametrize("step, metrics, words", [
    (0, {"loss": "0.3"}, r"metric 'loss' has the value '0\.3' of type str"),
    (0, {"loss": None}, "metric 'loss' has the value None"),
    ("epoch 1", {"loss": 0.3}, r"step as an integer.*got step='epoch 1' of type str"),
    (0.5, {"loss": 0.3}, r"got step=0\.5 of type float"),
])
def test_a_report_that_is_not_numbers_stops_the_search_with_the_users_line(step, metrics, words):
    def objective(hp, trial):
        x = hp.Float("x", 0, 1)
        trial.report(step, **metrics)  # the user's line
        return {"loss": x}

    with pytest.raises(FatalTypeError, match=words) as caught:
        kt.tune(objective, objective="loss", max_trials=3, verbose=0)
    assert "trial.report(step, **metrics)  # the user's line" in "".join(
        __import__("traceback").format_exception(caught.value))


def test_numpy_steps_and_values_are_reports_like_any_other():
    np = pytest.importorskip("numpy")

    def objective(hp, trial):
        x = hp.Float("x", 0, 1)
        for step in np.arange(2):
            trial.report(step, loss=np.float32(x))
        trial.report(2.0, loss=x)
        return {"loss": x}

    tuner = kt.tune(objective, objective="loss", max_trials=2, verbose=0)
    assert all(t.status == kt.TrialStatus.COMPLETED for t in tuner.oracle.trials.values())


# Ctrl-C in tune() without a directory ----------------------------------------------


def test_ctrl_c_in_tune_in_memory_does_not_say_to_call_search_on_a_tuner_it_never_returned(capsys):
    calls = []

    def objective(hp):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return hp.Float("x", 0, 1)

    with pytest.raises(KeyboardInterrupt):
        kt.tune(objective, max_trials=5, verbose=0)
    lines = [line for line in capsys.readouterr().err.splitlines() if "interrupted" in line]
    assert lines == ["Search interrupted: its 2 ended trials were kept in memory only, and tune() returns no "
                     "tuner after Ctrl-C; pass directory= to keep a project you can resume."]


def test_ctrl_c_in_a_function_tuners_search_in_memory_still_says_to_call_search_again(capsys):
    calls = []

    def objective(hp):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return hp.Float("x", 0, 1)

    tuner = kt.FunctionTuner(objective, max_trials=4)
    with pytest.raises(KeyboardInterrupt):
        tuner.search(verbose=0)
    assert "call search() on this tuner again" in capsys.readouterr().err
    tuner.search(verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [kt.TrialStatus.COMPLETED] * 4
