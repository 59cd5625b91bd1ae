"""Every wait is bounded (the search's ``timeout=``, Ctrl-C, or a documented limit) and says what it waits for."""

import logging
import os
import signal
import socket
import subprocess
import sys

import pytest

import tunecore as kt
from tunecore.executors import waiting


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def keras_tuner_role(monkeypatch):
    """Keras Tuner's distributed mode on a free port; call it with the tuner id."""
    pytest.importorskip("distributed", reason="Keras Tuner's distributed mode runs on Dask: tunecore[dask]")

    def role(tuner_id):
        monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
        monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(_free_port()))
        monkeypatch.setenv("KERASTUNER_TUNER_ID", tuner_id)
    return role


@pytest.fixture
def quick_notices(monkeypatch):
    monkeypatch.setattr(waiting, "NOTICE_S", 0.3)


def _loss(hp):
    return hp.Float("x", 0.0, 1.0)


@pytest.mark.slow
def test_a_chief_that_no_tuner_joins_honours_the_search_timeout(tmp_path, keras_tuner_role, quick_notices, caplog):
    keras_tuner_role("chief")
    with caplog.at_level(logging.INFO, logger="tunecore"):
        tuner = kt.tune(_loss, objective="loss", max_trials=3, directory=tmp_path, project_name="p", timeout=2,
                        verbose=0)
    assert tuner.oracle.trials == {}
    assert kt.load(tmp_path / "p").trials == {}
    messages = [r.getMessage() for r in caplog.records]
    assert any("waits for a tuner to connect to tcp://127.0.0.1:" in m and "(waiting for" in m for m in messages)
    assert any("No tuner connected to the chief" in m and "before the search's timeout" in m for m in messages)


@pytest.mark.slow
def test_a_tuner_whose_chief_never_comes_honours_the_search_timeout(tmp_path, keras_tuner_role, quick_notices,
                                                                    caplog):
    keras_tuner_role("tuner0")
    with caplog.at_level(logging.INFO, logger="tunecore"):
        tuner = kt.tune(_loss, objective="loss", max_trials=3, directory=tmp_path, project_name="p", timeout=2,
                        verbose=0)
    assert tuner.oracle.trials == {}
    assert not (tmp_path / "p").exists(), "a tuner keeps no project"
    messages = [r.getMessage() for r in caplog.records]
    assert any("Tuner 'tuner0' waits for the chief at tcp://127.0.0.1:" in m and "(waiting for" in m
               for m in messages)
    assert any("found no chief" in m and "timeout=2s" in m for m in messages)


@pytest.mark.slow
def test_trials_queued_on_a_cluster_without_workers_say_so_and_the_timeout_ends_the_search(tmp_path, quick_notices,
                                                                                            caplog):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, caplog.at_level(logging.INFO, logger="tunecore"):
        tuner = kt.tune(_loss, objective="loss", max_trials=3, directory=tmp_path, project_name="p",
                        executor=client, timeout=2, verbose=0)
    assert tuner.oracle.trials and all(t.status == "RUNNING" for t in tuner.oracle.trials.values())
    messages = [r.getMessage() for r in caplog.records]
    assert any("wait for a Dask worker" in m and cluster.scheduler_address in m for m in messages)
    dropped = [m for m in messages if "had not started when the search stopped (timeout=2s reached)" in m]
    assert len(dropped) == len(tuner.oracle.trials)

    resumed = kt.tune(_loss, objective="loss", max_trials=3, directory=tmp_path, project_name="p", verbose=0)
    assert set(tuner.oracle.trials) < set(resumed.oracle.trials)  # the dropped trials ran on resume
    assert [t.status for t in resumed.oracle.trials.values()] == ["COMPLETED"] * 3


