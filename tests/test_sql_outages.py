"""A PostgreSQL server that goes away mid-search: a bounded retry, then a clear error; never a silent loss.

The server is the one ``.ci/postgres.sh`` started (these tests stop and start it).
"""

import logging
import os
import subprocess
import threading

import pytest

pytest.importorskip("sqlalchemy")

import tunecore as kt  # noqa: E402
from tunecore.errors import StorageUnavailableError  # noqa: E402
from tunecore.storage import SQLStorage  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".ci", "postgres.sh")


@pytest.fixture
def server(postgres_url):
    """``server(how)``: ``"stop"`` or ``"start"`` the test server; it runs again after the test."""
    if not os.environ.get("TUNECORE_PG_DATA"):
        pytest.skip("the PostgreSQL server was not started by .ci/postgres.sh: it cannot be restarted here")

    def control(how):
        subprocess.run(["bash", "-c", f'source "{SCRIPT}" && postgres_restart {how}'], check=True,
                       capture_output=True, timeout=120)

    yield control
    status = subprocess.run(["bash", "-c", f'source "{SCRIPT}" && "$TUNECORE_PG_BIN/pg_isready" '
                             f'-h 127.0.0.1 -p "$TUNECORE_PG_PORT"'], capture_output=True)
    if status.returncode != 0:
        control("start")


def _ended(url, name):
    """``{trial_id: number of end events}`` of a project, read back from the database."""
    from tunecore.storage.sql import read_project

    counts = {}
    for event in read_project(url, name)[1]:
        if event["event"] == "end":
            counts[event["trial_id"]] = counts.get(event["trial_id"], 0) + 1
    return counts


@pytest.mark.slow
def test_a_server_restarted_mid_search_is_waited_for_and_nothing_is_lost(postgres_url, server, caplog):
    def loss(hp):
        x = hp.Float("x", -1.0, 1.0)
        if len(tuner_box[0].oracle.trials) == 3 and not restarted.is_set():
            restarted.set()
            server("stop")  # the next event cannot be recorded until the server is back
            threading.Timer(1.0, server, args=("start",)).start()
        return x ** 2

    restarted = threading.Event()
    tuner_box = []
    storage = SQLStorage(postgres_url, "s", retries=40, retry_wait=0.25)
    tuner = kt.FunctionTuner(loss, max_trials=6, seed=0, storage=storage, project_name="s")
    tuner_box.append(tuner)
    with caplog.at_level(logging.WARNING, logger="tunecore"):
        tuner.search(verbose=0)
    assert restarted.is_set()
    assert "trying again" in caplog.text
    assert _ended(postgres_url, "s") == {f"{n:02d}": 1 for n in range(6)}, "every trial ended once"
    loaded = kt.load(postgres_url, project_name="s")
    assert all(t.status == "COMPLETED" for t in loaded.trials.values())


@pytest.mark.slow
def test_a_server_that_stays_away_stops_the_search_clearly_and_it_resumes(postgres_url, server):
    import sqlalchemy

    password = sqlalchemy.engine.make_url(postgres_url).password

    def loss(hp):
        x = hp.Float("x", -1.0, 1.0)
        if len(tuner.oracle.trials) == 3:
            server("stop")
        return x ** 2

    tuner = kt.FunctionTuner(loss, max_trials=6, seed=0, project_name="s",
                             storage=SQLStorage(postgres_url, "s", retries=3, retry_wait=0.1))
    with pytest.raises(StorageUnavailableError) as info:
        tuner.search(verbose=0)
    message = str(info.value)
    assert "after 3 tries" in message and "start the search again to resume" in message
    assert "127.0.0.1" in message and password not in message and "***" in message

    server("start")
    assert _ended(postgres_url, "s") == {"00": 1, "01": 1}, "what ended before the outage is kept"
    again = kt.tune(lambda hp: hp.Float("x", -1.0, 1.0) ** 2, max_trials=6, seed=0, verbose=0,
                    storage=postgres_url, project_name="s")
    assert sorted(again.oracle.trials) == [f"{n:02d}" for n in range(6)]
    assert _ended(postgres_url, "s") == {f"{n:02d}": 1 for n in range(6)}, "no trial ended twice"
