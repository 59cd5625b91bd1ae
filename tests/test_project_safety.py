"""Hostile and careless use of a project folder: nothing lost, nothing outside touched."""

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
from tunecore.storage import read_events, write_events
from tunecore.trial import TrialStatus


class Quick(kt.BaseTuner):
    def run_trial(self, trial):
        return trial.hyperparameters.Float("x", 0.0, 1.0)


def _tuner(root, project_name="proj", max_trials=4, cls=Quick, **kwargs):
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=max_trials, seed=0)
    return cls(oracle, directory=root, project_name=project_name, **kwargs)


def _snapshot(root):
    """Every file under ``root`` with its bytes, to prove nothing changed."""
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = f.read()
    return found


def _journal(root, project_name="proj"):
    return os.path.join(root, project_name, "journal.jsonl")


def _rewrite(path, edit):
    """Replace the journal's records (header first) by ``edit(records)``, with valid checks."""
    header, events = read_events(os.path.dirname(path))
    edited = list(edit([header, *events]))
    write_events(os.path.dirname(path), edited[0], edited[1:])


# One search at a time -----------------------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import sys, time
    import tunecore as kt

    class Slow(kt.BaseTuner):
        def run_trial(self, trial):
            open(sys.argv[2], "w").close()
            time.sleep(30)
            return trial.hyperparameters.Float("x", 0.0, 1.0)

    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=5, seed=0)
    Slow(oracle, directory=sys.argv[1], project_name="proj").search(verbose=0)
    """
)


@pytest.mark.slow
def test_a_project_searched_by_another_process_is_refused_until_it_dies(tmp_path):
    script, started = tmp_path / "holder.py", tmp_path / "started"
    script.write_text(_HOLDER)
    root = tmp_path / "root"
    holder = subprocess.Popen([sys.executable, str(script), str(root), str(started)])
    try:
        deadline = time.time() + 60
        while not started.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the holder never started a trial"
        before = _snapshot(root)

        with pytest.raises(ProjectError, match=rf"in use by another search \(pid {holder.pid} on .*since"):
            _tuner(root)
        with pytest.raises(ProjectError, match="in use by another search"):
            _tuner(root, overwrite=True)
        assert _snapshot(root) == before
        assert len(kt.load(root / "proj").trials) == 1  # reading never waits for the lock
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()

    resumed = _tuner(root, max_trials=3)  # the kill released the lock
    resumed.search(verbose=0)
    assert [t.status for t in resumed.oracle.trials.values()] == [TrialStatus.COMPLETED] * 3


def test_a_second_tuner_in_the_same_process_cannot_write_while_the_first_searches(tmp_path):
    seen = []

    class Nested(Quick):
        def run_trial(self, trial):
            with pytest.raises(ProjectError, match=f"in use by another search \\(pid {os.getpid()}"):
                _tuner(tmp_path)
            seen.append(trial.trial_id)
            return super().run_trial(trial)

    _tuner(tmp_path, cls=Nested, max_trials=2).search(verbose=0)
    assert seen == ["00", "01"]


def test_a_tuner_whose_construction_failed_leaves_its_project_free(tmp_path):
    """Keras Tuner's tuner_test.py::test_static_space_errors: the corrected tuner
    opens the project, even while the failed one's traceback keeps it alive."""
    space = kt.HyperParameters()
    space.Int("units", 1, 4)
    space.Float("x", 0.0, 1.0)  # Quick's run_trial declares it

    def build(hp):
        return hp.get("units") * hp.Float("rate", 0.0, 1.0)  # "rate" is not in the space

    def tuner(build):
        oracle = kt.oracles.RandomSearch(objective="loss", max_trials=2, seed=0, hyperparameters=space,
                                         allow_new_entries=False)
        return Quick(oracle, build, directory=tmp_path, project_name="proj")

    with pytest.raises(RuntimeError, match="`allow_new_entries` is `False`") as failed:
        tuner(build)
    fixed = tuner(lambda hp: hp.get("units") * hp.get("x"))
    fixed.search(verbose=0)
    assert failed.value is not None and len(fixed.oracle.trials) == 2


def test_a_built_tuner_holds_its_project_only_while_it_searches(tmp_path):
    def build(hp):
        return hp.Float("x", 0.0, 1.0)

    first = _tuner(tmp_path, hypermodel=build)
    second = _tuner(tmp_path, hypermodel=build, max_trials=2)  # the first, built, does not hold it
    second.search(verbose=0)
    with pytest.raises(ProjectError, match="Another search wrote to .* after this one loaded it"):
        first.search(verbose=0)


