"""A project in a database, shared by any number of drivers: SQLite embedded, PostgreSQL for clusters.

Why a database: the journal admits one writer, and its lock depends on the
file system (NFS breaks it). The usual way to spread a search over a cluster
is the same script started many times (a SLURM array job, a Kubernetes Job),
every copy a driver; they need a store that serialises their claims. Here
each event is one row, numbered per project without gaps (see
:mod:`tunecore.storage.sql_schema`); a driver that appends "if current"
inserts at the number after the last it read, and the primary key refuses
the insert when another driver got there first. That is the whole claim
protocol: one insert, no table locks.

SQLAlchemy is imported when a storage first connects (``pip install
'tunecore[sql]'``; PostgreSQL also needs ``'tunecore[postgresql]'``), so
``import tunecore`` stays light. The schema is created, or upgraded, with
Alembic when a storage opens a project; reading (:func:`read_project`,
:func:`list_projects`) never creates or changes anything.

A lost connection (a server restarted, a network blip) is retried a bounded
number of times, a short wait apart, and then stops the search with a
:class:`~tunecore.errors.StorageUnavailableError` naming the database (its
password masked); an insert whose commit went unconfirmed is checked on
retry, so an event is never lost or recorded twice. SQLite runs in WAL mode
with a busy timeout, so drivers on one machine read while one writes.
"""

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from tunecore.errors import (
    InvalidArgumentError,
    MissingDependencyError,
    ProjectError,
    StorageUnavailableError,
)
from tunecore.optional import optional_import
from tunecore.storage import records
from tunecore.storage.base import Event, Storage, refuse_other_search
from tunecore.storage.urls import mask_url

logger = logging.getLogger("tunecore")

_T = TypeVar("_T")
_MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
#: Seconds an SQLite connection waits for another driver's write before giving up.
SQLITE_BUSY_TIMEOUT = 60.0
#: Seconds a connection to a database server may take (an unreachable host fails then, not minutes later).
CONNECT_TIMEOUT = 10
_MAX_APPEND_RACES = 1000


