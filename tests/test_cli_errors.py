"""Every command, every bad input: one line on stderr, a non-zero exit, no traceback; reading never writes."""

import hashlib
import importlib.util
import os
import subprocess
import sys

import pytest

import tunecore as kt
from tunecore.cli import main
from tunecore.storage import read_events, write_events

HAS_PANDAS = importlib.util.find_spec("pandas") is not None
HAS_DASHBOARD = importlib.util.find_spec("tunecore_optuna") is not None
HAS_SQL = importlib.util.find_spec("sqlalchemy") is not None


def _search(directory, name="p"):
    """A finished project with a completed, a failed and a pruned trial."""
    calls = []

    def fn(hp, trial):
        x = hp.Int("x", 0, 100)
        calls.append(x)
        if len(calls) == 2:
            raise ValueError("this one fails")
        for step in range(3):
            trial.report(step, loss=x / 100 + step)
        return {"loss": x / 100}

    kt.tune(fn, objective="loss", max_trials=6, seed=0, directory=directory, project_name=name,
            pruner=kt.pruners.MedianPruner(warmup_steps=0, min_trials=2), verbose=0)
    return os.path.join(directory, name)


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """A folder holding a good project ``p``, a corrupt one, a journal that is a folder, a plain file
    and an empty folder, a link to ``p`` and a read-only folder."""
    root = tmp_path_factory.mktemp("place")
    _search(str(root))
    (root / "corrupt").mkdir()
    (root / "corrupt" / "journal.jsonl").write_text("not a journal\n")
    (root / "journal_is_a_folder" / "journal.jsonl").mkdir(parents=True)
    (root / "notes.txt").write_text("not a project\n")
    (root / "empty").mkdir()
    (root / "link_to_p").symlink_to(root / "p")
    (root / "read_only").mkdir(mode=0o500)
    (root / "journal_is_a_link").mkdir()
    (root / "journal_is_a_link" / "journal.jsonl").symlink_to(root / "p" / "journal.jsonl")
    (root / "journal_is_a_pipe").mkdir()
    os.mkfifo(root / "journal_is_a_pipe" / "journal.jsonl")  # reading it must not wait for a writer
    (root / "link_into_p.csv").symlink_to(root / "p" / "journal.jsonl")
    (root / "not_a.db").write_text("not a database\n")
    header, events = read_events(root / "p")
    for name, changed in {"no_objective": {}, "objective_of_a_number": {"objective": 42},
                          "constraint_of_a_number": {"constraints": [1]}}.items():
        crafted = {key: value for key, value in header.items() if key != "objective"}
        (root / name).mkdir()
        write_events(root / name, {**crafted, **changed}, events)  # every check valid: only the header is wrong
    if HAS_SQL:
        from tunecore.storage.sql import SQLStorage

        kt.tune(_loss_of_x, objective="loss", max_trials=2, seed=0, verbose=0,
                storage=SQLStorage(f"sqlite:///{root / 'good.db'}", project_name="p"))
        (root / "damaged.db").write_bytes((root / "good.db").read_bytes()[:2048])
    return root


BAD_PROJECTS = {  # the bad input -> the project argument that carries it
    "nonexistent project": "missing",
    "foreign file": "notes.txt",
    "foreign folder": "empty",
    "corrupt journal": "corrupt",
    "journal is a folder": "journal_is_a_folder",
    "journal is a link": "journal_is_a_link",
    "journal is a pipe": "journal_is_a_pipe",
    "header without an objective": "no_objective",
    "header with a number for objective": "objective_of_a_number",
    "header with a number for constraint": "constraint_of_a_number",
}
BAD_URLS = {  # a project in a database, named by a URL
    "missing database": ["sqlite:///missing.db"],
    "not a database": ["sqlite:///not_a.db"],
    "damaged database": ["sqlite:///damaged.db"],
    "unknown database": ["nosuch://host/db"],
    "in-memory database": ["sqlite://"],
}
BAD_OUTPUTS = {  # export's bad outputs
    "missing output folder": "missing_dir/t.csv",
    "directory as a file": "empty",
    "full disk": "/dev/full",
    "output inside the project": "p/t.csv",
    "output on the journal": "p/journal.jsonl",
    "output inside a project through a link": "link_to_p/t.csv",
    "output is a link to the journal": "link_into_p.csv",
    "unwritable folder": "read_only/t.csv",
}


