"""``tunecore list/summary/export/dashboard`` on projects in a database: a URL, and ``--project-name``."""

import hashlib
import importlib.util

import pytest

pytest.importorskip("sqlalchemy")

import tunecore as kt  # noqa: E402
from tunecore.cli import main  # noqa: E402


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"
    return request.getfixturevalue("postgres_url")


def _search(url, name, trials):
    return kt.tune(lambda hp: (hp.Float("x", -1.0, 1.0) - 0.5) ** 2, max_trials=trials, seed=0, verbose=0,
                   storage=url, project_name=name)


def _digest(url):
    if not url.startswith("sqlite:///"):
        return None
    with open(url[len("sqlite:///"):], "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def test_list_shows_every_project_in_a_database(database_url, capsys):
    _search(database_url, "alpha", 2)
    _search(database_url, "beta", 3)
    before = _digest(database_url)
    assert main(["list", database_url]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert set(rows) == {"alpha", "beta"}
    assert rows["beta"][2:4] == ["3", "3"]  # trials, completed
    assert _digest(database_url) == before, "reading a database never writes to it"


def test_summary_and_export_of_a_project_in_a_database(database_url, capsys):
    tuner = _search(database_url, "alpha", 4)
    _search(database_url, "beta", 2)
    assert main(["summary", database_url, "--project-name", "alpha", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "Showing 2 best trials" in out and "(project 'alpha')" in out
    assert f"Trial {tuner.oracle.get_best_trials(1)[0].trial_id} summary" in out
    if importlib.util.find_spec("pandas") is not None:
        assert main(["export", database_url, "--project-name", "beta"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 3 and lines[0].startswith("trial_id")


def test_summary_of_a_database_of_several_projects_lists_them(database_url, capsys):
    _search(database_url, "alpha", 1)
    _search(database_url, "beta", 1)
    assert main(["summary", database_url]) == 0
    out = capsys.readouterr().out
    assert "holds 2 projects" in out and "alpha" in out and "--project-name NAME" in out


def test_a_database_of_one_project_needs_no_name(database_url, capsys):
    _search(database_url, "only", 2)
    assert main(["summary", database_url]) == 0
    assert "(project 'only')" in capsys.readouterr().out


def test_wrong_names_are_one_line_and_exit_1(database_url, tmp_path, capsys):
    _search(database_url, "alpha", 1)
    _search(database_url, "beta", 1)
    cases = [
        (["summary", database_url, "--project-name", "gamma"], "holds no tunecore project 'gamma'"),
        (["export", database_url], "name one with --project-name"),
        (["summary", str(tmp_path), "--project-name", "alpha"], "is a folder"),
        (["list", f"sqlite:///{tmp_path}/missing.db"], "no file"),
    ]
    for argv, message in cases:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


def test_the_password_is_masked_in_every_command(postgres_url, capsys):
    import sqlalchemy

    password = sqlalchemy.engine.make_url(postgres_url).password
    _search(postgres_url, "alpha", 2)
    outputs = []
    for argv in (["list", postgres_url], ["summary", postgres_url], ["summary", postgres_url, "--project-name", "x"],
                 ["export", postgres_url, "--project-name", "alpha"]):
        main(argv)
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
    assert all(password not in text for text in outputs)
    assert any("***" in text for text in outputs)


def test_the_dashboard_follows_a_project_in_a_database(database_url):
    pytest.importorskip("tunecore_optuna")
    from tunecore_optuna.dashboard import LiveStudy

    _search(database_url, "alpha", 2)
    live = LiveStudy(database_url, project_name="alpha")
    assert "***" in live.path or "@" not in live.path
    assert live.sync() == 2
    assert live.sync() == 0, "nothing changed"
    _search(database_url, "alpha", 3)
    assert live.sync() == 1
    assert len(live.storage.get_all_trials(live.study_id)) == 3
    assert live.storage.get_all_studies()[0].study_name == "alpha"
