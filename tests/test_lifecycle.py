"""A trial's life through the public ask / report / tell, on both storages, and what a tuner guarantees."""

import json
import os

import pytest

import tunecore as kt
from tunecore.errors import ProjectError, TrialStateError
from tunecore.storage import InMemoryStorage, JournalStorage
from tunecore.trial import TrialStatus


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Choice("kind", ["a", "b", "c"])
    return hp


@pytest.fixture(params=["memory", "journal"])
def storage(request, tmp_path):
    return InMemoryStorage() if request.param == "memory" else JournalStorage(tmp_path / "p")


def _events(storage):
    if isinstance(storage, InMemoryStorage):
        return storage.events
    with open(os.path.join(storage.project_dir, "journal.jsonl")) as f:
        return [json.loads(line) for line in f][1:]


def _oracle(storage=None, **kwargs):
    kwargs.setdefault("max_trials", 5)
    oracle = kt.oracles.RandomSearch(objective="loss", hyperparameters=_space(), seed=0, **kwargs)
    if storage is not None:
        oracle.open(storage)
    return oracle


def test_ask_report_tell_keeps_history_score_and_timestamps(storage):
    oracle = _oracle(storage)
    trial = oracle.ask("me")
    assert trial.status == TrialStatus.RUNNING and trial.tuner_id == "me"
    assert oracle.report(trial.trial_id, 0, loss=0.5, acc=0.1) == TrialStatus.RUNNING
    assert oracle.report(trial.trial_id, 1, loss=0.3, acc=0.2) == TrialStatus.RUNNING
    ended = oracle.tell(trial.trial_id)
    oracle.close()

    assert ended is oracle.trials[trial.trial_id]
    assert (ended.status, ended.score, ended.best_step) == (TrialStatus.COMPLETED, 0.3, 1)
    assert ended.metrics.get_history("acc") == [(0, 0.1), (1, 0.2)]
    assert ended.created_at <= ended.started_at <= ended.ended_at
    events = _events(storage)
    assert [e["event"] for e in events] == ["space", "trial", "metrics", "metrics", "end"]
    assert "metrics" not in events[-1]  # it reported everything itself
    times = [e["time"] for e in events]
    assert times == sorted(times) and abs(times[1] - ended.created_at) < 0.01


def test_tell_records_a_result_at_the_last_reported_step(storage):
    oracle = _oracle(storage)
    trial = oracle.ask()
    oracle.report(trial.trial_id, 4, acc=0.5)
    oracle.tell(trial.trial_id, {"loss": 1.0, "acc": 0.9})
    assert trial.metrics.get_history("loss") == [(4, 1.0)]
    assert trial.metrics.get_history("acc") == [(4, 0.9)]  # the told value is final, not averaged
    assert (trial.score, trial.best_step) == (1.0, 4)

    number = oracle.ask()
    assert oracle.tell(number.trial_id, 0.25).score == 0.25  # a number is the objective


def test_a_told_result_is_the_final_value_whatever_was_reported(tmp_path):
    oracle = _oracle(JournalStorage(tmp_path / "p"))
    trial = oracle.ask()
    oracle.report(trial.trial_id, 1, loss=10.0)
    assert oracle.tell(trial.trial_id, {"loss": 2.0}).score == 2.0
    executions = oracle.ask()
    oracle.report(executions.trial_id, 0, loss=1.0)
    oracle.report(executions.trial_id, 0, loss=3.0)  # a second execution of the trial reports its step
    assert oracle.tell(executions.trial_id).score == 2.0  # executions average, as in Keras Tuner
    listed = oracle.ask()
    assert oracle.tell(listed.trial_id, [{"loss": 1.0}, {"loss": 5.0}]).score == 3.0
    oracle.close()

    resumed = _oracle(JournalStorage(tmp_path / "p"))  # the journal replays to the same scores
    assert [resumed.trials[t.trial_id].score for t in (trial, executions, listed)] == [2.0, 2.0, 3.0]


