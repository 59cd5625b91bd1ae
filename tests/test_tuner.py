"""Keras Tuner's BaseTuner scenarios, through the public API."""

import pytest

import tunecore as kt
from tunecore.errors import FailedTrialError, FatalError
from tunecore.hypermodel import DefaultHyperModel
from tunecore.trial import TrialStatus


def _oracle(**kwargs):
    kwargs.setdefault("objective", kt.Objective("score", "max"))
    kwargs.setdefault("max_trials", 5)
    kwargs.setdefault("seed", 0)
    return kt.oracles.RandomSearch(**kwargs)


class DictTuner(kt.BaseTuner):
    def run_trial(self, trial, data, scale=1.0):
        hp = trial.hyperparameters
        x = hp.Float("x", 0.0, 1.0)
        return {"score": scale * (data - (x - 0.3) ** 2), "other": x}


def test_custom_run_trial_returning_a_dict(tmp_path):
    tuner = DictTuner(_oracle(), directory=tmp_path, project_name="p")
    tuner.search(1.0, scale=2.0, verbose=0)
    trials = tuner.oracle.trials.values()
    assert len(trials) == 5
    assert all(t.status == TrialStatus.COMPLETED for t in trials)
    best = tuner.get_best_hyperparameters(5)
    scores = [t.score for t in tuner.oracle.get_best_trials(5)]
    assert scores == sorted(scores, reverse=True)
    assert abs(best[0]["x"] - 0.3) == min(abs(t.hyperparameters["x"] - 0.3) for t in trials)


def test_run_trial_may_return_a_float_or_a_list_to_average(tmp_path):
    class FloatTuner(kt.BaseTuner):
        def run_trial(self, trial):
            return trial.hyperparameters.Float("x", 0, 1)

    class ListTuner(kt.BaseTuner):
        def run_trial(self, trial):
            x = trial.hyperparameters.Float("x", 0, 1)
            return [{"score": x}, {"score": x + 1.0}]

    float_tuner = FloatTuner(_oracle(), directory=tmp_path, project_name="f")
    float_tuner.search(verbose=0)
    assert all(t.score == t.hyperparameters["x"] for t in float_tuner.oracle.trials.values())

    list_tuner = ListTuner(_oracle(), directory=tmp_path, project_name="l")
    list_tuner.search(verbose=0)
    assert all(t.score == pytest.approx(t.hyperparameters["x"] + 0.5) for t in list_tuner.oracle.trials.values())


def test_seeds_older_style_reporting_through_the_oracle(tmp_path):
    class OldStyleTuner(kt.BaseTuner):
        def run_trial(self, trial):
            x = trial.hyperparameters.Float("x", 0, 1)
            for step in range(3):
                self.oracle.update_trial(trial.trial_id, {"score": x + step}, step=step)

    tuner = OldStyleTuner(_oracle(max_trials=3), directory=tmp_path)
    with pytest.deprecated_call(match=r"Please remove the call.*self\.oracle\.report"):
        tuner.search(verbose=0)
    for trial in tuner.oracle.trials.values():
        assert trial.best_step == 2
        assert len(trial.metrics.get_history("score")) == 3


def test_reporting_with_report_or_driving_an_oracle_by_hand_is_not_deprecated(tmp_path, recwarn):
    class Reporting(kt.BaseTuner):
        def run_trial(self, trial):
            x = trial.hyperparameters.Float("x", 0, 1)
            for step in range(2):
                self.oracle.report(trial.trial_id, step, score=x + step)

    Reporting(_oracle(max_trials=2), directory=tmp_path, project_name="r").search(verbose=0)
    oracle = _oracle(max_trials=1)
    oracle.update_space(kt.HyperParameters())
    trial = oracle.create_trial("tuner0")
    oracle.update_trial(trial.trial_id, {"score": 1.0})  # Keras Tuner's oracle API, outside run_trial
    trial.status = "COMPLETED"
    oracle.end_trial(trial)
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning) and "update_trial" in str(w.message)]