def test_a_tuner_whose_project_was_extended_elsewhere_refuses_to_write(tmp_path):
    stale = _tuner(tmp_path, max_trials=4)
    fresh = _tuner(tmp_path, max_trials=2)
    fresh.search(verbose=0)
    journal = open(_journal(tmp_path), "rb").read()

    with pytest.raises(ProjectError, match="Another search wrote to .* after this one loaded it"):
        stale.search(verbose=0)
    assert open(_journal(tmp_path), "rb").read() == journal
    again = _tuner(tmp_path, max_trials=4)
    again.search(verbose=0)
    assert len(again.oracle.trials) == 4 and len({t.trial_id for t in again.oracle.trials.values()}) == 4


# Overwrite and project names ------------------------------------------------------

@pytest.mark.parametrize("name", ["..", ".", "a/b", "../x", "/etc", "x\0y"])
def test_project_name_must_be_one_plain_folder_name(tmp_path, name):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "keep.txt").write_text("mine")
    before = _snapshot(tmp_path)
    with pytest.raises(ProjectError, match="project_name must be one plain folder name"):
        _tuner(root, project_name=name, overwrite=True)
    assert _snapshot(tmp_path) == before


def test_overwrite_refuses_a_folder_that_is_not_only_a_tunecore_project(tmp_path):
    paper = tmp_path / "proj" / "paper.tex"
    paper.parent.mkdir()
    paper.write_text("\\section{Results}")
    with pytest.raises(ProjectError, match=r"deletes only a tunecore project.*paper\.tex.*Nothing was deleted"):
        _tuner(tmp_path, overwrite=True)
    assert paper.read_text() == "\\section{Results}"

    _tuner(tmp_path / "other").search(verbose=0)
    (tmp_path / "other" / "proj" / "notes.md").write_text("keep")
    with pytest.raises(ProjectError, match="notes.md"):
        _tuner(tmp_path / "other", overwrite=True)
    assert len(kt.load(tmp_path / "other" / "proj").trials) == 4


def test_overwrite_deletes_a_tunecore_project_with_its_trial_folders(tmp_path):
    first = _tuner(tmp_path)
    first.search(verbose=0)
    trial_dir = first.get_trial_dir("00")  # created, as Keras Tuner does
    open(os.path.join(trial_dir, "checkpoint.weights.h5"), "w").close()
    (tmp_path / "proj" / ".." / "sibling.txt").write_text("outside")

    fresh = _tuner(tmp_path, overwrite=True)
    assert fresh.oracle.trials == {} and not os.path.exists(trial_dir)
    assert (tmp_path / "sibling.txt").read_text() == "outside"


# Corrupt, crafted and foreign journals --------------------------------------------

def test_a_corrupt_journal_without_a_final_newline_is_refused_unchanged(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "journal.jsonl").write_bytes(b"this is not a journal")
    with pytest.raises(ProjectError, match="corrupt.*left untouched"):
        _tuner(tmp_path)
    assert (project / "journal.jsonl").read_bytes() == b"this is not a journal"


def test_a_torn_last_line_after_a_corrupt_one_is_not_repaired(tmp_path):
    _tuner(tmp_path).search(verbose=0)
    path = _journal(tmp_path)
    lines = open(path, "rb").read().splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"x":0.', b'"x":1.')  # a flipped digit
    damaged = b"".join(lines) + b'{"event":"metr'
    open(path, "wb").write(damaged)
    with pytest.raises(ProjectError, match="line 3 is not a valid record: its checksum does not match"):
        _tuner(tmp_path)
    assert open(path, "rb").read() == damaged


def test_a_whole_last_record_without_its_newline_is_kept(tmp_path):
    _tuner(tmp_path).search(verbose=0)
    path = _journal(tmp_path)
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-1])
    tuner = _tuner(tmp_path, max_trials=5)
    assert len(tuner.oracle.trials) == 4 and tuner.oracle.trials["03"].status == TrialStatus.COMPLETED
    tuner.search(verbose=0)
    assert len(kt.load(tmp_path / "proj").trials) == 5


