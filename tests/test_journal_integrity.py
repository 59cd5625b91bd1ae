"""Every record is bound to its project and its place; replay checks each trial's life.

Whole records moved, copied or dropped are refused, naming the line, with the
journal left as it was; only a last line that is the start of a record (a
write a crash cut short) is cut.
"""

import logging

import pytest

import tunecore as kt
from tunecore.errors import ProjectError
from tunecore.storage import Storage, read_events, write_events
from tunecore.trial import TrialStatus


class Steps(kt.BaseTuner):
    """Two reports per trial; trial 01 fails once and is retried."""

    def run_trial(self, trial):
        x = trial.hyperparameters.Float("x", 0.0, 1.0)
        if trial.trial_id == "01" and trial.attempts == 1:
            raise RuntimeError("flaky: fails once")
        for step in range(2):
            self.oracle.report(trial.trial_id, step, loss=x + step)


def _tuner(root, max_trials=4, name="proj"):
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=max_trials, seed=0, max_retries_per_trial=1)
    return Steps(oracle, directory=root, project_name=name)


@pytest.fixture
def journal(tmp_path):
    _tuner(tmp_path).search(verbose=0)
    return tmp_path / "proj" / "journal.jsonl"


@pytest.fixture
def foreign(tmp_path):
    """The journal of another project of the same search (same oracle, objective and seed)."""
    _tuner(tmp_path / "other").search(verbose=0)
    return (tmp_path / "other" / "proj" / "journal.jsonl").read_bytes().splitlines(keepends=True)


def _lines(journal):
    return journal.read_bytes().splitlines(keepends=True)


def _index(lines, *parts):
    """The index of the first line holding every byte string in ``parts``."""
    return next(i for i, line in enumerate(lines) if all(p in line for p in parts))


def _refused(journal, line, match="is not a valid record: its checksum does not match"):
    """Opening for a search and loading both refuse ``line``; the journal is left byte for byte."""
    before = journal.read_bytes()
    with pytest.raises(ProjectError, match=rf"line {line} {match}"):
        _tuner(journal.parent.parent)
    with pytest.raises(ProjectError, match=rf"line {line} {match}"):
        kt.load(journal.parent)
    assert journal.read_bytes() == before


def test_a_new_journal_names_its_format_and_a_project_identity(journal, tmp_path):
    header, _ = read_events(journal.parent)
    assert header["format"] == "tunecore-journal/3"
    assert len(header["project"]) == 16 and int(header["project"], 16) >= 0
    _tuner(tmp_path / "again").search(verbose=0)
    assert read_events(tmp_path / "again" / "proj")[0]["project"] != header["project"]


@pytest.mark.parametrize("kind", [b'"event":"trial"', b'"event":"metrics"', b'"event":"end"', b'"event":"space"'])
def test_a_duplicated_record_is_refused_naming_the_copy(journal, kind):
    lines = _lines(journal)
    at = _index(lines, kind)
    journal.write_bytes(b"".join(lines[:at + 1] + [lines[at]] + lines[at + 1:]))
    _refused(journal, at + 2)


def test_a_duplicated_end_record_after_a_trial_is_refused_so_no_trial_runs_twice(journal):
    lines = _lines(journal)
    trial = _index(lines, b'"event":"trial"', b'"trial_id":"02"')
    journal.write_bytes(b"".join(lines + [lines[trial]]))  # the COMPLETED trial started again
    _refused(journal, len(lines) + 1)


def test_a_dropped_record_is_refused_naming_the_line_after_it(journal):
    lines = _lines(journal)
    at = _index(lines, b'"event":"end"', b'"trial_id":"00"')
    journal.write_bytes(b"".join(lines[:at] + lines[at + 1:]))
    _refused(journal, at + 1)


def test_two_swapped_records_are_refused(journal):
    lines = _lines(journal)
    at = _index(lines, b'"event":"metrics"', b'"trial_id":"02"')
    lines[at], lines[at + 1] = lines[at + 1], lines[at]
    journal.write_bytes(b"".join(lines))
    _refused(journal, at + 1)