class SQLStorage(Storage):
    """Keeps a project's events in a database that any number of drivers share.

    Args:
        url: A SQLAlchemy URL: ``sqlite:///path/to/runs.db`` (the folder is
            created), ``postgresql://user:password@host:5432/database``
            (through psycopg 3; ``postgresql+psycopg2://`` picks psycopg2).
        project_name: The search's name in the database; one database holds
            any number of projects.
        heartbeat_interval: Seconds between heartbeats of a running trial.
        grace_period: Seconds without a heartbeat after which a RUNNING trial
            is stale (default: twice the interval).
        retries: Tries of one operation when the connection is lost, before
            :class:`~tunecore.errors.StorageUnavailableError`.
        retry_wait: Seconds between two tries.
        engine_kwargs: Passed to ``sqlalchemy.create_engine`` (pool sizes...).
    """

    shared = True

    def __init__(self, url: str, project_name: str = "untitled_project", *,
                 heartbeat_interval: float | None = None, grace_period: float | None = None,
                 retries: int = 4, retry_wait: float = 0.5, engine_kwargs: dict[str, Any] | None = None) -> None:
        if not isinstance(url, str) or "://" not in url:
            raise InvalidArgumentError(
                f"SQLStorage takes a database URL such as 'sqlite:///runs.db' or "
                f"'postgresql://user:password@host/database'; got {mask_url(str(url))!r}."
            )
        if not isinstance(project_name, str) or not project_name or len(project_name) > 255:
            raise InvalidArgumentError(
                f"project_name must be a non-empty string of at most 255 characters; got {project_name!r}."
            )
        if retries < 1:
            raise InvalidArgumentError(f"retries must be at least 1; got {retries!r}.")
        self.url = url
        self.project_name = project_name
        if heartbeat_interval is not None:
            self.heartbeat_interval = heartbeat_interval
        if grace_period is not None:
            self.grace_period = grace_period
        self.retries = retries
        self.retry_wait = retry_wait
        self._engine_kwargs = dict(engine_kwargs or {})
        self._engine: Any = None
        self._engine_lock = threading.Lock()
        self._project_id: int | None = None
        self._cursor = 0  # every event numbered up to here is known to this driver
        self._mine: set[int] = set()  # this driver's events after the cursor (others' came between)

    @property
    def location(self) -> str:
        """The database URL, password masked, and the project: for messages."""
        return f"{mask_url(self.url)} (project {self.project_name!r})"

    def __repr__(self) -> str:
        return f"SQLStorage({mask_url(self.url)!r}, project_name={self.project_name!r})"

    # The contract ------------------------------------------------------------

    def open(self, header: dict[str, Any], overwrite: bool = False) -> list[Event]:
        """Open the project (see :meth:`Storage.open`), creating the schema and the project if needed.

        ``overwrite`` deletes the project's events and heartbeats (and only
        this project's) and records the new header.
        """
        sa = _sqlalchemy()
        schema = _schema()
        self.upgrade()
        text = json.dumps(header, sort_keys=True)

        def find_or_create(conn: Any) -> tuple[int, dict[str, Any] | None]:
            row = conn.execute(
                sa.select(schema.projects.c.id, schema.projects.c.header)
                .where(schema.projects.c.name == self.project_name)
            ).first()
            if row is not None:
                return row.id, json.loads(row.header)
            result = conn.execute(schema.projects.insert().values(
                name=self.project_name, header=text, created=time.time()))
            return result.inserted_primary_key[0], None

        try:
            project_id, stored = self._run("open the project", find_or_create)
        except sa.exc.IntegrityError:  # another driver created it at the same moment
            project_id, stored = self._run("open the project", find_or_create)
        if stored is not None and overwrite:
            self._project_id, self._cursor, self._mine = project_id, 0, set()
            self._refuse_to_wipe_live_drivers(self._read_new())

            def wipe(conn: Any) -> None:
                for table in (schema.events, schema.heartbeats):
                    conn.execute(table.delete().where(table.c.project_id == project_id))
                conn.execute(schema.projects.update().where(schema.projects.c.id == project_id)
                             .values(header=text))
            self._run("overwrite the project", wipe, transaction=True)
            stored = None
        if stored is not None:
            refuse_other_search(stored, header, f"The project {self.project_name!r} in {mask_url(self.url)}")
        self._project_id = project_id
        self._cursor, self._mine = 0, set()
        return self._read_new()

    def _refuse_to_wipe_live_drivers(self, recorded: list[Event]) -> None:
        """Raise if a driver still runs a trial of the project (it started, reported or beat within the grace period).

        ``overwrite=True`` in a script started many times (a SLURM array job)
        would otherwise delete the search under the drivers started first.
        """
        signs: dict[str, float] = {}
        for event in recorded:
            kind, trial_id = event.get("event"), str(event.get("trial_id"))
            if kind == "trial" or (kind == "metrics" and trial_id in signs):
                signs[trial_id] = max(signs.get(trial_id, 0.0), float(event.get("time", 0.0)))
            elif kind == "end":
                signs.pop(trial_id, None)
        beats = self.heartbeats()
        grace = 2.0 * self.heartbeat_interval if self.grace_period is None else float(self.grace_period)
        now = time.time()
        live = sorted(t for t, last in signs.items() if now - max(last, beats.get(t, 0.0)) <= grace)
        if live:
            raise ProjectError(
                f"overwrite=True would delete the project {self.location} while other drivers run its "
                f"trials {', '.join(live)} (a sign of life within grace_period={grace:g}s). A driver that "
                "joins a running search must not pass overwrite=True; to start afresh, stop the "
                "search first (tuner.stop(everywhere=True)) or use another project_name."
            )

    def append(self, event: Event, sync: bool = False) -> None:
        """Record one event after every event in the project (see :meth:`Storage.append`)."""
        data = self._encode(event)
        seq = max(self._mine, default=self._cursor) + 1
        for _ in range(_MAX_APPEND_RACES):
            if self._insert(seq, data, sync):
                if seq == self._cursor + 1 and not self._mine:
                    self._cursor = seq
                else:
                    self._mine.add(seq)
                return
            seq = self._last_seq() + 1  # another driver appended there first: go after it
        raise StorageUnavailableError(
            f"Could not append to {self.location}: other drivers took {_MAX_APPEND_RACES} places in a row."
        )

    def append_if_current(self, event: Event, sync: bool = False) -> bool:
        """Append ``event`` only if no other driver appended since this one last read (see :class:`Storage`)."""
        if self._mine:  # others appended before this driver's last events
            return False
        seq = self._cursor + 1
        if not self._insert(seq, self._encode(event), sync):
            return False
        self._cursor = seq
        return True

    def refresh(self) -> list[Event]:
        """The events other drivers appended since this one last read or appended, in order."""
        return self._read_new()

    def heartbeat(self, trial_id: str) -> None:
        """Record the time of ``trial_id``'s heartbeat (one row per trial, updated in place)."""
        sa = _sqlalchemy()
        table = _schema().heartbeats
        project_id, now = self._opened(), time.time()

        def beat(conn: Any) -> None:
            _durable(conn, False)
            where = (table.c.project_id == project_id) & (table.c.trial_id == trial_id)
            if conn.execute(table.update().where(where).values(time=now)).rowcount == 0:
                conn.execute(table.insert().values(project_id=project_id, trial_id=trial_id, time=now))

        try:
            self._run("record a heartbeat", beat)
        except sa.exc.IntegrityError:  # its first beat, twice at once: the other one counts
            pass

    def heartbeats(self) -> dict[str, float]:
        """``{trial_id: time of its last heartbeat}`` of this project's trials that beat."""
        sa = _sqlalchemy()
        table = _schema().heartbeats
        project_id = self._opened()
        rows = self._run("read the heartbeats", lambda conn: conn.execute(
            sa.select(table.c.trial_id, table.c.time).where(table.c.project_id == project_id)).all())
        return {row.trial_id: row.time for row in rows}

    def close(self) -> None:
        """Close the connections; a later call connects again."""
        with self._engine_lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()

    # Schema ------------------------------------------------------------------

    def upgrade(self) -> None:
        """Create tunecore's tables in the database, or bring them to this version's schema (Alembic).

        Raises:
            ProjectError: the database was written by a newer tunecore.
        """
        schema = _schema()
        for attempt in range(5):
            found = self._run("read the schema version", _schema_version)
            if found == schema.SCHEMA_VERSION:
                return
            _refuse_newer(found, self.url)
            try:
                self._run("create tunecore's tables", _migrate, transaction=True)
                return
            except (ProjectError, MissingDependencyError):
                raise
            except Exception:  # another driver is creating them at the same moment
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    # Internals ---------------------------------------------------------------

    def _opened(self) -> int:
        if self._project_id is None:
            raise ProjectError(f"The project {self.location} was not opened: call open() first.")
        return self._project_id

    def _encode(self, event: Event) -> str:
        return records.encode(event).decode().rstrip("\n")

    def _insert(self, seq: int, data: str, sync: bool) -> bool:
        """Insert the event ``data`` at ``seq``: True, or False when that place is taken by another's event."""
        sa = _sqlalchemy()
        table = _schema().events
        project_id = self._opened()

        tries: list[int] = []

        def insert(conn: Any) -> None:
            tries.append(1)
            _durable(conn, sync)
            conn.execute(table.insert().values(project_id=project_id, seq=seq, data=data))

        try:
            self._run("append an event", insert)
            return True
        except sa.exc.IntegrityError:
            if len(tries) == 1:
                return False  # another driver's event is there
            # Taken by this very insert, whose commit was lost with the connection, or by another driver.
            stored = self._run("check an event", lambda conn: conn.execute(
                sa.select(table.c.data).where((table.c.project_id == project_id) & (table.c.seq == seq))
            ).scalar())
            return stored == data

    def _last_seq(self) -> int:
        sa = _sqlalchemy()
        table = _schema().events
        project_id = self._opened()
        return self._run("read the last event's number", lambda conn: conn.execute(
            sa.select(sa.func.max(table.c.seq)).where(table.c.project_id == project_id)).scalar()) or 0

    def _read_new(self) -> list[Event]:
        sa = _sqlalchemy()
        table = _schema().events
        project_id, cursor = self._opened(), self._cursor
        rows = self._run("read the events", lambda conn: conn.execute(
            sa.select(table.c.seq, table.c.data)
            .where((table.c.project_id == project_id) & (table.c.seq > cursor)).order_by(table.c.seq)).all())
        events = [_decode(row.data, row.seq, self.location) for row in rows if row.seq not in self._mine]
        if rows:
            self._cursor = rows[-1].seq
            self._mine = {seq for seq in self._mine if seq > self._cursor}
        return events

    def _connect(self) -> Any:
        with self._engine_lock:
            if self._engine is None:
                self._engine = _create_engine(self.url, self._engine_kwargs)
            return self._engine

    def _run(self, what: str, work: Callable[[Any], _T], transaction: bool = False) -> _T:
        """``work(connection)``; a lost connection is retried, then reported.

        Each statement commits on its own (one round trip: the connections are
        in autocommit mode, and every change but ``transaction`` ones is one
        statement); ``transaction=True`` runs ``work`` in one transaction.
        """
        sa = _sqlalchemy()
        for attempt in range(1, self.retries + 1):
            try:
                with self._connect().connect() as conn:
                    if not transaction:
                        return work(conn)
                    conn = conn.execution_options(isolation_level=conn.default_isolation_level)
                    with conn.begin():
                        return work(conn)
            except sa.exc.IntegrityError:
                raise  # a place taken by another driver: the callers' business
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                why = _reason(exc, self.url)
                if attempt == self.retries:
                    raise StorageUnavailableError(
                        f"Could not {what} in {self.location} after {self.retries} tries, "
                        f"{self.retry_wait:g} s apart: {why}. What was recorded before is kept in the "
                        "database; once it is reachable again, start the search again to resume it."
                    ) from None
                logger.warning("Could not %s in %s (%s); trying again in %g s (%d/%d).",
                               what, self.location, why, self.retry_wait, attempt, self.retries)
                if self._engine is not None:
                    self._engine.dispose()  # connections to a restarted server are dead
                time.sleep(self.retry_wait)
            except sa.exc.DatabaseError as exc:  # not a database, or a damaged one: waiting will not help
                raise ProjectError(
                    f"Could not {what} in {self.location}: {_reason(exc, self.url)}. It was left untouched; "
                    "name another database with storage=."
                ) from None
        raise AssertionError("unreachable")