@pytest.mark.parametrize("bad, expected", [
    ({}, "KeyError"),
    ({"event": "metrics", "trial_id": "77", "step": 0, "metrics": {"loss": 1.0}}, "'77'"),
    ({"event": "end", "trial_id": "00"}, "'status'"),
    ({"event": "end", "trial_id": "00", "status": "DANCING", "time": 1.0}, "not a final status"),
    ({"event": "metrics", "trial_id": "00", "step": 0, "metrics": [1, 2, 3]}, "expected an object"),
    ({"event": "teleport", "trial_id": "00"}, "unknown event kind"),
])
def test_a_malformed_event_is_a_project_error_naming_its_line(tmp_path, bad, expected):
    _tuner(tmp_path).search(verbose=0)
    path = _journal(tmp_path)
    _rewrite(path, lambda events: events[:4] + [bad] + events[4:])
    before = open(path, "rb").read()
    with pytest.raises(ProjectError, match=f"Line 5 of the project journal .*{expected}"):
        _tuner(tmp_path)
    with pytest.raises(ProjectError, match="Line 5"):
        kt.load(tmp_path / "proj")
    assert open(path, "rb").read() == before


def test_a_record_that_is_not_an_object_is_refused(tmp_path):
    _tuner(tmp_path).search(verbose=0)
    path = _journal(tmp_path)
    with open(path, "ab") as f:
        f.write(b'[1,2,3]\n')
    lines = len(open(path, "rb").read().splitlines())
    with pytest.raises(ProjectError, match=f"line {lines} is not a valid record: it has no checksum"):
        _tuner(tmp_path)


def test_a_journal_of_another_format_is_refused_naming_it(tmp_path):
    _tuner(tmp_path).search(verbose=0)
    path = _journal(tmp_path)
    _rewrite(path, lambda events: [{**events[0], "format": "tunecore-journal/99"}] + events[1:])
    with pytest.raises(ProjectError, match="in format 'tunecore-journal/99'; this version of tunecore reads"):
        _tuner(tmp_path)


