"""Trials on Dask: worker processes, existing clusters, resources, and faults."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import tunecore as kt
from tunecore import executors
from tunecore.errors import MissingDependencyError
from tunecore.executors.dask import DaskExecutor
from tunecore.trial import TrialStatus

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """A user's Dask client: two single-threaded workers in this process."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def _where(hp):
    x = hp.Float("x", 0.0, 1.0)
    return {"loss": x, "pid": float(os.getpid())}


@pytest.mark.slow
def test_dask_local_cluster_runs_trials_in_worker_processes(tmp_path):
    tuner = kt.FunctionTuner(_where, objective="loss", max_trials=6, seed=0,
                             directory=tmp_path, project_name="dask")
    tuner.search(executor="dask", max_parallel_trials=2, verbose=0)

    trials = tuner.oracle.trials.values()
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 6
    pids = {t.metrics.get_last_value("pid") for t in trials}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_a_users_client_is_used_and_left_open(client):
    tuner = kt.FunctionTuner(_where, objective="loss", max_trials=4, seed=0)
    tuner.search(executor=client, verbose=0)

    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.COMPLETED] * 4
    assert client.status == "running"
    assert client.submit(sum, [1, 2]).result() == 3


def test_a_scheduler_address_connects_to_that_cluster(client):
    executor = executors.create(client.scheduler.address, max_parallel_trials=2)
    assert isinstance(executor, DaskExecutor) and executor.capacity == 2

    tuner = kt.FunctionTuner(_where, objective="loss", max_trials=3, seed=0)
    tuner.search(executor=executor, verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.COMPLETED] * 3
    assert client.status == "running"


def test_a_users_cluster_object_is_used_and_left_open(client):
    tuner = kt.FunctionTuner(_where, objective="loss", max_trials=3, seed=0)
    tuner.search(executor=client.cluster, verbose=0)

    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.COMPLETED] * 3
    assert client.submit(sum, [1, 2]).result() == 3


def test_the_capacity_of_a_cluster_is_its_threads(client):
    executor = executors.create(client)
    executor.start(lambda trial: None)
    try:
        assert executor.capacity == 2
    finally:
        executor.shutdown()


_gpus_in_use = []
_gpu_lock = threading.Lock()


def _uses_the_gpu(hp):
    hp.Float("x", 0.0, 1.0)
    with _gpu_lock:
        _gpus_in_use.append(1)
        in_use = len(_gpus_in_use)
    time.sleep(0.05)
    with _gpu_lock:
        _gpus_in_use.pop()
    return {"loss": 0.0, "in_use": float(in_use)}


def test_worker_resources_pass_through_to_the_trials():
    """One worker with one GPU and two threads runs one GPU trial at a time."""
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=":0", resources={"GPU": 1})
    with cluster, distributed.Client(cluster) as client:
        tuner = kt.FunctionTuner(_uses_the_gpu, objective="loss", max_trials=4, seed=0)
        tuner.search(executor=DaskExecutor(client, resources={"GPU": 1}), verbose=0)

    trials = tuner.oracle.trials.values()
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 4
    assert max(t.metrics.get_last_value("in_use") for t in trials) == 1


def _sleeps_on_the_gpu(hp):
    time.sleep(0.4)
    return hp.Float("x", 0.0, 1.0)


def test_trials_that_resources_hold_back_do_not_queue_into_their_timeout():
    """Two threads but one GPU: one GPU trial at a time, so none waits in Dask's queue with its clock running."""
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=":0", resources={"GPU": 1})
    with cluster, distributed.Client(cluster) as client:
        executor = DaskExecutor(client, resources={"GPU": 1})
        tuner = kt.FunctionTuner(_sleeps_on_the_gpu, objective="loss", max_trials=3, seed=0)
        tuner.search(executor=executor, trial_timeout=0.7, verbose=0)

    assert executor.capacity == 1
    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.COMPLETED] * 3


def test_a_local_cluster_gets_the_resources_its_trials_need():
    tuner = kt.FunctionTuner(_uses_the_gpu, objective="loss", max_trials=3, seed=0)
    executor = DaskExecutor(max_workers=2, processes=False, resources={"GPU": 1})
    tuner.search(executor=executor, verbose=0)

    assert [t.status for t in tuner.oracle.trials.values()] == [TrialStatus.COMPLETED] * 3