def read_project(url: str, project_name: str) -> tuple[dict[str, Any], list[Event]]:
    """Read a project in a database without changing anything: ``(header, events)``.

    Raises:
        ProjectError: the database holds no tunecore project of that name
            (the message lists those it holds).
    """
    sa = _sqlalchemy()
    schema = _schema()
    with _reading(url) as conn:
        names = _project_names(conn, url)
        row = conn.execute(sa.select(schema.projects.c.id, schema.projects.c.header)
                           .where(schema.projects.c.name == project_name)).first()
        if row is None:
            held = ", ".join(repr(n) for n in names) if names else "none"
            raise ProjectError(
                f"{mask_url(url)} holds no tunecore project {project_name!r}; it holds {held}. "
                "Name one with project_name= (tunecore list URL shows them)."
            )
        rows = conn.execute(sa.select(schema.events.c.seq, schema.events.c.data)
                            .where(schema.events.c.project_id == row.id).order_by(schema.events.c.seq)).all()
    location = f"{mask_url(url)} (project {project_name!r})"
    return json.loads(row.header), [_decode(r.data, r.seq, location) for r in rows]


def list_projects(url: str) -> list[str]:
    """The names of the projects a database holds, sorted; reading changes nothing.

    Raises:
        ProjectError: the database holds no tunecore tables.
    """
    with _reading(url) as conn:
        return _project_names(conn, url)