def test_a_trial_that_raises_is_retried_then_failed_with_its_traceback(tmp_path):
    calls = []

    class Flaky(kt.BaseTuner):
        def run_trial(self, trial):
            calls.append(trial.trial_id)
            x = trial.hyperparameters.Float("x", 0, 1)
            if len(calls) <= 3:
                raise RuntimeError(f"flaky {len(calls)}")
            return {"score": x}

    tuner = Flaky(_oracle(max_trials=3), directory=tmp_path, max_retries_per_trial=1)
    tuner.search(verbose=0)
    assert calls[:2] == [calls[0], calls[0]]  # the first trial ran twice
    first = tuner.oracle.trials[calls[0]]
    assert first.status == TrialStatus.FAILED
    assert "RuntimeError: flaky 2" in first.message
    assert sum(t.status == TrialStatus.COMPLETED for t in tuner.oracle.trials.values()) == 2


def test_failed_trial_error_skips_retries_and_fatal_error_stops(tmp_path):
    class Picky(kt.BaseTuner):
        def run_trial(self, trial):
            x = trial.hyperparameters.Float("x", 0, 1)
            if trial.trial_id == "00":
                raise FailedTrialError("bad config")
            if trial.trial_id == "02":
                raise FatalError("out of budget")
            return x

    tuner = Picky(_oracle(objective="loss", max_trials=5), directory=tmp_path, max_retries_per_trial=3)
    with pytest.raises(FatalError, match="out of budget"):
        tuner.search(verbose=0)
    trials = tuner.oracle.trials
    assert trials["00"].status == TrialStatus.FAILED and trials["00"].attempts == 1
    assert trials["01"].status == TrialStatus.COMPLETED
    assert trials["02"].status == TrialStatus.FAILED
    assert "03" not in trials


def test_function_tuner_needs_no_subclass():
    def loss(hp):
        x = hp.Float("x", -2.0, 2.0)
        kind = hp.Choice("kind", ["a", "b"])
        return (x - 0.5) ** 2 + (0.0 if kind == "b" else 1.0)

    tuner = kt.tune(loss, max_trials=25, seed=2, verbose=0)
    best = tuner.get_best_hyperparameters()[0]
    assert best["kind"] == "b"
    assert tuner.oracle.get_best_trials()[0].score < 0.5
    with pytest.raises(NotImplementedError, match="get_best_hyperparameters"):
        tuner.get_best_models()


def test_function_tuner_keeps_nothing_on_disk_unless_given_a_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    tuner = kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=3, verbose=0)
    tuner.results_summary()
    assert "Results in" not in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []

    kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=3, verbose=0, directory=tmp_path / "runs")
    assert (tmp_path / "runs" / "untitled_project" / "journal.jsonl").exists()


def test_hypermodel_build_is_used_to_discover_conditional_branches(tmp_path):
    class Model(kt.HyperModel):
        def build(self, hp):
            kind = hp.Choice("kind", ["linear", "tree"])
            if kind == "linear":
                with hp.conditional_scope("kind", "linear"):
                    return ("linear", hp.Float("alpha", 0.01, 1.0, sampling="log"))
            with hp.conditional_scope("kind", "tree"):
                return ("tree", hp.Int("depth", 1, 5))

        def fit(self, hp, model, target):
            kind, value = model
            return {"loss": abs(value - target)}

    tuner = kt.BaseTuner(kt.oracles.RandomSearch(objective="loss", max_trials=6, seed=1),
                         hypermodel=Model(), directory=tmp_path)
    tuner.search(3, verbose=0)
    assert {hp.name for hp in tuner.oracle.hyperparameters.space} == {"kind", "alpha", "depth"}
    for trial in tuner.oracle.trials.values():
        assert ("alpha" in trial.hyperparameters.values) == (trial.hyperparameters["kind"] == "linear")


def test_a_build_function_is_wrapped_in_a_default_hypermodel_as_in_keras_tuner(tmp_path):
    def build(hp):
        return hp.Float("x", 0.0, 1.0)

    tuner = kt.BaseTuner(_oracle(), hypermodel=build, directory=tmp_path)
    assert isinstance(tuner.hypermodel, DefaultHyperModel) and isinstance(tuner.hypermodel, kt.HyperModel)
    assert type(tuner.hypermodel).__name__ == "DefaultHyperModel"  # Keras Tuner's tests check the name
    assert tuner.hypermodel.name == "build" and tuner.hypermodel.build(kt.HyperParameters()) == 0.0

