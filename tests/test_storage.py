"""The project directory: resume, overwrite, foreign and corrupt projects, crashes."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import tunecore as kt
from tunecore.errors import ProjectError
from tunecore.storage import JournalStorage
from tunecore.trial import TrialStatus


class CountingTuner(kt.BaseTuner):
    runs = []

    def run_trial(self, trial):
        CountingTuner.runs.append(trial.trial_id)
        return trial.hyperparameters.Float("x", 0.0, 1.0)


def _tuner(tmp_path, max_trials=4, oracle_cls=kt.oracles.RandomSearch, objective="loss", **kwargs):
    oracle = oracle_cls(objective=objective, max_trials=max_trials, seed=0)
    return CountingTuner(oracle, directory=tmp_path, project_name="proj", **kwargs)


def test_resume_does_not_rerun_completed_trials_and_takes_a_larger_budget(tmp_path):
    CountingTuner.runs = []
    first = _tuner(tmp_path, max_trials=4)
    first.search(verbose=0)
    scores = {t.trial_id: t.score for t in first.oracle.trials.values()}

    second = _tuner(tmp_path, max_trials=6)
    assert {t.trial_id: t.score for t in second.oracle.trials.values()} == scores
    second.search(verbose=0)
    assert CountingTuner.runs == ["00", "01", "02", "03", "04", "05"]
    assert len({tuple(t.hyperparameters.values.items()) for t in second.oracle.trials.values()}) == 6


def test_overwrite_starts_clean(tmp_path):
    _tuner(tmp_path).search(verbose=0)
    tuner = _tuner(tmp_path, overwrite=True)
    assert tuner.oracle.trials == {}


def test_another_oracle_or_objective_is_refused_and_nothing_is_touched(tmp_path):
    _tuner(tmp_path).search(verbose=0)
    journal = tmp_path / "proj" / "journal.jsonl"
    before = journal.read_bytes()
    with pytest.raises(ProjectError, match="different search: its oracle"):
        _tuner(tmp_path, oracle_cls=kt.oracles.GridSearch)
    with pytest.raises(ProjectError, match="different search: its objective.*overwrite=True"):
        _tuner(tmp_path, objective="accuracy")
    assert journal.read_bytes() == before


def test_keras_tuner_project_directory_is_refused(tmp_path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "oracle.json").write_text("{}")
    with pytest.raises(ProjectError, match="Keras Tuner project"):
        _tuner(tmp_path)


def test_corrupt_journal_is_reported_and_left_alone(tmp_path):
    _tuner(tmp_path).search(verbose=0)
    journal = tmp_path / "proj" / "journal.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    lines[2] = "{not json\n"
    journal.write_text("".join(lines))
    with pytest.raises(ProjectError, match="corrupt: line 3"):
        _tuner(tmp_path)
    assert journal.read_text() == "".join(lines)


def test_torn_last_record_is_repaired_on_open(tmp_path, caplog):
    _tuner(tmp_path).search(verbose=0)
    journal = tmp_path / "proj" / "journal.jsonl"
    with open(journal, "a") as f:
        f.write('{"event": "metrics", "trial_id": "0')
    tuner = _tuner(tmp_path)
    assert "cut off by a crash" in caplog.text
    assert len(tuner.oracle.trials) == 4
    assert journal.read_text().endswith("\n")


def test_a_trial_running_when_the_process_died_runs_again(tmp_path):
    CountingTuner.runs = []
    tuner = _tuner(tmp_path, max_trials=3)
    running = tuner.oracle.create_trial("tuner0")  # started, never ended: as if killed
    tuner.oracle.close()

    resumed = _tuner(tmp_path, max_trials=3)
    resumed.search(verbose=0)
    assert CountingTuner.runs[0] == running.trial_id
    assert resumed.oracle.trials[running.trial_id].status == TrialStatus.COMPLETED
    assert len(resumed.oracle.trials) == 3


def test_one_event_is_one_appended_line(tmp_path):
    tuner = _tuner(tmp_path, max_trials=3)
    tuner.search(verbose=0)
    events = [json.loads(line) for line in (tmp_path / "proj" / "journal.jsonl").read_text().splitlines()]
    assert events[0]["format"].startswith("tunecore-journal")
    kinds = [e["event"] for e in events[1:]]
    assert kinds.count("end") == 3 and kinds.count("trial") == 3


_KILLABLE = textwrap.dedent(
    """
    import sys, time
    import tunecore as kt

    class Slow(kt.BaseTuner):
        def run_trial(self, trial):
            x = trial.hyperparameters.Float("x", 0.0, 1.0)
            time.sleep(0.05)
            return x

    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=int(sys.argv[2]), seed=3)
    Slow(oracle, directory=sys.argv[1], project_name="killed").search(verbose=0)
    """
)


@pytest.mark.slow
def test_search_killed_with_sigkill_resumes_with_every_completed_trial(tmp_path):
    script = tmp_path / "search.py"
    script.write_text(_KILLABLE)
    journal = tmp_path / "killed" / "journal.jsonl"
    process = subprocess.Popen([sys.executable, str(script), str(tmp_path), "1000"])
    deadline = time.time() + 60
    while time.time() < deadline:
        if journal.exists() and journal.read_text().count('"event":"end"') >= 8:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    ended = []
    for line in journal.read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # torn by the kill
        if event.get("event") == "end":
            ended.append(event["trial_id"])
    assert len(ended) >= 8
    completed = {trial_id: kt.load(tmp_path / "killed").trials[trial_id].score for trial_id in ended}

    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=len(completed) + 3, seed=3)
    tuner = kt.BaseTuner(oracle, directory=tmp_path, project_name="killed")
    for trial_id, score in completed.items():
        assert tuner.oracle.trials[trial_id].status == TrialStatus.COMPLETED
        assert tuner.oracle.trials[trial_id].score == score

    class Quick(kt.BaseTuner):
        def run_trial(self, trial):
            return trial.hyperparameters.Float("x", 0.0, 1.0)

    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=len(completed) + 3, seed=3)
    resumed = Quick(oracle, directory=tmp_path, project_name="killed")
    resumed.search(verbose=0)
    statuses = [t.status for t in resumed.oracle.trials.values()]
    assert statuses.count(TrialStatus.COMPLETED) == len(completed) + 3


def test_the_tuner_that_ran_a_trial_is_kept_when_another_started_it(tmp_path):
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=2, seed=0)
    oracle.open(JournalStorage(tmp_path / "p"))
    hps = kt.HyperParameters()
    hps.Float("x", 0, 1)
    oracle.update_space(hps)
    first = oracle.ask("chief")
    first.tuner_id = "tuner1"  # a distributed worker ran it
    oracle.tell(first.trial_id, 0.5)
    second = oracle.ask("chief")
    oracle.tell(second.trial_id, 0.7)
    oracle.close()
    trials = kt.load(tmp_path / "p").trials
    assert (trials[first.trial_id].tuner_id, trials[second.trial_id].tuner_id) == ("tuner1", "chief")
