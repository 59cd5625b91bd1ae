"""Keras Tuner's distributed mode (``KERASTUNER_*`` variables) on Dask: one chief, tuners as its workers."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import tunecore as kt
from tunecore import distribute

pytest.importorskip("distributed")

SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    import tunecore as kt

    directory, seconds, die_in_first_trial = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    steps = int(sys.argv[5])

    class Sleepy(kt.BaseTuner):
        def run_trial(self, trial, scale):
            x = trial.hyperparameters.get("x")
            for step in range(steps):
                time.sleep(seconds / steps)
                marker = os.path.join(directory, "died-" + self.tuner_id)
                if self.tuner_id == die_in_first_trial and not os.path.exists(marker):
                    open(marker, "w").close()
                    os._exit(3)
                if self.oracle.report(trial.trial_id, step, score=x * scale * (step + 1)) == "STOPPED":
                    break
            return {"score": x * scale * (step + 1)}

    class StopsLowX(kt.oracles.RandomSearchOracle):
        # Keras Tuner's way for an oracle to stop a trial: update_trial answers STOPPED.

        def update_trial(self, trial_id, metrics, step=0):
            super().update_trial(trial_id, metrics, step)
            low = self.trials[trial_id].hyperparameters.get("x") < 0.5
            return "STOPPED" if step >= 1 and low and steps > 3 else "RUNNING"

    tuner = Sleepy(
        StopsLowX(objective=kt.Objective("score", "max"), max_trials=8, seed=1),
        hypermodel=lambda hp: hp.Float("x", 0, 1),
        directory=directory, project_name="project", overwrite=sys.argv[4] == "overwrite",
        max_retries_per_trial=1,
    )
    tuner.search(2.0)
    trials = tuner.oracle.trials.values()
    print("RESULT " + json.dumps({
        "trials": len(trials),
        "completed": sum(t.status == "COMPLETED" for t in trials),
        "tuners": sorted({t.tuner_id for t in trials}),
        "best": tuner.get_best_hyperparameters()[0].get("x"),
    }), flush=True)
""")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Processes:
    """Runs the script as the chief or a tuner, with Keras Tuner's variables."""

    def __init__(self, tmp_path):
        self.script = tmp_path / "search.py"
        self.script.write_text(SCRIPT)
        self.directory = tmp_path
        self.port = _free_port()
        self.started = []

    def start(self, tuner_id, seconds=0.3, die="", overwrite=True, steps=3):
        env = {
            **os.environ, "KERASTUNER_TUNER_ID": tuner_id, "KERASTUNER_ORACLE_IP": "127.0.0.1",
            "KERASTUNER_ORACLE_PORT": str(self.port),
        }
        process = subprocess.Popen(
            [sys.executable, str(self.script), str(self.directory), str(seconds), die,
             "overwrite" if overwrite else "resume", str(steps)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.started.append(process)
        return process

    def finish(self, process, timeout=120):
        output, _ = process.communicate(timeout=timeout)
        results = [json.loads(line[7:]) for line in output.splitlines() if line.startswith("RESULT ")]
        return process.returncode, (results[0] if results else None), output

    def kill_all(self):
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.communicate()


@pytest.fixture
def processes(tmp_path):
    runner = _Processes(tmp_path)
    yield runner
    runner.kill_all()


@pytest.mark.slow
def test_a_chief_and_two_tuners_share_one_search(processes):
    workers = [processes.start("tuner0"), processes.start("tuner1")]
    time.sleep(0.5)  # the workers wait for the chief's scheduler
    code, chief, output = processes.finish(processes.start("chief"))
    assert code == 0, output
    assert chief["trials"] == chief["completed"] == 8
    assert chief["tuners"] == ["tuner0", "tuner1"], "each trial records the tuner that ran it"
    for worker in workers:  # each returns when the search ends, with the chief's results
        code, result, output = processes.finish(worker)
        assert code == 0, output
        assert result == chief
    project = kt.load(processes.directory / "project")  # nobody's overwrite=True clobbered it
    assert len(project.trials) == 8
    assert all(len(t.metrics.get_history("score")) == 3 for t in project.trials.values()), "reports arrive live"


@pytest.mark.slow
def test_the_chief_stops_trials_running_on_its_tuners(processes):
    workers = [processes.start("tuner0", seconds=1.0, steps=10), processes.start("tuner1", seconds=1.0, steps=10)]
    code, chief, output = processes.finish(processes.start("chief", seconds=1.0, steps=10))
    assert code == 0, output
    assert all(processes.finish(worker)[0] == 0 for worker in workers)
    trials = kt.load(processes.directory / "project").trials.values()
    low = [t for t in trials if t.hyperparameters.get("x") < 0.5]
    assert low, "the seed draws some low x"
    for trial in trials:
        reported = len(trial.metrics.get_history("score"))
        if trial in low:  # the oracle's STOPPED reached the worker, which stopped early
            assert trial.status == "STOPPED" and reported < 10
        else:
            assert trial.status == "COMPLETED" and reported == 10


@pytest.mark.slow
def test_a_tuner_that_dies_mid_trial_loses_it_to_another(processes):
    dying = processes.start("tuner0", die="tuner0")
    survivor = processes.start("tuner1", die="tuner0")
    time.sleep(0.5)
    code, chief, output = processes.finish(processes.start("chief", die="tuner0"))
    assert code == 0, output
    assert chief["completed"] == 8
    assert processes.finish(dying)[0] == 3
    assert processes.finish(survivor)[0] == 0
    retried = [t for t in kt.load(processes.directory / "project").trials.values() if t.attempts > 1]
    assert len(retried) == 1
    assert retried[0].status == "COMPLETED" and retried[0].tuner_id == "tuner1"


def _a_trial_ended(processes):
    """Start a chief and one tuner with 1.5 s trials; return once the first trial has ended."""
    journal = processes.directory / "project" / "journal.jsonl"
    worker = processes.start("tuner0", seconds=1.5)
    chief = processes.start("chief", seconds=1.5)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not journal.exists() or '"end"' not in journal.read_text()):
        time.sleep(0.1)
    return worker, chief, journal


@pytest.mark.slow
def test_a_chief_killed_mid_search_loses_nothing_and_resumes(processes):
    worker, chief, journal = _a_trial_ended(processes)
    chief.send_signal(signal.SIGKILL)
    chief.communicate()
    code, _, output = processes.finish(worker)
    assert code != 0 and "lost the chief" in output
    ended = {i: t.status for i, t in kt.load(journal.parent).trials.items() if t.status != "RUNNING"}
    assert ended, "the trial that ended before the kill is kept"

    worker = processes.start("tuner0", seconds=0.1, overwrite=False)
    code, chief, output = processes.finish(processes.start("chief", seconds=0.1, overwrite=False))
    assert code == 0, output
    assert chief["completed"] == 8
    assert processes.finish(worker)[0] == 0
    trials = kt.load(journal.parent).trials
    assert all(trials[i].status == status for i, status in ended.items())


@pytest.mark.slow
def test_tuners_are_told_when_the_chiefs_search_is_interrupted(processes):
    worker, chief, _ = _a_trial_ended(processes)
    chief.send_signal(signal.SIGINT)  # Ctrl-C
    assert processes.finish(chief)[0] != 0
    code, result, output = processes.finish(worker)
    assert code != 0 and result is None
    assert "search at tcp://127.0.0.1" in output and "was interrupted before it ended" in output


@pytest.mark.slow
def test_two_tuners_with_one_id_are_told_apart(processes):
    first = processes.start("tuner0", seconds=0.5)
    second = processes.start("tuner0", seconds=0.5)
    code, _, output = processes.finish(processes.start("chief", seconds=0.5))
    assert code == 0, output
    outputs = [processes.finish(p) for p in (first, second)]
    assert sorted(code for code, _, _ in outputs) == [0, 1]
    failed = next(output for code, _, output in outputs if code == 1)
    assert "another process uses this tuner id" in failed and "its own KERASTUNER_TUNER_ID" in failed


# In process: the roles the variables give, and what a worker's constructor must not do.


@pytest.mark.parametrize("missing", ["KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"])
def test_an_incomplete_set_of_variables_is_refused_by_name(monkeypatch, missing):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=f'"KERASTUNER_ORACLE_IP" was set, but "{missing}" was not'):
        distribute.role()


