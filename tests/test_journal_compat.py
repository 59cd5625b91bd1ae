"""Journals of format 2 (tunecore before project identities) still open: read, resumed and extended in format 2.

``tests/data/journal_v2/journal.jsonl`` was written by format 2: four
trials reporting two steps each (trial 01 failed once and was retried) and
trial 04 left RUNNING by an interrupted search, with one report.
"""

import os
import shutil

import pytest

import tunecore as kt
from tunecore.errors import ProjectError
from tunecore.storage import read_events, records
from tunecore.trial import TrialStatus

FIXTURE = os.path.join(os.path.dirname(__file__), "data", "journal_v2")


class Steps(kt.BaseTuner):
    def run_trial(self, trial):
        x = trial.hyperparameters.Float("x", 0.0, 1.0)
        kind = trial.hyperparameters.Choice("kind", ["a", "b"])
        for step in range(2):
            self.oracle.report(trial.trial_id, step, loss=x + step / 10 + (kind == "b"))


@pytest.fixture
def project(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "proj")
    return tmp_path / "proj"


def _tuner(project, max_trials=5, **kwargs):
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=max_trials, seed=0, max_retries_per_trial=1)
    return Steps(oracle, directory=project.parent, project_name=project.name, **kwargs)


def test_a_format_2_journal_loads_as_it_was_written():
    loaded = kt.load(FIXTURE)
    assert {k: (t.status, t.attempts) for k, t in loaded.trials.items()} == {
        "00": (TrialStatus.COMPLETED, 1), "01": (TrialStatus.COMPLETED, 2), "02": (TrialStatus.COMPLETED, 1),
        "03": (TrialStatus.COMPLETED, 1), "04": (TrialStatus.RUNNING, 1),
    }
    assert loaded.get_best_trials()[0].trial_id == "00"
    assert loaded.trials["01"].score == pytest.approx(1.8897387912781343)
    assert loaded.trials["04"].metrics.get_history("loss") == [(0, 0.5)]


def test_a_format_2_journal_resumes_and_is_extended_in_format_2(project):
    journal = project / "journal.jsonl"
    before = journal.read_bytes()
    tuner = _tuner(project, max_trials=7)
    tuner.search(verbose=0)
    after = journal.read_bytes()
    assert after.startswith(before)  # never rewritten
    assert read_events(project)[0]["format"] == "tunecore-journal/2"
    for line in after.splitlines():  # format 2: each record checked on its own
        assert records.decode(line)[0] is not None
    trials = kt.load(project).trials
    assert len(trials) == 7 and trials["04"].attempts == 2
    assert all(t.status == TrialStatus.COMPLETED for t in trials.values())
    _tuner(project, max_trials=8).search(verbose=0)  # and again
    assert len(kt.load(project).trials) == 8


def test_a_format_2_journal_is_still_checked_record_by_record_and_by_each_trials_life(project):
    journal = project / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    flipped = lines[5].replace(b'"COMPLETED"', b'"COMPLETEX"')
    journal.write_bytes(b"".join(lines[:5] + [flipped] + lines[6:]))
    with pytest.raises(ProjectError, match="line 6 is not a valid record: its checksum does not match"):
        _tuner(project)

    trial = next(i for i, line in enumerate(lines) if b'"event":"trial","trial_id":"02"' in line)
    damaged = b"".join(lines + [lines[trial]])  # a valid record of its own, out of its trial's life
    journal.write_bytes(damaged)
    with pytest.raises(ProjectError, match=rf"Line {len(lines) + 1} of the project journal .* creates trial '02' again"):
        _tuner(project)
    assert journal.read_bytes() == damaged


def test_overwrite_starts_a_format_3_project(project):
    _tuner(project, overwrite=True).search(verbose=0)
    header, _ = read_events(project)
    assert header["format"] == "tunecore-journal/3" and len(header["project"]) == 16


@pytest.mark.parametrize("body", [b'{"event":"space"},{"event":"space"}', b'{"a":1}}', b'{"event":"sp\xff"}'])
def test_a_record_with_a_valid_checksum_that_is_not_one_json_object_is_refused_naming_it(project, body):
    import zlib

    journal = project / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    crafted = body[:-1] + b',"crc":"%08x"}\n' % zlib.crc32(body)
    journal.write_bytes(b"".join(lines[:3] + [crafted] + lines[3:]))
    with pytest.raises(ProjectError, match="line 4 is not a valid record: it is not"):
        kt.load(project)