def last_event(url: str, project_name: str) -> int:
    """The number of the last event of a project in a database (0: none yet); reading changes nothing.

    Cheap: a reader polls it to re-read a project only when it changed (``tunecore dashboard``).

    Raises:
        ProjectError: the database holds no tunecore project ``project_name``.
    """
    sa = _sqlalchemy()
    schema = _schema()
    with _reading(url) as conn:
        _project_names(conn, url)
        found = conn.execute(
            sa.select(sa.func.max(schema.events.c.seq))
            .select_from(schema.events.join(schema.projects))
            .where(schema.projects.c.name == project_name)
        ).scalar()
    return int(found or 0)


@contextlib.contextmanager
def _reading(url: str) -> Iterator[Any]:
    """A connection for a reader; a database that cannot be read is one clear error, the engine always closed."""
    sa = _sqlalchemy()
    engine = _create_engine(url, {}, writing=False)
    try:
        with engine.connect() as conn:
            yield conn
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise StorageUnavailableError(f"Cannot read {mask_url(url)}: {_reason(exc, url)}.") from None
    except sa.exc.DatabaseError as exc:  # not a database, or a damaged one: waiting will not help
        raise ProjectError(f"Cannot read {mask_url(url)}: {_reason(exc, url)}. It was left untouched.") from None
    finally:
        engine.dispose()