def _cases():
    for command in ("summary", "export", "dashboard"):
        for bad, project in BAD_PROJECTS.items():
            yield pytest.param([command, project], id=f"{command}-{bad}")
    for bad, directory in {"nonexistent folder": "missing", "foreign file": "notes.txt",
                           "no project below": "empty", "corrupt journal": "corrupt",
                           "journal is a folder": "journal_is_a_folder",
                           "journal is a pipe": "journal_is_a_pipe"}.items():
        yield pytest.param(["list", directory, "--depth", "0"], id=f"list-{bad}")
    if HAS_SQL:
        for bad, url in BAD_URLS.items():
            for command in ("summary", "export", "dashboard", "list"):
                yield pytest.param([command, *url], id=f"{command}-{bad}")
    for bad, output in BAD_OUTPUTS.items():
        yield pytest.param(["export", "p", "-o", output], id=f"export-{bad}")
    yield pytest.param(["export", "p", "-o", "t.parquet", "-f", "parquet", "-o", "/dev/full"], id="export-parquet-full")
    if HAS_SQL:
        yield pytest.param(["summary", "sqlite:///good.db", "--project-name", "nope"], id="summary-no-such-project")
        yield pytest.param(["export", "sqlite:///good.db", "-o", "good.db"], id="export-over-the-database")
        yield pytest.param(["summary", "p", "--project-name", "p"], id="summary-project-name-with-a-folder")


@pytest.mark.parametrize("argv", list(_cases()))
def test_every_command_says_in_one_line_why_it_cannot(place, monkeypatch, capsys, argv):
    if argv[0] == "export" and not HAS_PANDAS:
        pytest.skip("export needs pandas")
    if argv[0] == "dashboard" and not HAS_DASHBOARD:
        pytest.skip("the dashboard needs tunecore-optuna")
    if "read_only/t.csv" in argv and os.geteuid() == 0:
        pytest.skip("root writes through permissions")
    if "parquet" in argv and importlib.util.find_spec("pyarrow") is None:
        pytest.skip("Parquet needs pyarrow")
    monkeypatch.chdir(place)
    before = _tree(place)

    status = main(argv)

    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("tunecore: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err and "unexpected" not in err
    assert _tree(place) == before


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["plugins"], ["summary", "p"], ["list", "."], ["export", "p"]])
def test_a_full_standard_output_is_one_line_too(place, argv):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    if argv[0] == "export" and not HAS_PANDAS:
        pytest.skip("export needs pandas")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "tunecore.cli", *argv], cwd=place, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert result.stderr == "tunecore: Cannot write to standard output: No space left on device.\n"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="where the system cannot say which file stdout is")