@pytest.mark.parametrize("spliced", [[b'"event":"end"'], [b'"event":"trial"', b'"event":"end"']])
def test_records_copied_from_another_project_are_refused(journal, foreign, spliced):
    lines = _lines(journal)
    copied = [foreign[_index(foreign, kind, b'"trial_id":"03"')] for kind in spliced]
    at = _index(lines, b'"event":"trial"', b'"trial_id":"03"')
    journal.write_bytes(b"".join(lines[:at] + copied + lines[at:]))
    _refused(journal, at + 1)
    journal.write_bytes(b"".join(lines + copied))  # appended at the end, newline and all
    _refused(journal, len(lines) + 1)


def test_a_foreign_header_is_refused_at_the_first_record(journal, foreign):
    lines = _lines(journal)
    journal.write_bytes(b"".join(foreign[:1] + lines[1:]))
    _refused(journal, 2)


def test_a_torn_last_line_is_cut_and_everything_before_it_kept(journal, caplog):
    whole = journal.read_bytes()
    last = whole.splitlines(keepends=True)[-1]
    for torn in (last[:1], last[:-9], last[:-2], b"\0" * 7):
        journal.write_bytes(whole + torn)
        with caplog.at_level(logging.WARNING, logger="tunecore"):
            resumed = _tuner(journal.parent.parent)
        assert "cut off by a crash" in caplog.text
        assert journal.read_bytes() == whole
        assert [t.status for t in resumed.oracle.trials.values()] == [TrialStatus.COMPLETED] * 4
        resumed.oracle.close()
        caplog.clear()


def test_a_whole_last_record_that_fails_its_check_is_damage_not_a_torn_write(journal):
    lines = _lines(journal)
    last = lines[-1].rstrip(b"\n")
    assert b'"event":"end"' in last
    damaged = last.replace(b'"status":"COMPLETED"', b'"status":"COMPLETEX"')
    for tail in (damaged, damaged + b"\n"):  # its newline cut by the crash, or not
        journal.write_bytes(b"".join(lines[:-1]) + tail)
        _refused(journal, len(lines))


def test_a_last_line_holding_a_whole_record_and_more_is_refused(journal):
    lines = _lines(journal)
    merged = lines[-2].rstrip(b"\n") + b"X" + lines[-1][:20]  # a newline lost, the next record torn
    journal.write_bytes(b"".join(lines[:-2]) + merged)
    _refused(journal, len(lines) - 1, "is not a valid record")


def test_a_whole_last_record_without_its_newline_is_kept_and_extended(journal):
    data = journal.read_bytes()
    journal.write_bytes(data[:-1])
    resumed = _tuner(journal.parent.parent, max_trials=5)
    resumed.search(verbose=0)
    assert len(kt.load(journal.parent).trials) == 5


# The life of each trial (records with valid checks, crafted) ------------------

def _find(events, kind, trial_id):
    return next(i for i, e in enumerate(events) if e.get("event") == kind and e.get("trial_id") == trial_id)


@pytest.mark.parametrize("case, match", [
    ("trial again", r"it creates trial '02' again \(it was started at line \d+ of the project journal"),
    ("end again", r"it ends trial '02', which ended COMPLETED at line \d+ .*a trial ends once"),
    ("report after end", r"it is a report of trial '02', which ended COMPLETED at line \d+"),
    ("report of unknown", r"it is a report of trial '77', which was never created"),
    ("end of unknown", r"it ends trial '77', which was never created"),
    ("attempt skipped", r"it starts attempt 3 of trial '01', but the attempt before it was attempt 1"),
    ("restart of ended", r"it starts attempt 2 of trial '02', which ended COMPLETED at line \d+"),
])
def test_a_record_that_breaks_its_trials_life_is_refused_naming_its_line(journal, case, match):
    header, events = read_events(journal.parent)
    end02 = _find(events, "end", "02")
    trial02 = dict(events[_find(events, "trial", "02")])
    end = dict(events[end02])
    metrics = dict(events[_find(events, "metrics", "02")])
    retry01 = dict(events[_find(events, "trial", "01") + 2])  # trial 01's second attempt
    assert retry01.get("attempt") == 2
    extra, at = {
        "trial again": (trial02, len(events)),
        "end again": (end, len(events)),
        "report after end": (metrics, len(events)),
        "report of unknown": ({**metrics, "trial_id": "77"}, 3),
        "end of unknown": ({**end, "trial_id": "77"}, 3),
        "attempt skipped": ({**retry01, "attempt": 3}, _find(events, "trial", "01") + 2),
        "restart of ended": ({**trial02, "attempt": 2}, len(events)),
    }[case]
    if case == "attempt skipped":
        events[at] = extra
    else:
        events.insert(at, extra)
    write_events(journal.parent, header, events)
    before = journal.read_bytes()
    line = at + 2
    with pytest.raises(ProjectError, match=rf"^Line {line} of the project journal .* breaks its trial's life: {match}"):
        _tuner(journal.parent.parent)
    with pytest.raises(ProjectError, match=rf"^Line {line} of the project journal"):
        kt.load(journal.parent)
    assert journal.read_bytes() == before