def _project_names(conn: Any, url: str) -> list[str]:
    sa = _sqlalchemy()
    schema = _schema()
    if not sa.inspect(conn).has_table(schema.projects.name):
        raise ProjectError(f"{mask_url(url)} holds no tunecore project (it has no tunecore tables).")
    _refuse_newer(_schema_version(conn), url)
    return sorted(conn.execute(sa.select(schema.projects.c.name)).scalars())


def _refuse_newer(found: str | None, url: str) -> None:
    """Raise if the database's schema is ``found``, newer than this tunecore's (whose reading could be wrong)."""
    current = _schema().SCHEMA_VERSION
    if found is not None and found > current:
        raise ProjectError(
            f"{mask_url(url)} holds tunecore's schema {found}, newer than this version's "
            f"({current}): upgrade tunecore to read it."
        )


def _decode(data: str, seq: int, location: str) -> Event:
    event, why = records.decode(data.encode())
    if event is None:
        raise ProjectError(f"Event {seq} of {location} is not a valid record: {why}. It was left untouched.")
    return event


def _sqlalchemy() -> Any:
    return optional_import("sqlalchemy", "sql")


def _schema() -> Any:
    _sqlalchemy()  # the hint to install it, before the schema module imports it
    from tunecore.storage import sql_schema
    return sql_schema


def _schema_version(conn: Any) -> str | None:
    sa = _sqlalchemy()
    schema = _schema()
    if not sa.inspect(conn).has_table(schema.VERSION_TABLE):
        return None
    return conn.execute(sa.text(f"SELECT version_num FROM {schema.VERSION_TABLE}")).scalar()