def _dies_once(hp, marker):
    x = hp.Float("x", 0.0, 1.0)
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies mid-trial
    return x


@pytest.mark.slow
def test_a_worker_killed_mid_trial_is_retried_and_nothing_is_lost(tmp_path):
    tuner = kt.FunctionTuner(_dies_once, max_trials=4, seed=0, max_retries_per_trial=1,
                             directory=tmp_path, project_name="killed")
    tuner.search(str(tmp_path / "died"), executor=DaskExecutor(max_workers=2), verbose=0)

    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 4
    assert sorted(t.attempts for t in trials) == [1, 1, 1, 2]
    resumed = kt.FunctionTuner(_dies_once, max_trials=4, seed=0, directory=tmp_path,
                               project_name="killed")
    assert {t.trial_id: t.score for t in resumed.oracle.trials.values()} == {
        t.trial_id: t.score for t in trials
    }


@pytest.mark.slow
def test_a_worker_killed_with_no_retries_left_fails_only_its_trial(tmp_path):
    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)
    tuner = kt.FunctionTuner(_dies_once, max_trials=3, seed=0, max_retries_per_trial=0,
                             hyperparameters=space)
    tuner.search(str(tmp_path / "died"), executor=DaskExecutor(max_workers=2), verbose=0)

    statuses = sorted(t.status for t in tuner.oracle.trials.values())
    assert statuses == [TrialStatus.COMPLETED] * 2 + [TrialStatus.FAILED]
    failed = next(t for t in tuner.oracle.trials.values() if t.status == TrialStatus.FAILED)
    assert "KilledWorker" in failed.message


_DRIVER = """
import sys, time
import tunecore as kt
from tunecore.executors.dask import DaskExecutor

def objective(hp, log, seconds):
    x = hp.Float("x", 0.0, 1.0)
    with open(log, "a") as f:
        f.write(repr(x) + "\\n")
    time.sleep(seconds)
    return x

if __name__ == "__main__":
    directory, log, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    tuner = kt.FunctionTuner(objective, max_trials=8, seed=0, directory=directory,
                             project_name="p")
    tuner.search(log, seconds, executor=DaskExecutor(max_workers=2, processes=False),
                 verbose=0)
"""