def test_a_scheduler_that_cannot_be_reached_fails_within_the_search_timeout(tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(OSError, match="Timed out trying to connect to tcp://127.0.0.1:"):
        kt.tune(_loss, objective="loss", max_trials=2, directory=tmp_path, project_name="p", verbose=0,
                executor=f"tcp://127.0.0.1:{_free_port()}", timeout=1)


def test_a_notice_says_what_is_awaited_and_for_how_long(caplog):
    with caplog.at_level(logging.WARNING, logger="tunecore"):
        waiting.Notice(every=60)("Waiting for the moon")  # not due yet
        assert caplog.records == []
        waiting.Notice(every=0)("Waiting for the moon")
    assert [r.getMessage() for r in caplog.records] == ["Waiting for the moon (waiting for 0 s)."]


def test_a_driver_waiting_for_other_drivers_trials_says_so(quick_notices, caplog):
    from tunecore.storage import InMemoryStorage, SharedLog

    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    log = SharedLog()
    holder = kt.oracles.RandomSearch(objective="loss", hyperparameters=hp, max_trials=1, seed=0)
    holder.open(InMemoryStorage(log=log, heartbeat_interval=0.05, grace_period=60))
    holder.ask("holder")  # its trial runs for ever, beating
    try:
        with caplog.at_level(logging.WARNING, logger="tunecore"):
            waiter = kt.FunctionTuner(_loss, objective="loss", max_trials=1,
                                      storage=InMemoryStorage(log=log, heartbeat_interval=0.05, grace_period=60))
            waiter.search(verbose=0, timeout=1)
    finally:
        holder.close()
    assert any(f"Tuner {waiter.tuner_id!r} waits for the trials other drivers run in this project" in r.getMessage()
               and "(waiting for" in r.getMessage() for r in caplog.records)


WAITER = """
import logging, sys
import tunecore as kt

logging.basicConfig(level=logging.INFO, format="%(message)s")
kt.tune(lambda hp: hp.Float("x", 0.0, 1.0), objective="loss", max_trials=2, directory=sys.argv[1],
        project_name="p", verbose=0)
"""


@pytest.mark.slow
@pytest.mark.parametrize("tuner_id, says", [("chief", "waits for a tuner"), ("tuner0", "waits for the chief")])
def test_ctrl_c_ends_a_wait_without_timeout(tmp_path, tuner_id, says):
    pytest.importorskip("distributed", reason="Keras Tuner's distributed mode runs on Dask: tunecore[dask]")
    env = {**os.environ, "KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(_free_port()),
           "KERASTUNER_TUNER_ID": tuner_id, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-c", WAITER, str(tmp_path)], env=env, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)
    try:
        for line in process.stderr:  # until it says what it waits for
            if says in line:
                break
        process.send_signal(signal.SIGINT)
        assert process.wait(60) != 0  # it returns: interrupted
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


SERVER = """
import logging, sys, time
import tunecore as kt

logging.basicConfig(level=logging.INFO, format="%(message)s")

def loss(hp):
    time.sleep(0.2)
    return hp.Float("x", 0.0, 1.0)

timeout = float(sys.argv[2]) if len(sys.argv) > 2 else None
kt.tune(loss, objective="loss", max_trials=10_000, directory=sys.argv[1], project_name="p", verbose=0,
        timeout=timeout)
print("RETURNED", flush=True)
"""


@pytest.mark.slow
def test_a_tuner_leaves_a_running_chief_after_its_own_timeout(tmp_path):
    pytest.importorskip("distributed", reason="Keras Tuner's distributed mode runs on Dask: tunecore[dask]")
    env = {**os.environ, "KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(_free_port()),
           "PYTHONUNBUFFERED": "1"}
    chief = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path)],
                             env={**env, "KERASTUNER_TUNER_ID": "chief"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        tuner = subprocess.run([sys.executable, "-c", SERVER, str(tmp_path), "3"],
                               env={**env, "KERASTUNER_TUNER_ID": "tuner0"}, capture_output=True, text=True,
                               timeout=120, check=False)
        assert tuner.returncode == 0, tuner.stderr
        assert "RETURNED" in tuner.stdout
        assert "Tuner 'tuner0' left the chief" in tuner.stderr
        assert chief.poll() is None, "the chief's search goes on"
        ran = [t for t in kt.load(tmp_path / "p").trials.values() if t.tuner_id == "tuner0"]
        assert ran and all(t.status == "COMPLETED" for t in ran)
    finally:
        chief.kill()
        chief.wait()
