import importlib
import importlib.util
import sys
import textwrap

import pytest

from tunecore import plugins


@pytest.fixture
def fresh_plugins(monkeypatch):
    """Rebuild the plugin manager around a test, and again after it."""
    plugins.reset_plugin_manager()
    yield monkeypatch
    plugins.reset_plugin_manager()


@pytest.fixture
def install_plugin(tmp_path, fresh_plugins):
    """Install plugins the way pip would: modules and a dist-info with entry points.

    ``install_plugin("acme-oracle", {"acme_oracle": source}, {"acme": "acme_oracle"},
    version="1.2.3")`` writes ``acme_oracle.py`` and ``acme_oracle-1.2.3.dist-info``
    into a directory on ``sys.path``; the modules are forgotten after the test.
    """
    modules = []

    def install(distribution, sources, entry_points, version="0.1"):
        for module, source in sources.items():
            (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
            modules.append(module)
        dist = tmp_path / f"{distribution.replace('-', '_')}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
        )
        lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
        (dist / "entry_points.txt").write_text("[tunecore]\n" + lines)
        importlib.invalidate_caches()

    fresh_plugins.syspath_prepend(str(tmp_path))
    yield install
    for module in modules:
        sys.modules.pop(module, None)


def _process_pool():
    return {"executor": "process", "max_parallel_trials": 2}


def _dask_threads():
    from tunecore.executors.dask import DaskExecutor

    return {"executor": DaskExecutor(max_workers=2, processes=False)}


@pytest.fixture(params=[
    pytest.param(_process_pool, id="process"),
    pytest.param(_dask_threads, id="dask", marks=pytest.mark.skipif(
        importlib.util.find_spec("distributed") is None, reason="needs tunecore[dask]")),
])
def parallel(request):
    """A function that gives ``search()`` keyword arguments running two trials at a time."""
    return request.param


# PostgreSQL ------------------------------------------------------------------
# `.ci/run` starts a real server (.ci/postgres.sh) and exports its URL; by hand:
#   source .ci/postgres.sh && postgres_start
# Without it the PostgreSQL tests skip, except in CI (CI or
# TUNECORE_REQUIRE_POSTGRES set), where they fail: CI cannot skip them silently.


def _postgres_server_url():
    import os

    url = os.environ.get("TUNECORE_TEST_POSTGRES_URL")
    if not url:
        message = ("no PostgreSQL server: TUNECORE_TEST_POSTGRES_URL is unset "
                   "(source .ci/postgres.sh && postgres_start)")
        if os.environ.get("CI") or os.environ.get("TUNECORE_REQUIRE_POSTGRES"):
            pytest.fail(message + "; CI must run these tests")
        pytest.skip(message)
    return url


@pytest.fixture
def postgres_url():
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    import uuid

    sqlalchemy = pytest.importorskip("sqlalchemy")
    server = sqlalchemy.engine.make_url(_postgres_server_url()).set(drivername="postgresql+psycopg")
    name = f"tc_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    finally:
        admin.dispose()  # the server may have been restarted meanwhile
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
