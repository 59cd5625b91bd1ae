"""Many driver processes on one database (SQLite, and PostgreSQL where a server runs): one is killed (SIGKILL) mid-trial, and the search completes.

The scenario of a SLURM array job: the same script started several times,
each a driver sharing one search through the database. A driver that dies
leaves a RUNNING trial; the others find it by its missing heartbeat and run
it again; no ended trial runs again.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")
pytest.importorskip("tunecore.storage.sql")

import tunecore  # noqa: E402

pytestmark = pytest.mark.slow

_DRIVER = textwrap.dedent('''
    import json, os, sys, time
    import tunecore as kt
    from tunecore.storage import SQLStorage

    url, runs, name = sys.argv[1:4]

    def objective(hp, trial):
        x = hp.Float("x", -1.0, 1.0)
        with open(runs, "a") as f:
            f.write(json.dumps({"trial": trial.trial_id, "driver": name, "pid": os.getpid()}) + "\\n")
        time.sleep(600 if name == "victim" else 0.05)
        return (x - 0.25) ** 2

    storage = SQLStorage(url, "search", heartbeat_interval=0.25, grace_period=6.0)
    kt.tune(objective, max_trials=12, storage=storage, max_retries_per_trial=1, seed=0, verbose=0, timeout=300)
''')


def _wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds}s for {what}")
        time.sleep(0.05)


def _runs(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database: a SQLite file, or a database on the PostgreSQL server (skipped without one)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"
    return request.getfixturevalue("postgres_url")


def test_a_driver_killed_mid_trial_leaves_nothing_lost(tmp_path, database_url):
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER)
    url, runs = database_url, str(tmp_path / "runs.jsonl")

    def start(name):
        return subprocess.Popen([sys.executable, str(script), url, runs, name],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    victim = start("victim")
    try:
        _wait_for(lambda: any(r["driver"] == "victim" for r in _runs(runs)), 120, "the victim's first trial")
        others = [start(f"driver{i}") for i in range(3)]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        outputs = [p.communicate(timeout=300)[0] for p in others]
    finally:
        for process in [victim, *locals().get("others", [])]:
            if process.poll() is None:
                process.kill()
    assert [p.returncode for p in others] == [0, 0, 0], outputs

    project = tunecore.load(url, project_name="search")
    trials = project.trials
    assert len(trials) == 12 and all(t.status == "COMPLETED" for t in trials.values()), [
        (t.trial_id, t.status, t.message) for t in trials.values()
    ]
    orphan = next(r["trial"] for r in _runs(runs) if r["driver"] == "victim")
    assert trials[orphan].attempts == 2 and "gave no sign of life" not in (trials[orphan].message or "")
    ran = [r["trial"] for r in _runs(runs)]
    again = [(t.trial_id, t.attempts, t.message) for t in trials.values() if t.attempts > 1 and t.trial_id != orphan]
    assert sorted(ran) == sorted([*trials, orphan]), again  # every trial ran once, the orphan once more
    # max_trials counted for the whole search: three drivers with max_trials=12 ran 12 trials.


_ORACLE_DRIVER = textwrap.dedent('''
    import sys
    import tunecore as kt

    url, oracle = sys.argv[1:3]

    def loss(hp, trial):
        x = hp.Float("x", -1.0, 1.0) if oracle != "grid" else hp.Choice("x", [i / 10 for i in range(10)])
        epochs = trial.hyperparameters.values.get("tuner/epochs", 1)
        return {"loss": (x - 0.25) ** 2 + 1.0 / epochs}

    budget = {"max_epochs": 9} if oracle == "hyperband" else {"max_trials": 10}
    kt.tune(loss, objective="loss", oracle=oracle, storage=url, project_name="search", verbose=0, timeout=240,
            **budget)
''')


@pytest.mark.parametrize("oracle", ["random", "grid", "hyperband", "bayesian", "optuna:tpe"])
def test_every_oracle_shares_one_search_between_driver_processes(tmp_path, oracle):
    if oracle == "bayesian":
        pytest.importorskip("tunecore_bayes")
    if oracle.startswith("optuna"):
        pytest.importorskip("tunecore_optuna")
    script, url = tmp_path / "driver.py", f"sqlite:///{tmp_path}/runs.db"
    script.write_text(_ORACLE_DRIVER)
    drivers = [subprocess.Popen([sys.executable, str(script), url, oracle], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=300)[0] for p in drivers]
    assert [p.returncode for p in drivers] == [0, 0, 0], outputs
    assert not any("trying again" in out for out in outputs), outputs

    alone = tmp_path / "alone"  # the same search, one driver: the count the drivers must share
    alone.mkdir()
    subprocess.run([sys.executable, str(script), f"sqlite:///{alone}/runs.db", oracle], check=True, timeout=300)
    trials = tunecore.load(url, project_name="search").trials
    expected = len(tunecore.load(f"sqlite:///{alone}/runs.db", project_name="search").trials)
    assert len(trials) == expected and all(t.status == "COMPLETED" for t in trials.values())
    configurations = [tuple(sorted(t.hyperparameters.values.items())) for t in trials.values()]
    assert len(set(configurations)) == len(configurations), "no configuration ran twice"