def test_a_finished_trial_accepts_no_report_and_no_second_end(storage):
    oracle = _oracle(storage)
    trial = oracle.ask()
    oracle.tell(trial.trial_id, 1.0)

    with pytest.raises(TrialStateError, match=f"Trial {trial.trial_id} is not running .*COMPLETED"):
        oracle.report(trial.trial_id, 1, loss=0.5)
    with pytest.raises(TrialStateError, match="not running"):
        oracle.tell(trial.trial_id, 0.5)
    with pytest.raises(TrialStateError, match="There is no trial 'nope'"):
        oracle.tell("nope")
    other = oracle.ask()
    with pytest.raises(TrialStateError, match="must end with one of"):
        oracle.tell(other.trial_id, status=TrialStatus.RUNNING)
    assert oracle.trials[trial.trial_id].score == 1.0
    assert other.status == TrialStatus.RUNNING  # a refused end changes nothing


def test_an_unreported_objective_fails_the_trial_without_retry(storage):
    oracle = _oracle(storage, max_retries_per_trial=3)
    trial = oracle.ask()
    oracle.tell(trial.trial_id, {"acc": 0.9})
    assert trial.status == TrialStatus.FAILED and "never reported" in trial.message
    assert oracle.ask().trial_id != trial.trial_id


def test_an_oracle_that_answers_stopped_ends_the_trial_stopped(storage):
    class StopAtStepTwo(kt.oracles.RandomSearch):
        def update_trial(self, trial_id, metrics, step=0):
            status = super().update_trial(trial_id, metrics, step)
            return TrialStatus.STOPPED if step >= 2 else status

    oracle = StopAtStepTwo(objective="loss", hyperparameters=_space(), max_trials=3, seed=0)
    oracle.open(storage)
    trial = oracle.ask()
    answers = [oracle.report(trial.trial_id, step, loss=1.0 / (step + 1)) for step in range(4)]
    oracle.tell(trial.trial_id)

    assert answers == ["RUNNING", "RUNNING", "STOPPED", "STOPPED"]
    assert trial.status == TrialStatus.STOPPED and trial.score == 0.25
    assert oracle.get_best_trials() == []  # only COMPLETED trials rank


def test_a_failed_trial_is_retried_once_and_a_resume_does_not_run_it_again(tmp_path):
    first = _oracle(JournalStorage(tmp_path / "p"), max_retries_per_trial=1)
    trial = first.ask()
    first.tell(trial.trial_id, status=TrialStatus.FAILED, message="boom")
    again = first.ask()
    assert again.trial_id == trial.trial_id and again.attempts == 2 and again.message is None
    first.tell(again.trial_id, 0.5)
    first.close()

    resumed = _oracle(JournalStorage(tmp_path / "p"), max_retries_per_trial=1)
    assert resumed.trials[trial.trial_id].status == TrialStatus.COMPLETED
    assert resumed.ask().trial_id != trial.trial_id


def test_keras_tuners_end_trial_with_a_status_set_on_the_trial_still_works(storage):
    oracle = _oracle(storage)
    trial = oracle.create_trial("tuner0")
    oracle.update_trial(trial.trial_id, {"loss": 0.7}, step=0)
    trial.status = TrialStatus.COMPLETED
    oracle.end_trial(trial)
    assert oracle.get_best_trials()[0] is trial and trial.score == 0.7
    legacy = oracle.create_trial("tuner0")
    oracle.end_trial(legacy.trial_id, TrialStatus.INVALID)  # Keras Tuner's older signature
    assert legacy.status == TrialStatus.INVALID