def test_summaries_print_keras_tuners_layout(tmp_path, capsys):
    tuner = DictTuner(_oracle(max_trials=3), directory=tmp_path, project_name="p")
    tuner.search(1.0, verbose=0)
    capsys.readouterr()
    tuner.results_summary(num_trials=2)
    out = capsys.readouterr().out
    assert "Results summary" in out and "Showing 2 best trials" in out
    best = tuner.oracle.get_best_trials(1)[0]
    assert f"Trial {best.trial_id} summary" in out and f"Score: {best.score}" in out
    tuner.search_space_summary()
    assert "Search space summary\nDefault search space size: 1\nx (Float)" in capsys.readouterr().out


def test_verbose_zero_is_silent_and_verbose_reports_failures(tmp_path, capsys):
    class Failing(kt.BaseTuner):
        def run_trial(self, trial):
            x = trial.hyperparameters.Float("x", 0, 1)
            if x > 0.5:
                raise ValueError("x too large")
            return x

    oracle = _oracle(objective="loss", max_trials=6, max_consecutive_failed_trials=99)
    Failing(oracle, directory=tmp_path, project_name="quiet").search(verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""

    oracle = _oracle(objective="loss", max_trials=6, max_consecutive_failed_trials=99)
    Failing(oracle, directory=tmp_path, project_name="loud").search(verbose=1)
    captured = capsys.readouterr()
    assert "Search finished" in captured.out + captured.err
    assert "ValueError: x too large" in captured.out + captured.err


def test_a_trial_that_returns_nothing_and_reports_nothing_stops_the_search_at_once():
    def forgot(hp):
        hp.Float("x", 0.0, 1.0)

    tuner = kt.FunctionTuner(forgot, max_trials=5)
    with pytest.raises(kt.errors.FatalTypeError, match="Did you forget to return the metrics"):
        tuner.search(verbose=0)
    (trial,) = tuner.oracle.trials.values()  # recorded, then the search stopped
    assert trial.status == kt.TrialStatus.FAILED and "forgot" in trial.message


def test_the_constructor_meets_branches_nested_under_non_default_values(tmp_path):
    class Tuner(kt.BaseTuner):
        def run_trial(self, trial):
            return 0.0

    def build(hp):
        kind = hp.Choice("model_type", ["cnn", "mlp"])
        with hp.conditional_scope("model_type", "cnn"):
            if kind == "cnn":
                hp.Int("filters", 1, 4)
        with hp.conditional_scope("model_type", "mlp"):
            if kind == "mlp":
                sub = hp.Choice("sub_mlp", ["a", "b"])
                with hp.conditional_scope("sub_mlp", "b"):
                    if sub == "b":
                        hp.Int("n_units_b", 1, 4)

    tuner = Tuner(kt.oracles.RandomSearch(max_trials=1), hypermodel=build, directory=tmp_path)
    names = [hp.name for hp in tuner.oracle.hyperparameters.space]
    assert names == ["model_type", "filters", "sub_mlp", "n_units_b"]


def test_initial_points_run_first_and_are_checked():
    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)
    space.Choice("kind", ["a", "b"])
    first = [{"x": 0.25, "kind": "b"}, {"x": 0.75}]
    tuner = kt.tune(lambda hp: hp["x"], max_trials=4, hyperparameters=space, verbose=0, initial_points=first)
    trials = list(tuner.oracle.trials.values())
    assert [t.hyperparameters.values for t in trials[:2]] == [{"x": 0.25, "kind": "b"}, {"x": 0.75, "kind": "a"}]
    with pytest.raises(kt.errors.InvalidSpaceError):
        kt.tune(lambda hp: hp["x"], max_trials=2, hyperparameters=space, verbose=0, initial_points=[{"x": 7.0}])