def test_every_valid_life_replays(journal):
    """A retried trial, and a trial an interrupted search left running, run again."""
    tuner = _tuner(journal.parent.parent, max_trials=5)
    running = tuner.oracle.create_trial("tuner0")
    tuner.oracle.report(running.trial_id, 0, loss=0.5)
    tuner.oracle.close()
    resumed = _tuner(journal.parent.parent, max_trials=5)
    resumed.search(verbose=0)
    trials = kt.load(journal.parent).trials
    assert [t.status for t in trials.values()] == [TrialStatus.COMPLETED] * 5
    assert trials["01"].attempts == 2 and trials["04"].attempts == 2


class _Events(Storage):
    """A third party's storage that hands back crafted events."""

    def __init__(self, events):
        self.events = events

    def open(self, header, overwrite=False):
        return list(self.events)

    def append(self, event, sync=False):
        self.events.append(event)


def test_any_storage_names_the_place_of_a_refused_event():
    trial = {"event": "trial", "trial_id": "00", "values": {}, "time": 1.0}
    end = {"event": "end", "trial_id": "00", "status": "COMPLETED", "step": 0, "metrics": {"loss": 1.0}, "time": 2.0}
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0)
    with pytest.raises(ProjectError, match=r"^Event 3 of the project \(memory\) breaks its trial's life: it ends "
                                           r"trial '00', which ended COMPLETED at event 2"):
        oracle.open(_Events([trial, end, end]))
    fine = kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0)
    fine.open(_Events([trial, end]))
    assert fine.trials["00"].score == 1.0


class _SharedEvents(_Events):
    shared = True


def test_a_shared_storage_allows_a_late_report_after_another_driver_ended_the_trial_and_skips_it():
    """A driver that went silent reports after another driver ended its trial and ran it again."""
    events = [
        {"event": "trial", "trial_id": "00", "values": {}, "tuner_id": "a", "time": 1.0},
        {"event": "metrics", "trial_id": "00", "step": 0, "metrics": {"loss": 5.0}, "time": 2.0},
        {"event": "end", "trial_id": "00", "status": "FAILED", "message": "stale", "retry": True, "time": 3.0},
        {"event": "metrics", "trial_id": "00", "step": 1, "metrics": {"loss": 0.0}, "time": 4.0},  # late
        {"event": "trial", "trial_id": "00", "values": {}, "tuner_id": "b", "attempt": 2, "time": 5.0},
        {"event": "metrics", "trial_id": "00", "step": 0, "metrics": {"loss": 2.0}, "attempt": 2, "time": 6.0},
        {"event": "metrics", "trial_id": "00", "step": 2, "metrics": {"loss": -3.0}, "time": 6.5},  # late
        {"event": "end", "trial_id": "00", "status": "COMPLETED", "time": 7.0},
        {"event": "metrics", "trial_id": "00", "step": 2, "metrics": {"loss": -1.0}, "time": 8.0},  # late
    ]
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0)
    oracle.open(_SharedEvents(events))
    trial = oracle.trials["00"]
    assert (trial.status, trial.attempts, trial.score) == (TrialStatus.COMPLETED, 2, 2.0)
    assert trial.metrics.get_history("loss") == [(0, 2.0)]

    alone = kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0)
    with pytest.raises(ProjectError, match=r"^Event 4 of the project \(memory\) breaks its trial's life: it is a "
                                           r"report of trial '00', which ended FAILED at event 3"):
        alone.open(_Events(events))