@pytest.mark.parametrize(("ip", "port", "message"), [
    ("", "8000", "KERASTUNER_ORACLE_IP\" is empty"),
    ("127.0.0.1", "http", "must be a port number; got 'http'"),
    ("127.0.0.1", "70000", "must be a port number; got '70000'"),
])
def test_an_unusable_address_is_refused_by_name(monkeypatch, ip, port, message):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", ip)
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", port)
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    with pytest.raises(RuntimeError, match=message):
        distribute.role()


def test_the_roles_follow_keras_tuner(monkeypatch):
    monkeypatch.delenv("KERASTUNER_ORACLE_IP", raising=False)
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
    assert distribute.role() is None, "only the IP turns the mode on"
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "::1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    assert distribute.role() == distribute.Role("chief", "tcp://[::1]:8000")
    assert distribute.role().is_chief
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner3")
    assert not distribute.role().is_chief


def _sleepy_tuner(tmp_path, **kwargs):
    class Tuner(kt.BaseTuner):
        def run_trial(self, trial):
            return trial.hyperparameters.get("x")

    return Tuner(
        kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=2),
        hypermodel=lambda hp: hp.Float("x", 0, 1), directory=tmp_path, project_name="project", **kwargs,
    )


def test_a_worker_keeps_no_project_and_overwrites_nothing(tmp_path, monkeypatch):
    chief = _sleepy_tuner(tmp_path)
    chief.search()
    journal = (tmp_path / "project" / "journal.jsonl").read_bytes()
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    worker = _sleepy_tuner(tmp_path, overwrite=True)
    assert worker.tuner_id == "tuner0"
    assert (tmp_path / "project" / "journal.jsonl").read_bytes() == journal
    assert worker.oracle.trials == {}
    with pytest.raises(ValueError, match="executor='process' cannot be used"):
        worker.search(executor="process")


def test_a_chief_whose_port_is_taken_by_something_else_says_so(tmp_path, monkeypatch):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
        monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(listener.getsockname()[1]))
        monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
        tuner = _sleepy_tuner(tmp_path)
        with pytest.raises(OSError, match="not a Dask scheduler listens there.*free port"):
            tuner.search()
    assert kt.load(tmp_path / "project").trials == {}, "no trial was started"