def test_load_reads_any_project_without_changing_it(tmp_path):
    tuner = kt.tune(lambda hp: (hp.Float("x", -1, 1) - 0.3) ** 2, max_trials=6, oracle="grid",
                    directory=tmp_path, project_name="p", verbose=0)
    journal = (tmp_path / "p" / "journal.jsonl").read_bytes()

    project = kt.load(tmp_path / "p")

    assert project.oracle == "tunecore.oracles.grid.GridSearch"
    assert project.objective == tuner.oracle.objective
    assert [hp.name for hp in project.hyperparameters.space] == ["x"]
    assert {k: t.get_state() for k, t in project.trials.items()} == {
        k: t.get_state() for k, t in tuner.oracle.trials.items()
    }
    assert project.get_best_trials(1)[0].trial_id == tuner.oracle.get_best_trials(1)[0].trial_id
    assert all(t.ended_at is not None for t in project.trials.values())
    assert (tmp_path / "p" / "journal.jsonl").read_bytes() == journal
    with pytest.raises(ProjectError, match="is not a tunecore project"):
        kt.load(tmp_path)


class Silent(kt.BaseTuner):
    """Overrides every hook without calling super()."""

    calls = []

    def run_trial(self, trial):
        return trial.hyperparameters.Float("x", 0.0, 1.0)

    def on_search_begin(self):
        self.calls.append("search_begin")

    def on_trial_begin(self, trial):
        self.calls.append("trial_begin")

    def on_trial_end(self, trial):
        self.calls.append(("trial_end", trial.status))

    def on_search_end(self):
        self.calls.append("search_end")


@pytest.mark.parametrize("directory", [True, False], ids=["journal", "memory"])
def test_hooks_overridden_without_super_still_end_trials_and_close_the_project(tmp_path, directory):
    psutil = pytest.importorskip("psutil")
    Silent.calls = []
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0)
    storage = None if directory else InMemoryStorage()
    tuner = Silent(oracle, directory=tmp_path, project_name="p", storage=storage)
    tuner.search(verbose=0)

    assert [t.status for t in oracle.trials.values()] == [TrialStatus.COMPLETED] * 3
    assert Silent.calls == ["search_begin", *["trial_begin", ("trial_end", "COMPLETED")] * 3, "search_end"]
    assert not [f for f in psutil.Process().open_files() if f.path.startswith(str(tmp_path))]
    assert (tmp_path / "p").exists() == directory
    if directory:
        assert len(kt.load(tmp_path / "p").trials) == 3


def test_the_project_is_closed_even_when_the_search_fails(tmp_path):
    psutil = pytest.importorskip("psutil")

    class Broken(Silent):
        def on_search_begin(self):
            raise RuntimeError("hook failed")

    tuner = Broken(kt.oracles.RandomSearch(objective="loss", max_trials=2), directory=tmp_path)
    with pytest.raises(RuntimeError, match="hook failed"):
        tuner.search(verbose=0)
    assert not [f for f in psutil.Process().open_files() if f.path.startswith(str(tmp_path))]


def test_every_error_is_a_tunecore_error_and_a_builtin():
    for name in dir(kt.errors):
        cls = getattr(kt.errors, name)
        if isinstance(cls, type) and issubclass(cls, Exception) and cls is not kt.errors.TunecoreError:
            assert issubclass(cls, kt.errors.TunecoreError), name
            builtins = [b for b in cls.__mro__ if b.__module__ == "builtins" and b not in (Exception, BaseException, object)]
            assert builtins, f"{name} inherits no builtin a user would catch"


def test_reported_metrics_may_be_numpy_numbers_but_not_text(storage):
    np = pytest.importorskip("numpy")
    oracle = _oracle(storage)
    trial = oracle.ask()
    oracle.report(trial.trial_id, np.int64(0), loss=np.float32(0.5))
    with pytest.raises(TypeError, match=f"Trial {trial.trial_id} reported loss='low'; a metric must be a number"):
        oracle.report(trial.trial_id, 1, loss="low")
    oracle.tell(trial.trial_id)
    oracle.close()
    assert trial.score == 0.5 and _events(storage)[2]["metrics"] == {"loss": 0.5}