def _migrate(conn: Any) -> None:
    optional_import("alembic", "sql")
    from alembic import command
    from alembic.config import Config

    # One driver creates the tables; the others wait for it, then find them made.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7046329181)")
    elif conn.dialect.name == "sqlite":  # its deferred BEGIN takes no lock: two drivers would both create
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _create_engine(url: str, kwargs: dict[str, Any], writing: bool = True) -> Any:
    """An engine for ``url``; one that is not ``writing`` creates no file or folder and sets no mode."""
    sa = _sqlalchemy()
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise InvalidArgumentError(
            f"{mask_url(url)!r} is not a database URL SQLAlchemy reads; write it as "
            "'sqlite:///path/to/runs.db' or 'postgresql://user:password@host:5432/database'."
        ) from None
    if parsed.drivername == "postgresql":  # tunecore[postgresql] installs psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    options = dict(kwargs)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            raise InvalidArgumentError(
                f"{mask_url(url)!r} is an in-memory SQLite database, which each connection sees "
                "empty; name a file: 'sqlite:///path/to/runs.db'."
            )
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path) or (os.path.islink(path) and not os.path.exists(path)):
            what = "a folder" if os.path.isdir(path) else f"a link to {os.readlink(path)!r}, which does not exist"
            raise ProjectError(f"{mask_url(url)} names {what}, not a database file; name a file: "
                               "'sqlite:///path/to/runs.db'.")
        if not os.path.isdir(folder):
            if not writing:
                raise ProjectError(f"{mask_url(url)} holds no tunecore project: {folder!r} does not exist.")
            os.makedirs(folder, exist_ok=True)
        if not writing and not os.path.isfile(path):
            raise ProjectError(f"{mask_url(url)} holds no tunecore project: there is no file {path!r}.")
        options.setdefault("connect_args", {}).update(timeout=SQLITE_BUSY_TIMEOUT, check_same_thread=False)
    elif parsed.get_backend_name() == "postgresql":  # libpq's connect_timeout; none by default
        options.setdefault("connect_args", {}).setdefault("connect_timeout", CONNECT_TIMEOUT)
    # Every change is one statement, its own transaction: no BEGIN and COMMIT round trips. No
    # ping before each use either: a connection that died is retried (SQLStorage._run).
    options.setdefault("isolation_level", "AUTOCOMMIT")
    try:
        engine = sa.create_engine(parsed, **options)
    except sa.exc.NoSuchModuleError:
        raise InvalidArgumentError(
            f"{mask_url(url)!r} names a database SQLAlchemy does not know ({parsed.drivername!r}); write it as "
            "'sqlite:///path/to/runs.db' or 'postgresql://user:password@host:5432/database'."
        ) from None
    except ImportError as exc:
        extra = "postgresql" if parsed.get_backend_name() == "postgresql" else "sql"
        raise MissingDependencyError(
            f"The database driver for {mask_url(url)} is not installed ({exc}). Install it with: "
            f"pip install 'tunecore[{extra}]'"
        ) from None
    if writing and parsed.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    elif writing and parsed.get_backend_name() == "postgresql":
        sa.event.listen(engine, "connect", _postgresql_session)
    return engine


def _durable(conn: Any, sync: bool) -> None:
    """Make the next commit on ``conn`` survive a crash of the machine (``sync``), or of the process only.

    A commit that only has to survive the driver's crash need not wait for the
    database's disk: SQLite's ``synchronous=NORMAL`` in WAL mode, PostgreSQL's
    ``synchronous_commit=off`` (the server writes it out within moments; it is
    visible to the other drivers at once). Events that end trials (``sync``)
    wait for the disk: ``synchronous=FULL``, the server's own ``synchronous_commit``.
    """
    info = conn.info
    if info.get("tunecore_sync", False) == sync or conn.dialect.name not in ("sqlite", "postgresql"):
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA synchronous={'FULL' if sync else 'NORMAL'}")
    else:
        level = info.get("tunecore_server_sync", "on") if sync else "off"
        conn.exec_driver_sql(f"SET synchronous_commit TO {level}")
    info["tunecore_sync"] = sync


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    _write_ahead_log(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable against a crash of the process (see _durable)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    record.info["tunecore_sync"] = False


def _write_ahead_log(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``: readers do not wait for the writer.

    Drivers opening a new database at once race to switch it, and SQLite tells
    the losers "database is locked" at once instead of through its busy
    timeout; they wait for the winner here, as the timeout would have them wait.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _postgresql_session(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SHOW synchronous_commit")
    record.info["tunecore_server_sync"] = cursor.fetchone()[0]
    cursor.execute("SET synchronous_commit TO off")  # see _durable
    cursor.close()
    dbapi_connection.commit()
    record.info["tunecore_sync"] = False


def _reason(exc: Any, url: str) -> str:
    """The first line of a driver's error, with the URL's password (if any) blotted out."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = text[0] if text else type(exc).__name__
    try:
        password = _sqlalchemy().engine.make_url(url).password
    except Exception:
        password = None
    if password:
        reason = reason.replace(str(password), "***")
    return mask_url(reason)
