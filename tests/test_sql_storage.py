"""Projects in a database (SQLite and a real PostgreSQL server): the storage contract, many
drivers on one project, many projects in one database, ``storage=`` URLs, and passwords kept secret."""

import json
import os
import subprocess
import sys
import threading

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")

import tunecore  # noqa: E402
from tunecore.errors import InvalidArgumentError, ProjectError  # noqa: E402
from tunecore.storage import SQLStorage, is_url, mask_url, resolve_storage  # noqa: E402
from tunecore.storage.sql import list_projects, read_project  # noqa: E402
from tunecore.testing import StorageConformance  # noqa: E402

HEADER = {"oracle": "tunecore.oracles.random.RandomSearch", "objective": {"name": "loss", "direction": "min"}}


class TestSQLiteStorage(StorageConformance):
    shared = True

    @pytest.fixture
    def make_storage(self):
        return lambda location: SQLStorage(f"sqlite:///{location}/runs.db", "project")


class TestPostgreSQLStorage(StorageConformance):
    shared = True

    @pytest.fixture
    def make_storage(self, postgres_url):
        return lambda location: SQLStorage(postgres_url, "project")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A URL of an empty database, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"
    return request.getfixturevalue("postgres_url")


def _event(n, **fields):
    return {"event": "metrics", "time": float(n), "trial_id": f"{n:02d}", "step": 0, "metrics": {"loss": n}, **fields}


def _loss(hp):
    x = hp.Float("x", -5.0, 5.0)
    return (x - 1.0) ** 2


# Many drivers on one project ------------------------------------------------------


def test_a_claim_succeeds_for_one_driver_only(database_url):
    first, second = SQLStorage(database_url, "search"), SQLStorage(database_url, "search")
    first.open(HEADER)
    second.open(HEADER)
    assert first.append_if_current(_event(0))
    assert not second.append_if_current(_event(1)), "second had not read first's claim"
    assert second.refresh() == [_event(0)]
    assert second.append_if_current(_event(1))
    assert first.refresh() == [_event(1)]
    assert first.refresh() == []


def test_refresh_gives_only_the_other_drivers_events_in_order(database_url):
    first, second = SQLStorage(database_url, "search"), SQLStorage(database_url, "search")
    first.open(HEADER)
    second.open(HEADER)
    first.append(_event(0))
    second.append(_event(1))  # after first's, though second never read it
    first.append(_event(2))
    assert not first.append_if_current(_event(9)), "second's event came between"
    assert first.refresh() == [_event(1)]
    assert second.refresh() == [_event(0), _event(2)]
    assert SQLStorage(database_url, "search").open(HEADER) == [_event(0), _event(1), _event(2)]