def _start_driver(tmp_path, seconds):
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(_DRIVER))
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path), str(tmp_path / "calls.log"), str(seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _journal(tmp_path):
    path = tmp_path / "p" / "journal.jsonl"
    if not path.exists():
        return []
    lines = path.read_text().splitlines()[1:]
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:  # a line being written
            break
    return events


def _wait_for_trials(tmp_path, process, ended, started=0):
    """Wait until the driver has ended ``ended`` trials and started ``started``."""
    deadline = time.monotonic() + 60
    calls = tmp_path / "calls.log"
    while time.monotonic() < deadline and process.poll() is None:
        ends = [e for e in _journal(tmp_path) if e["event"] == "end"]
        runs = calls.read_text().count("\n") if calls.exists() else 0
        if len(ends) >= ended and runs >= started:
            return
        time.sleep(0.02)
    raise AssertionError(f"the driver did not get that far: {process.communicate()}")


def _resume(tmp_path):
    """Run the driver's search again, in this process, from its project directory."""
    spec = importlib.util.spec_from_file_location("driver", tmp_path / "driver.py")
    driver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(driver)
    tuner = kt.FunctionTuner(driver.objective, max_trials=8, seed=0, directory=tmp_path,
                             project_name="p")
    tuner.search(str(tmp_path / "calls.log"), 0.0,
                 executor=DaskExecutor(max_workers=2, processes=False), verbose=0)
    return tuner


def _completed(project):
    return {tid: t.score for tid, t in project.trials.items() if t.status == TrialStatus.COMPLETED}


@pytest.mark.slow
def test_a_killed_driver_resumes_with_every_completed_trial(tmp_path):
    driver = _start_driver(tmp_path, seconds=0.2)
    _wait_for_trials(tmp_path, driver, ended=3)
    driver.send_signal(signal.SIGKILL)
    driver.wait(timeout=30)
    completed_before = _completed(kt.load(tmp_path / "p"))

    tuner = _resume(tmp_path)

    trials = tuner.oracle.trials.values()
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 8
    scores = {t.trial_id: t.score for t in trials}
    assert {tid: scores[tid] for tid in completed_before} == completed_before
    calls = (tmp_path / "calls.log").read_text().split()
    for tid, score in completed_before.items():
        assert calls.count(repr(score)) == 1, f"completed trial {tid} ran again"


@pytest.mark.slow
def test_ctrl_c_cancels_running_trials_which_run_again_on_resume(tmp_path):
    driver = _start_driver(tmp_path, seconds=1.0)
    _wait_for_trials(tmp_path, driver, ended=2, started=4)  # two trials are mid-run
    driver.send_signal(signal.SIGINT)
    _, stderr = driver.communicate(timeout=60)

    assert driver.returncode != 0 and "KeyboardInterrupt" in stderr
    assert stderr.count("Search interrupted:") == 1 and "unfinished will run again" in stderr  # one line
    project = kt.load(tmp_path / "p")
    interrupted = [tid for tid, t in project.trials.items() if t.status == TrialStatus.RUNNING]
    assert interrupted, project.trials
    completed_before = _completed(project)

    tuner = _resume(tmp_path)

    trials = tuner.oracle.trials
    assert [t.status for t in trials.values()] == [TrialStatus.COMPLETED] * 8
    assert all(trials[tid].status == TrialStatus.COMPLETED for tid in interrupted)
    assert {tid: trials[tid].score for tid in completed_before} == completed_before


def test_without_distributed_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    tuner = kt.FunctionTuner(_where, objective="loss", max_trials=1)
    with pytest.raises(MissingDependencyError, match=r"pip install 'tunecore\[dask\]'"):
        tuner.search(executor="dask", verbose=0)


def test_importing_tunecore_does_not_import_dask():
    code = (
        "import sys, tunecore; print(tunecore.executors.available()); "
        "print('distributed' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert "dask" in out[0] and out[1] == "False"


def test_unknown_objects_are_refused_naming_the_dask_option():
    with pytest.raises(TypeError, match="dask"):
        executors.create(object())


def test_bo_with_two_workers_proposes_no_duplicate_configurations(client):
    if "bayesian" not in kt.oracles.available():
        pytest.skip("needs tunecore[bayes]")

    def objective(hp):
        return (hp.Int("a", 0, 4) - 2) ** 2 + hp.Choice("b", [0.0, 0.5, 1.0])

    tuner = kt.FunctionTuner(objective, max_trials=12, oracle="bayesian", seed=0)
    tuner.search(executor=DaskExecutor(client), verbose=0)

    values = [tuple(sorted(t.hyperparameters.values.items())) for t in tuner.oracle.trials.values()]
    assert len(values) == 12 and len(set(values)) == 12


_skip_sklearn = pytest.mark.skipif("sklearn" not in kt.tuners.available(),
                                   reason="needs tunecore[sklearn]")
_skip_keras = pytest.mark.skipif("keras" not in kt.tuners.available(),
                                 reason="needs tunecore[keras]")


@_skip_sklearn
def test_a_scikit_learn_hypermodel_searches_on_dask(tmp_path, client):
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=60)

    def build(hp):
        return Ridge(alpha=hp.Float("alpha", 1e-3, 10.0, sampling="log"))

    tuner = kt.tuners.Sklearn(
        oracle=kt.oracles.RandomSearch(objective=kt.Objective("score", "max"), max_trials=3,
                                       seed=0),
        hypermodel=build, cv=3, directory=tmp_path, project_name="sk",
    )
    tuner.search(X, y, executor=client, verbose=0)

    trials = tuner.oracle.trials.values()
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 3
    assert tuner.get_best_hyperparameters()[0]["alpha"] > 0


@_skip_keras
@pytest.mark.slow
def test_a_keras_hypermodel_searches_on_dask(tmp_path, client):
    keras = pytest.importorskip("keras")

    def build(hp):
        model = keras.Sequential([
            keras.layers.Input((4,)),
            keras.layers.Dense(hp.Int("units", 2, 8, step=2), activation="relu"),
            keras.layers.Dense(1),
        ])
        model.compile(optimizer="adam", loss="mse")
        return model

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)), rng.normal(size=(32, 1))
    tuner = kt.RandomSearch(build, objective="val_loss", max_trials=2, seed=0,
                            directory=tmp_path, project_name="keras")
    tuner.search(x, y, epochs=1, validation_data=(x, y), executor=client, verbose=0)

    trials = tuner.oracle.trials.values()
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 2
    assert all(t.metrics.exists("val_loss") for t in trials)