def test_the_summary_command_reports_a_broken_journal_without_a_traceback(tmp_path, capsys):
    from tunecore.cli import main

    _tuner(tmp_path).search(verbose=0)
    _rewrite(_journal(tmp_path), lambda events: events + [{}])
    assert main(["summary", str(tmp_path / "proj")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tunecore: Line") and "Traceback" not in err


@pytest.mark.parametrize("crafted", ["x/../../../victim", "../victim", "..", "a\\b", ""])
def test_crafted_trial_ids_never_become_paths(tmp_path, crafted):
    root = tmp_path / "root"
    _tuner(root).search(verbose=0)
    (tmp_path / "victim").write_text("precious")
    _rewrite(_journal(root), lambda events: [
        {**e, "trial_id": crafted} if e.get("trial_id") == "03" else e for e in events
    ])
    outside = _snapshot(tmp_path / "victim") if (tmp_path / "victim").is_dir() else None
    with pytest.raises(ProjectError, match="Line .* not a valid trial id"):
        _tuner(root)
    with pytest.raises(ProjectError, match="not a valid trial id"):
        _tuner(root, project_name="proj2").get_trial_dir(crafted)
    assert (tmp_path / "victim").read_text() == "precious" and outside is None


def test_a_crafted_parent_trial_id_is_refused(tmp_path):
    _tuner(tmp_path).search(verbose=0)

    def crafted(events):
        for e in events:
            if e.get("event") == "trial" and e["trial_id"] == "02":
                e = {**e, "values": {**e["values"], "tuner/trial_id": "../../x"}}
            yield e

    _rewrite(_journal(tmp_path), lambda events: list(crafted(events)))
    with pytest.raises(ProjectError, match="tuner/trial_id='../../x' is not a valid trial id"):
        _tuner(tmp_path)


# Values as written --------------------------------------------------------------

def test_non_finite_metrics_are_standard_json_and_read_back(tmp_path):
    class Odd(kt.BaseTuner):
        def run_trial(self, trial):
            x = trial.hyperparameters.Float("x", 0.0, 1.0)
            self.oracle.report(trial.trial_id, 0, loss=float("nan"), spread=float("inf"))
            self.oracle.report(trial.trial_id, 1, loss=x, spread=float("-inf"))

    _tuner(tmp_path, cls=Odd, max_trials=2).search(verbose=0)

    def refuse(word):
        raise AssertionError(f"non-standard JSON constant {word}")

    with open(_journal(tmp_path)) as f:
        for line in f:
            json.loads(line, parse_constant=refuse)
    trial = kt.load(tmp_path / "proj").trials["00"]
    history = trial.metrics.get_history("spread")
    assert history == [(0, float("inf")), (1, float("-inf"))]
    assert trial.score == trial.hyperparameters["x"] and trial.best_step == 1


def test_a_changed_hyperparameter_definition_is_refused_on_resume(tmp_path):
    def oracle(low, high):
        hp = kt.HyperParameters()
        hp.Float("x", low, high)
        return kt.oracles.RandomSearch(objective="loss", max_trials=3, hyperparameters=hp, seed=0)

    Quick(oracle(0.0, 1.0), directory=tmp_path, project_name="proj").search(verbose=0)
    with pytest.raises(ProjectError, match=r"'x' is Float\(.*5\.0.*\) here, but Float\(.*0\.0.*\) in the project"):
        Quick(oracle(5.0, 6.0), directory=tmp_path, project_name="proj")
    same = Quick(oracle(0.0, 1.0), directory=tmp_path, project_name="proj")
    assert len(same.oracle.trials) == 3


def test_a_hypermodel_that_changed_a_definition_is_refused_on_resume(tmp_path):
    def model(high):
        def build(hp):
            return hp.Int("units", 1, high)
        return build

    class Builds(kt.BaseTuner):
        def run_trial(self, trial):
            return float(self.hypermodel.build(trial.hyperparameters))

    def tuner(high):
        oracle = kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0)
        return Builds(oracle, hypermodel=model(high), directory=tmp_path, project_name="proj")

    tuner(4).search(verbose=0)
    with pytest.raises(ProjectError, match="'units' is Int"):
        tuner(400).search(verbose=0)
    tuner(4).search(verbose=0)  # unchanged: resumes


@pytest.mark.parametrize("oracle_name", ["random", "grid", "bayesian", "hyperband"])
def test_a_resumed_search_suggests_what_an_uninterrupted_one_would(tmp_path, oracle_name):
    pytest.importorskip("tunecore_bayes") if oracle_name in ("bayesian", "hyperband") else None

    def loss(hp):
        return (hp.Float("x", -2.0, 2.0) - 0.5) ** 2 + hp.Int("n", 1, 6) / 10

    def run(directory, max_trials):
        kwargs = {"max_epochs": 9} if oracle_name == "hyperband" else {}
        return kt.tune(loss, max_trials=max_trials, oracle=oracle_name, seed=7, verbose=0,
                       directory=directory, project_name="p", **kwargs)

    whole = run(tmp_path / "whole", 16)
    run(tmp_path / "split", 8)
    resumed = run(tmp_path / "split", 16)
    assert [t.hyperparameters.values for t in resumed.oracle.trials.values()] == [
        t.hyperparameters.values for t in whole.oracle.trials.values()
    ]


def test_the_journal_stays_small_per_trial(tmp_path):
    def fn(hp):
        return hp.Float("x", 0.0, 1.0) + hp.Int("n", 1, 10) + len(hp.Choice("c", ["a", "b", "c"]))

    kt.tune(fn, max_trials=200, seed=0, verbose=0, directory=tmp_path, project_name="p")
    size = os.path.getsize(tmp_path / "p" / "journal.jsonl")
    assert size / 200 < 300


def test_a_large_choice_is_recorded_once_not_per_trial(tmp_path):
    values = [f"v{i}" for i in range(10_000)]

    def fn(hp):
        return float(len(hp.Choice("c", values))) + hp.Float("x", 0.0, 1.0)

    sizes = []
    for max_trials in (5, 15):
        kt.tune(fn, max_trials=max_trials, seed=0, verbose=0, directory=tmp_path, project_name="p")
        sizes.append(os.path.getsize(tmp_path / "p" / "journal.jsonl"))
    assert (sizes[1] - sizes[0]) / 10 < 300
    assert len(kt.load(tmp_path / "p").trials) == 15


# Links and odd entries inside the project -------------------------------------------

@pytest.fixture
def outside(tmp_path):
    """A folder outside the project, with a file whose bytes must never change."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    return folder


def _refused_everywhere(root, match, outside):
    before = _snapshot(outside)
    with pytest.raises(ProjectError, match=match):
        _tuner(root).search(verbose=0)
    with pytest.raises(ProjectError, match=match):
        kt.load(root / "proj")
    assert _snapshot(outside) == before


@pytest.mark.parametrize("target", ["precious.txt", "missing.jsonl", "journal.jsonl"])
def test_a_journal_that_is_a_symlink_is_refused_and_nothing_outside_is_written(tmp_path, outside, target):
    _tuner(tmp_path / "elsewhere").search(verbose=0)  # a real journal to point at
    os.replace(tmp_path / "elsewhere" / "proj" / "journal.jsonl", outside / "journal.jsonl")
    (tmp_path / "root" / "proj").mkdir(parents=True)
    os.symlink(outside / target, tmp_path / "root" / "proj" / "journal.jsonl")
    _refused_everywhere(tmp_path / "root", r"The project journal '.*journal\.jsonl' is a link", outside)
    assert not (outside / "missing.jsonl").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_journal_that_is_a_fifo_or_a_folder_is_refused_without_waiting(tmp_path, outside):
    project = tmp_path / "root" / "proj"
    project.mkdir(parents=True)
    os.mkfifo(project / "journal.jsonl")
    _refused_everywhere(tmp_path / "root", "is not a plain file", outside)
    os.remove(project / "journal.jsonl")
    (project / "journal.jsonl").mkdir()
    _refused_everywhere(tmp_path / "root", "is not a plain file", outside)


def test_a_journal_hard_linked_to_a_file_outside_is_never_written(tmp_path, outside):
    _tuner(tmp_path / "root", max_trials=2).search(verbose=0)
    journal = tmp_path / "root" / "proj" / "journal.jsonl"
    os.link(journal, outside / "linked.jsonl")
    before = _snapshot(outside)
    with pytest.raises(ProjectError, match="is a hard link to a file that has other names"):
        _tuner(tmp_path / "root").search(verbose=0)
    assert _snapshot(outside) == before
    assert len(kt.load(tmp_path / "root" / "proj").trials) == 2  # reading writes nothing: allowed


@pytest.mark.parametrize("points_to", ["outside", "a trial folder inside"])
def test_a_trial_folder_that_is_a_symlink_is_refused_naming_it(tmp_path, outside, points_to):
    tuner = _tuner(tmp_path)
    inside = tuner.get_trial_dir("01")
    target = outside if points_to == "outside" else inside
    os.symlink(target, os.path.join(tuner.project_dir, "trial_00"))
    before = _snapshot(outside)
    with pytest.raises(ProjectError, match=r"The folder of trial '00' '.*trial_00' is a link"):
        tuner.get_trial_dir("00")
    (tmp_path / "proj" / "trial_02").write_text("a file")
    with pytest.raises(ProjectError, match=r"The folder of trial '02' '.*trial_02' is not a folder"):
        tuner.get_trial_dir("02")
    assert _snapshot(outside) == before


def test_overwrite_removes_links_in_the_project_never_what_they_point_to(tmp_path, outside):
    _tuner(tmp_path).search(verbose=0)
    project = tmp_path / "proj"
    os.symlink(outside, project / "trial_00")
    os.symlink(outside / "precious.txt", project / "trial_01")
    before = _snapshot(outside)
    fresh = _tuner(tmp_path, overwrite=True)
    assert fresh.oracle.trials == {}
    assert not os.path.lexists(project / "trial_00") and not os.path.lexists(project / "trial_01")
    assert _snapshot(outside) == before

    os.remove(project / "journal.jsonl")
    os.symlink(outside / "precious.txt", project / "journal.jsonl")
    fresh = _tuner(tmp_path, overwrite=True)
    fresh.search(verbose=0)
    assert not os.path.islink(project / "journal.jsonl") and len(kt.load(project).trials) == 4
    assert _snapshot(outside) == before


def test_a_search_whose_trial_meets_a_linked_trial_folder_stops_naming_it(tmp_path, outside):
    class Saves(Quick):
        def run_trial(self, trial):
            with open(os.path.join(self.get_trial_dir(trial.trial_id), "model.txt"), "w") as f:
                f.write("weights")
            return super().run_trial(trial)

    tuner = _tuner(tmp_path, cls=Saves)
    os.symlink(outside, os.path.join(tuner.project_dir, "trial_00"))
    before = _snapshot(outside)
    with pytest.raises(ProjectError, match=r"Trial 00 stopped the search .*The folder of trial '00' .* is a link"):
        tuner.search(verbose=0)
    assert _snapshot(outside) == before
    assert kt.load(tmp_path / "proj").trials["00"].status == TrialStatus.FAILED