@pytest.mark.parametrize("argv", [["summary", "p"], ["list", "."], ["export", "p"]])
def test_a_standard_output_appended_to_the_journal_is_refused(place, argv):
    if argv[0] == "export" and not HAS_PANDAS:
        pytest.skip("export needs pandas")
    journal = (place / "p" / "journal.jsonl").read_bytes()
    with open(place / "p" / "journal.jsonl", "ab") as appended:  # tunecore summary p >> p/journal.jsonl
        result = subprocess.run([sys.executable, "-m", "tunecore.cli", *argv], cwd=place, stdout=appended,
                                stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("tunecore: Refusing to write to standard output") and result.stderr.count("\n") == 1
    assert (place / "p" / "journal.jsonl").read_bytes() == journal


@pytest.mark.slow
def test_a_reader_that_leaves_early_stops_the_command_quietly(place):
    if not HAS_PANDAS:
        pytest.skip("export needs pandas")
    command = [sys.executable, "-m", "tunecore.cli", "export", str(place / "p")]
    exporter = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    exporter.stdout.close()  # the reader leaves before the table is written, as `| head` may
    assert exporter.wait(120) == 141
    assert exporter.stderr.read() == b""


def test_an_unexpected_error_is_one_line_that_says_how_to_see_the_traceback(place, monkeypatch, capsys):
    monkeypatch.setattr(kt.Project, "get_best_trials", lambda self, n=1: 1 / 0)
    assert main(["summary", str(place / "p")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "unexpected ZeroDivisionError" in err and "TUNECORE_TRACEBACK=1" in err

    monkeypatch.setenv("TUNECORE_TRACEBACK", "1")
    assert main(["summary", str(place / "p")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.splitlines()[-1].startswith("tunecore: unexpected ZeroDivisionError")


def test_ctrl_c_is_one_line_and_status_130(place, monkeypatch, capsys):
    def interrupted(self, n=1):
        raise KeyboardInterrupt

    monkeypatch.setattr(kt.Project, "get_best_trials", interrupted)
    assert main(["summary", str(place / "p")]) == 130
    assert capsys.readouterr().err == "tunecore: interrupted (Ctrl-C).\n"


def test_a_usage_error_is_status_2(capsys):
    for argv in (["summary", "p", "-n", "-1"], ["list", "--depth", "many"], ["dashboard", "p", "--port", "70000"],
                 ["no-such-command"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert "error:" in capsys.readouterr().err


# reading never writes --------------------------------------------------------


def _tree(root):
    """Every entry under ``root``: its bytes' hash (or what it is), mode and modification time."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as file:
                    content = hashlib.sha256(file.read()).hexdigest()
            else:
                content = "link" if os.path.islink(path) else "folder"
            found[os.path.relpath(path, root)] = (content, info.st_mode, info.st_mtime_ns)
    return found


def test_reading_never_writes(tmp_path, capsys):
    project = _search(str(tmp_path / "runs"))
    with open(os.path.join(project, "journal.jsonl"), "ab") as journal:
        journal.write(b'{"torn": ')  # a search killed mid-write: reading must not repair it
    before = _tree(tmp_path / "runs")

    project_view = kt.load(project)
    project_view.get_best_trials(2)
    assert main(["summary", project]) == 0
    assert main(["summary", str(tmp_path / "runs")]) == 0
    assert main(["list", str(tmp_path / "runs")]) == 0
    if HAS_PANDAS:
        project_view.trials_dataframe()
        assert main(["export", project]) == 0
        assert main(["export", project, "-f", "json", "-o", str(tmp_path / "t.json")]) == 0
    if HAS_DASHBOARD:
        from tunecore_optuna.dashboard import LiveStudy

        assert LiveStudy(project).sync() == 6
    capsys.readouterr()

    assert _tree(tmp_path / "runs") == before


@pytest.mark.skipif(not HAS_SQL, reason="a database project needs tunecore[sql]")
def test_reading_a_database_never_writes_and_no_output_lands_on_it(tmp_path, capsys):
    from tunecore.storage.sql import SQLStorage

    url = f"sqlite:///{tmp_path / 'db' / 'runs.db'}"
    kt.tune(_loss_of_x, objective="loss", max_trials=3, seed=0, storage=SQLStorage(url, project_name="p"),
            verbose=0)
    before = _tree(tmp_path / "db")

    assert main(["summary", url]) == 0
    assert main(["list", url]) == 0
    kt.load(url, project_name="p").get_best_trials(1)
    if HAS_PANDAS:
        assert main(["export", url, "-o", str(tmp_path / "t.csv")]) == 0
        for output in ("runs.db", "runs.db-wal", "runs.db-shm", "runs.db-journal"):
            capsys.readouterr()
            assert main(["export", url, "-o", str(tmp_path / "db" / output)]) == 1
            err = capsys.readouterr().err
            assert err.startswith("tunecore: Refusing to write the table to") and err.count("\n") == 1
    assert _tree(tmp_path / "db") == before


def _loss_of_x(hp):
    return hp.Float("x", 0.0, 1.0)


def test_an_export_is_written_whole_or_not_at_all(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pandas", reason="export needs pandas")
    project = _search(str(tmp_path))
    output = tmp_path / "table.csv"
    output.write_text("the previous table\n")
    output.chmod(0o640)

    def disk_fails(fd):
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patch:  # the disk fails as the file is written
        patch.setattr(os, "fsync", disk_fails)
        assert main(["export", project, "-o", str(output)]) == 1
    assert capsys.readouterr().err == f"tunecore: Cannot write the table to {str(output)!r}: Input/output error.\n"
    assert output.read_text() == "the previous table\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "table.csv"]  # no temporary file left

    assert main(["export", project, "-o", str(output)]) == 0
    assert output.read_text().startswith("trial_id,status")
    assert output.stat().st_mode & 0o777 == 0o640  # the file it replaces keeps its mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "table.csv"]


def test_a_link_changed_while_the_project_is_read_cannot_lead_the_table_into_it(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pandas", reason="export needs pandas")
    project = _search(str(tmp_path / "runs"))
    (tmp_path / "out").mkdir()
    (tmp_path / "where").symlink_to(tmp_path / "out")
    journal = (tmp_path / "runs" / "p" / "journal.jsonl").read_bytes()
    read = kt.Project.trials_dataframe

    def read_then_swap(self):
        (tmp_path / "where").unlink()
        (tmp_path / "where").symlink_to(tmp_path / "runs" / "p")  # now the output path leads into the project
        return read(self)

    monkeypatch.setattr(kt.Project, "trials_dataframe", read_then_swap)
    assert main(["export", project, "-o", str(tmp_path / "where" / "journal.jsonl")]) == 1
    assert "inside the project" in capsys.readouterr().err
    assert (tmp_path / "runs" / "p" / "journal.jsonl").read_bytes() == journal