def _open_at_once(url, drivers=6):
    """``drivers`` drivers open two projects of ``url`` at the same moment; the errors they met."""
    barrier = threading.Barrier(drivers)
    errors = []

    def start(index):
        storage = SQLStorage(url, f"search{index % 2}")
        barrier.wait()
        try:
            storage.open(HEADER)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            storage.close()

    threads = [threading.Thread(target=start, args=(i,)) for i in range(drivers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_drivers_starting_at_once_on_a_new_database_create_its_tables_once_without_retries(database_url, caplog):
    errors = _open_at_once(database_url)
    assert not errors and "trying again" not in caplog.text, (errors, caplog.text)
    assert list_projects(database_url) == ["search0", "search1"]


def test_drivers_opening_new_sqlite_databases_at_once_wait_for_the_switch_to_its_log_without_retries(tmp_path, caplog):
    # The drivers race to switch a new SQLite database to its write-ahead log, and SQLite tells the
    # losers "database is locked" at once, not through its busy timeout: one start in about 15 retried.
    for index in range(30):
        assert not _open_at_once(f"sqlite:///{tmp_path}/runs{index}.db")
    assert "trying again" not in caplog.text, caplog.text


def test_drivers_appending_at_once_lose_nothing(database_url):
    storages = [SQLStorage(database_url, "search") for _ in range(4)]
    for storage in storages:
        storage.open(HEADER)

    def append(index, storage):
        for n in range(25):
            storage.append(_event(index * 100 + n))

    threads = [threading.Thread(target=append, args=(i, s)) for i, s in enumerate(storages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorded = SQLStorage(database_url, "search").open(HEADER)
    assert sorted(e["time"] for e in recorded) == sorted(float(i * 100 + n) for i in range(4) for n in range(25))
    for index, storage in enumerate(storages):  # each driver hears every other's events, once
        others = sorted(float(i * 100 + n) for i in range(4) if i != index for n in range(25))
        assert sorted(e["time"] for e in storage.refresh()) == others


def test_heartbeats_are_seen_by_every_driver(database_url):
    first, second = SQLStorage(database_url, "search"), SQLStorage(database_url, "search")
    first.open(HEADER)
    second.open(HEADER)
    assert second.heartbeats() == {}
    first.heartbeat("03")
    beat = second.heartbeats()["03"]
    first.heartbeat("03")
    assert second.heartbeats()["03"] >= beat
    assert set(second.heartbeats()) == {"03"}
    other = SQLStorage(database_url, "other")
    other.open(HEADER)
    assert other.heartbeats() == {}, "each project has its own"


def test_a_database_storage_is_shared_and_says_where_it_is(tmp_path):
    storage = SQLStorage(f"sqlite:///{tmp_path}/runs.db", "mnist", heartbeat_interval=5)
    assert storage.shared and storage.project_dir is None
    assert storage.heartbeat_interval == 5
    assert "runs.db" in storage.location and "mnist" in storage.location


# One database, many projects ------------------------------------------------------


def test_one_database_holds_many_searches(database_url):
    for name, trials in (("alpha", 3), ("beta", 5)):
        tunecore.tune(_loss, max_trials=trials, storage=database_url, project_name=name, seed=1, verbose=0)
    assert list_projects(database_url) == ["alpha", "beta"]
    alpha = tunecore.load(database_url, project_name="alpha")
    beta = tunecore.load(database_url, project_name="beta")
    assert (len(alpha.trials), len(beta.trials)) == (3, 5)
    assert all(t.status == "COMPLETED" for t in beta.trials.values())
    assert alpha.get_best_trials(1)[0].score == min(t.score for t in alpha.trials.values())


def test_a_search_resumes_from_the_database(database_url):
    first = tunecore.tune(_loss, max_trials=3, storage=database_url, project_name="s", seed=2, verbose=0)
    again = tunecore.tune(_loss, max_trials=6, storage=database_url, project_name="s", seed=2, verbose=0)
    assert list(again.oracle.trials) == [f"{n:02d}" for n in range(6)]
    assert [again.oracle.trials[t].hyperparameters.values for t in first.oracle.trials] == [
        t.hyperparameters.values for t in first.oracle.trials.values()
    ]
    loaded = tunecore.load(database_url, project_name="s")
    assert {t: trial.score for t, trial in loaded.trials.items()} == {
        t: trial.score for t, trial in again.oracle.trials.items()
    }
    assert all(trial.metrics.metrics for trial in loaded.trials.values())


def test_a_search_of_another_kind_is_refused_and_overwrite_replaces_it(database_url):
    tunecore.tune(_loss, max_trials=2, storage=database_url, project_name="s", verbose=0)
    with pytest.raises(ProjectError, match="different search"):
        tunecore.tune(_loss, max_trials=2, storage=database_url, project_name="s", oracle="grid", verbose=0)
    tunecore.tune(lambda hp: hp.Int("n", 0, 3), max_trials=4, storage=database_url, project_name="s",
                  oracle="grid", overwrite=True, verbose=0)
    assert len(tunecore.load(database_url, project_name="s").trials) == 4


def test_overwrite_never_deletes_a_search_that_other_drivers_run(database_url):
    running = tunecore.oracles.RandomSearch(objective="loss", max_trials=5)
    running.open(SQLStorage(database_url, "s"))  # another driver, in the middle of its trial
    theirs = running.ask("first driver")
    try:
        with pytest.raises(ProjectError, match="overwrite=True would delete"):
            tunecore.tune(_loss, max_trials=2, storage=database_url, project_name="s", overwrite=True, verbose=0)
        running.tell(theirs.trial_id, {"loss": 1.0})
    finally:
        running.close()
    assert tunecore.load(database_url, project_name="s").trials[theirs.trial_id].status == "COMPLETED"
    # Once no driver runs a trial, overwrite=True starts afresh.
    tunecore.tune(_loss, max_trials=2, storage=database_url, project_name="s", overwrite=True, verbose=0)
    assert len(tunecore.load(database_url, project_name="s").trials) == 2


def test_a_changed_hyperparameter_is_refused_on_resume(database_url):
    def space(high):
        hp = tunecore.HyperParameters()
        hp.Float("x", -5.0, high)
        return hp

    tunecore.tune(_loss, max_trials=2, storage=database_url, project_name="s", hyperparameters=space(5.0), verbose=0)
    with pytest.raises(ProjectError, match="'x'"):
        tunecore.tune(_loss, max_trials=3, storage=database_url, project_name="s", hyperparameters=space(1.0),
                      verbose=0)


def test_every_tuner_takes_a_url(tmp_path, database_url):
    oracle = tunecore.oracles.RandomSearch(objective="loss", max_trials=2, seed=0)

    class Tuner(tunecore.BaseTuner):
        def run_trial(self, trial):
            return {"loss": _loss(trial.hyperparameters)}

    tuner = Tuner(oracle, hypermodel=lambda hp: None, storage=database_url, project_name="base",
                  directory=tmp_path / "files")
    tuner.search(verbose=0)
    assert len(tunecore.load(database_url, project_name="base").trials) == 2
    assert not os.path.exists(tmp_path / "files" / "base" / "journal.jsonl")


def test_oracle_reload_reads_the_database_again(database_url):
    tuner = tunecore.tune(_loss, max_trials=2, storage=database_url, project_name="s", verbose=0)
    tunecore.tune(_loss, max_trials=4, storage=database_url, project_name="s", verbose=0)
    tuner.oracle.reload()
    assert len(tuner.oracle.trials) == 4


# Reading changes nothing ----------------------------------------------------------


def test_loading_a_missing_file_creates_nothing(tmp_path):
    with pytest.raises(ProjectError, match="no file"):
        tunecore.load(f"sqlite:///{tmp_path}/none.db", project_name="s")
    assert os.listdir(tmp_path) == []


def test_loading_an_unknown_project_names_those_held(database_url):
    tunecore.tune(_loss, max_trials=1, storage=database_url, project_name="alpha", verbose=0)
    with pytest.raises(ProjectError, match="holds 'alpha'"):
        tunecore.load(database_url, project_name="alpah")
    assert tunecore.load(database_url).project_name == "alpha", "the only project needs no name"
    tunecore.tune(_loss, max_trials=1, storage=database_url, project_name="beta", verbose=0)
    with pytest.raises(InvalidArgumentError, match="holds 2 projects"):
        tunecore.load(database_url)


def test_a_database_of_another_application_is_not_ours(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="no tunecore"):
        list_projects(f"sqlite:///{path}")
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"hello, not a database\n", bytes(range(256)) * 20])
def test_a_search_on_a_file_that_is_not_a_database_stops_with_a_project_error(tmp_path, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(ProjectError, match="notes.db") as raised:
        tunecore.tune(_loss, max_trials=1, storage=f"sqlite:///{path}", project_name="s", verbose=0)
    assert "not a database" in str(raised.value) and "sqlalche.me" not in str(raised.value)
    assert not isinstance(raised.value, ConnectionError), "waiting will not make it a database"
    assert path.read_bytes() == content


def test_a_database_path_that_is_a_folder_or_a_dangling_link_is_refused_at_once(tmp_path, caplog):
    (tmp_path / "folder.db").mkdir()
    os.symlink(tmp_path / "gone" / "runs.db", tmp_path / "dangling.db")
    for name in ("folder.db", "dangling.db"):
        with pytest.raises(ProjectError, match=name) as raised:
            tunecore.tune(_loss, max_trials=1, storage=f"sqlite:///{tmp_path / name}", project_name="s", verbose=0)
        assert not isinstance(raised.value, ConnectionError), "waiting will not make it a file"
    assert "trying again" not in caplog.text
    assert not (tmp_path / "gone").exists()


def test_a_database_reached_through_a_symbolic_link_is_the_linked_one(tmp_path):
    tunecore.tune(_loss, max_trials=2, storage=f"sqlite:///{tmp_path}/runs.db", project_name="s", verbose=0)
    os.symlink(tmp_path / "runs.db", tmp_path / "link.db")
    tunecore.tune(_loss, max_trials=3, storage=f"sqlite:///{tmp_path}/link.db", project_name="s", verbose=0)
    assert len(tunecore.load(f"sqlite:///{tmp_path}/runs.db", project_name="s").trials) == 3
    assert os.path.islink(tmp_path / "link.db")


def test_a_schema_from_a_newer_tunecore_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path}/runs.db"
    SQLStorage(url, "s").open(HEADER)
    import sqlite3

    with sqlite3.connect(tmp_path / "runs.db") as conn:
        conn.execute("UPDATE tunecore_alembic_version SET version_num = '9999'")
    with pytest.raises(ProjectError, match="newer"):
        SQLStorage(url, "s").open(HEADER)
    for read in (lambda: tunecore.load(url, project_name="s"), lambda: list_projects(url),
                 lambda: read_project(url, "s")):  # readers too: what they would read may mean something else
        with pytest.raises(ProjectError, match="newer"):
            read()


def test_the_schema_version_is_the_migrations_head(tmp_path):
    from alembic.script import ScriptDirectory

    from tunecore.storage import sql_schema
    from tunecore.storage.sql import _MIGRATIONS

    assert ScriptDirectory(_MIGRATIONS).get_current_head() == sql_schema.SCHEMA_VERSION


def test_the_migrated_tables_are_the_declared_ones(database_url):
    import sqlalchemy

    from tunecore.storage import sql_schema

    SQLStorage(database_url, "s").open(HEADER)
    engine = sqlalchemy.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    inspector = sqlalchemy.inspect(engine)
    for table in sql_schema.metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
        assert set(inspector.get_pk_constraint(table.name)["constrained_columns"]) == {
            c.name for c in table.primary_key.columns
        }
    engine.dispose()


def test_import_tunecore_does_not_import_sqlalchemy():
    code = "import sys, tunecore, tunecore.storage; print('sqlalchemy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


# storage= ---------------------------------------------------------------------------


def test_storage_names_a_url_a_storage_or_nothing(tmp_path):
    assert isinstance(resolve_storage(f"sqlite:///{tmp_path}/x.db", tmp_path, "p"), SQLStorage)
    given = SQLStorage(f"sqlite:///{tmp_path}/x.db", "q")
    assert resolve_storage(given, tmp_path, "p") is given
    assert resolve_storage(None, tmp_path, "p").project_dir == os.path.join(tmp_path, "p")
    with pytest.raises(InvalidArgumentError, match="neither a database URL"):
        resolve_storage("runs.db", tmp_path, "p")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("url, shown", [
    ("postgresql://ann:s3cr3t@db:5432/tc", "postgresql://ann:***@db:5432/tc"),
    ("postgresql+psycopg://ann:p:w@db/tc", "postgresql+psycopg://ann:***@db/tc"),
    ("postgresql://ann@db/tc", "postgresql://ann@db/tc"),
    ("postgresql://db/tc?user=ann&password=s3cr3t&sslmode=require",
     "postgresql://db/tc?user=ann&password=***&sslmode=require"),
    ("sqlite:///runs.db", "sqlite:///runs.db"),
    ("sqlite:////data/me@work/runs.db", "sqlite:////data/me@work/runs.db"),
    # A password written with a raw '@' (it should be %40): no piece of it shows.
    ("postgresql://ann:p@ss/w@rd@db:5432/tc", "postgresql://ann:***@db:5432/tc"),
    ("postgresql://ann:Zq%409%2F%25x@db/tc", "postgresql://ann:***@db/tc"),
])
def test_a_url_is_shown_without_its_password(url, shown):
    assert is_url(url)
    assert mask_url(url) == shown


def test_paths_are_not_urls():
    assert not any(is_url(p) for p in ("runs.db", "/tmp/x", r"C:\runs", "dir/sqlite:///x", None))


# Secrets stay secret ---------------------------------------------------------------


def test_the_password_never_shows(postgres_url, tmp_path, capsys, caplog):
    import sqlalchemy

    password = sqlalchemy.engine.make_url(postgres_url).password
    assert password
    unreachable = sqlalchemy.engine.make_url(postgres_url).set(port=1).render_as_string(hide_password=False)
    tuner = tunecore.tune(_loss, max_trials=2, storage=postgres_url, project_name="s", verbose=1)
    tuner.results_summary()
    storage = tuner.oracle.ledger.storage
    texts = [storage.location, repr(storage), capsys.readouterr().out, caplog.text]
    project = tunecore.load(postgres_url, project_name="s")
    texts += [repr(project), project.path, project.trials_dataframe().to_csv()]
    for bad in (lambda: tunecore.load(postgres_url, project_name="nope"),
                lambda: tunecore.tune(_loss, max_trials=2, storage=postgres_url, project_name="s", oracle="grid"),
                lambda: resolve_storage(postgres_url.replace("postgresql", "nosuchdb"), tmp_path, "s").open(HEADER),
                lambda: SQLStorage(unreachable, "s", retries=2, retry_wait=0).open(HEADER)):
        with pytest.raises(Exception) as info:
            bad()
        texts.append(str(info.value))
    texts.append(caplog.text)
    for text in texts:
        assert password not in text
    assert any("***" in text for text in texts)
    assert json.dumps(read_project(postgres_url, "s")[0]).find(password) == -1


def test_an_insert_whose_commit_was_not_confirmed_is_recorded_once(database_url, caplog):
    import sqlalchemy

    storage = SQLStorage(database_url, "search", retry_wait=0)
    storage.open(HEADER)
    lost = []

    def lose_the_answer(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO TUNECORE_EVENTS") and not lost:
            lost.append(statement)  # the row is committed (autocommit); the driver never hears it
            raise sqlalchemy.exc.OperationalError(statement, parameters, ConnectionError("server closed the connection"))

    sqlalchemy.event.listen(storage._connect(), "after_cursor_execute", lose_the_answer)
    assert storage.append_if_current(_event(0))
    storage.append(_event(1))
    assert lost and "trying again" in caplog.text
    assert SQLStorage(database_url, "search").open(HEADER) == [_event(0), _event(1)]
