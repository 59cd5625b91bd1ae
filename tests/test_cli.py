import importlib.util
import io
import json
import os
import subprocess
import sys

import pytest

import tunecore as kt
from tunecore.cli import main


def test_tunecore_plugins_lists_builtins(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "tunecore.oracles._plugin builtin — oracles: grid, random" in out
    assert "executors: dask, inprocess, process" in out


def test_tunecore_summary_reads_a_project_without_changing_it(tmp_path, capsys):
    tuner = kt.FunctionTuner(lambda hp: hp.Float("x", 0, 1), max_trials=4, seed=1,
                             directory=tmp_path, project_name="p")
    tuner.search(verbose=0)
    journal = (tmp_path / "p" / "journal.jsonl").read_bytes()
    best = tuner.oracle.get_best_trials(1)[0]

    assert main(["summary", str(tmp_path / "p"), "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "Showing 2 best trials" in out
    first = out.index("Trial ")
    assert out[first:].startswith(f"Trial {best.trial_id} summary")
    assert out.count(" summary\nHyperparameters") == 2
    assert (tmp_path / "p" / "journal.jsonl").read_bytes() == journal


def test_tunecore_summary_of_a_non_project_says_so(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tunecore.cli", "summary", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "is not a tunecore project" in result.stderr


# list, export, --version, help ---------------------------------------------------


def _project(directory, name, trials, fail_at=None):
    """A finished project of ``trials`` trials under ``directory/name``; trial ``fail_at`` fails."""
    def fn(hp):
        x = hp.Int("x", 0, 100)
        if fail_at is not None and len(tuner.oracle.trials) == fail_at + 1:
            raise ValueError("this one fails")
        return {"val_loss": x / 100}

    tuner = kt.FunctionTuner(fn, objective="val_loss", max_trials=trials, seed=0,
                             directory=directory, project_name=name)
    tuner.search(verbose=0)
    return tuner


def test_tunecore_version_lists_the_core_and_each_plugin_distribution(install_plugin, capsys):
    install_plugin("acme-oracle", {"acme_version_probe": "raise ImportError('never imported')"},
                   {"acme": "acme_version_probe"}, version="1.2.3")
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"tunecore {kt.__version__}"
    assert "acme-oracle 1.2.3" in lines[1:]


@pytest.mark.parametrize("command", [[], ["plugins"], ["summary"], ["list"], ["export"]])
def test_help_is_plain_text(command, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert "usage: tunecore" in out
    assert "`" not in out and ":class:" not in out and ":func:" not in out


def test_tunecore_list_finds_the_projects_under_a_folder(tmp_path, capsys):
    _project(tmp_path / "runs" / "a", "first", trials=3)
    _project(tmp_path / "runs" / "b" / "deeper", "second", trials=4, fail_at=1)
    (tmp_path / "runs" / "not_a_project").mkdir()

    assert main(["list", str(tmp_path / "runs")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["PROJECT", "ORACLE", "TRIALS", "COMPLETED", "FAILED", "RUNNING",
                                "STOPPED", "OBJECTIVE", "BEST"]
    first, second = (line.split() for line in lines[1:])
    assert first[:7] == ["a/first", "RandomSearch", "3", "3", "0", "0", "0"]
    assert second[:7] == ["b/deeper/second", "RandomSearch", "4", "3", "1", "0", "0"]
    assert first[7:9] == ["val_loss", "(min)"]
    best = kt.load(tmp_path / "runs" / "a" / "first").get_best_trials(1)[0].score
    assert float(first[9]) == pytest.approx(best)
    assert len(lines) == 3


def test_tunecore_list_depth_and_empty_folder(tmp_path, capsys):
    _project(tmp_path / "a" / "b" / "c", "p", trials=1)
    assert main(["list", str(tmp_path), "--depth", "2"]) == 1
    assert "No tunecore project" in capsys.readouterr().err
    assert main(["list", str(tmp_path), "--depth", "4"]) == 0
    assert "a/b/c/p" in capsys.readouterr().out


def test_tunecore_summary_of_a_parent_folder_lists_its_projects(tmp_path, capsys):
    _project(tmp_path, "one", trials=2)
    _project(tmp_path, "two", trials=2)
    assert main(["summary", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "is not a project; it holds 2" in out
    assert "\none " in out and "\ntwo " in out


def test_tunecore_export_csv_json_parquet(tmp_path, capsys):
    pd = pytest.importorskip("pandas", reason="export needs pandas")
    _project(tmp_path, "p", trials=3, fail_at=2)
    project = str(tmp_path / "p")
    expected = kt.load(project).trials_dataframe()

    assert main(["export", project]) == 0  # CSV on standard output
    csv = capsys.readouterr().out
    assert csv.splitlines()[0].startswith("trial_id,status,score,best_step,params_x,val_loss_best")
    back = pd.read_csv(io.StringIO(csv), dtype={"trial_id": str})
    assert list(back.trial_id) == list(expected.trial_id)
    assert "this one fails" in back.message[2]  # a traceback over several lines, quoted

    assert main(["export", project, "-o", str(tmp_path / "t.json")]) == 0
    rows = json.loads((tmp_path / "t.json").read_text())
    assert [row["trial_id"] for row in rows] == list(expected.trial_id)
    assert rows[2]["status"] == "FAILED" and rows[2]["score"] is None
    assert "this one fails" in rows[2]["message"]

    if importlib.util.find_spec("pyarrow") is None:
        pytest.skip("Parquet needs pyarrow: pip install 'tunecore[parquet]'")
    assert main(["export", project, "--format", "parquet", "-o", str(tmp_path / "t.pq")]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.pq"), expected)


def test_tunecore_export_parquet_needs_a_file(tmp_path, capsys):
    _project(tmp_path, "p", trials=1)
    assert main(["export", str(tmp_path / "p"), "-f", "parquet"]) == 1
    assert "-o FILE" in capsys.readouterr().err


def test_tunecore_list_shows_an_unreadable_project_goes_on_and_exits_1(tmp_path, capsys):
    _project(tmp_path, "good", trials=1)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "journal.jsonl").write_text("not json\n")
    assert main(["list", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert err == "tunecore: 1 of 2 projects cannot be read: 'broken' (the table says why).\n"
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert rows["broken"].split()[1] == "unreadable:"
    assert rows["good"].split()[2:4] == ["1", "1"]


def test_tunecore_list_counts_the_pruned_trials(tmp_path, capsys):
    def fn(hp, trial):
        x = hp.Int("x", 0, 100)
        for step in range(4):
            trial.report(step, loss=x / 100 + step)  # raises TrialStopped when pruned
        return {"loss": x / 100}

    tuner = kt.tune(fn, objective="loss", max_trials=12, seed=0, directory=tmp_path, project_name="p",
                    pruner=kt.pruners.MedianPruner(warmup_steps=0, min_trials=2))
    stopped = sum(t.status == "STOPPED" for t in tuner.oracle.trials.values())
    assert stopped > 0
    capsys.readouterr()
    assert main(["list", str(tmp_path)]) == 0
    header, row = (line.split() for line in capsys.readouterr().out.splitlines())
    counts = dict(zip(header[2:7], row[2:7]))
    assert counts == {"TRIALS": "12", "COMPLETED": str(12 - stopped), "FAILED": "0", "RUNNING": "0",
                      "STOPPED": str(stopped)}


def _journal_bytes(project):
    return (project / "journal.jsonl").read_bytes()


@pytest.mark.parametrize("inside", ["journal.jsonl", "table.csv", "trial_00/table.csv"])
def test_tunecore_export_never_writes_into_a_project(tmp_path, capsys, inside):
    _project(tmp_path, "p", trials=2)
    _project(tmp_path, "other", trials=1)
    before = {name: _journal_bytes(tmp_path / name) for name in ("p", "other")}
    (tmp_path / "link").symlink_to(tmp_path / "other")
    for target in (tmp_path / "p" / inside, tmp_path / "other" / "t.csv", tmp_path / "link" / "t.csv"):
        assert main(["export", str(tmp_path / "p"), "-o", str(target)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("tunecore: Refusing to write the table to") and "inside the project" in err
        assert len(err.splitlines()) == 1
    assert {name: _journal_bytes(tmp_path / name) for name in ("p", "other")} == before
    assert not (tmp_path / "p" / "table.csv").exists() and not (tmp_path / "other" / "t.csv").exists()


@pytest.mark.parametrize("output, problem", [
    ("missing_dir/t.csv", "does not exist"),
    ("a_folder", "it is a folder"),
    ("/dev/full", "No space left on device"),
    ("read_only/t.csv", "Permission denied"),
])
def test_tunecore_export_says_in_one_line_why_it_cannot_write(tmp_path, monkeypatch, output, problem):
    if output == "/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    if output.startswith("read_only") and os.geteuid() == 0:
        pytest.skip("root writes through permissions")
    _project(tmp_path, "p", trials=1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "read_only").mkdir(mode=0o500)
    result = subprocess.run([sys.executable, "-m", "tunecore.cli", "export", "p", "-o", output],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("tunecore: ") and problem in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
