"""Keras on every Keras 3 backend: the backend matrix, and what a backend refuses by name.

This process runs Keras on one backend (TensorFlow unless ``KERAS_BACKEND``
says otherwise). The tests marked ``backends`` (each tuner's search, best-epoch
checkpoints, executions, pruning, worker processes, distribution checks) run
again in a ``python -m pytest`` of their own per other installed backend.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import keras
import pytest

import tunecore as kt
from tunecore.errors import InvalidArgumentError

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(TESTS)))
BACKEND = keras.backend.backend()


def _installed(backend):
    return pytest.mark.skipif(importlib.util.find_spec(backend) is None, reason=f"{backend} is not installed")


def _on(backends):
    return [pytest.param(b, marks=_installed(b)) for b in backends]


def _python(code, *args, backend, **env):
    """Run ``code`` in a fresh Python with Keras on ``backend`` (None: Keras's default)."""
    environ = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", **env}
    environ.pop("KERAS_BACKEND", None)
    if backend is not None:
        environ["KERAS_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True, text=True, env=environ, timeout=600,
    )


def _last_json(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- the matrix ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("backend", _on(b for b in ("tensorflow", "jax", "torch") if b != BACKEND))
def test_the_backends_tests_pass_on_every_other_backend(backend, tmp_path):
    report = tmp_path / "report.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", TESTS, "-m", "backends", "-q", "-p", "no:randomly",
         f"--junitxml={report}"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    output = f"KERAS_BACKEND={backend} python -m pytest -m backends:\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, output
    counts = ET.parse(report).getroot().find("testsuite").attrib
    ran = int(counts["tests"]) - int(counts["skipped"])
    assert ran > 0 and counts["failures"] == counts["errors"] == "0", output  # not all skipped


# -- TensorFlow only where it is the backend ----------------------------------

SEARCH = """
    import json, sys
    import numpy as np, keras, tunecore as kt

    def build(hp):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 2, 8)), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model

    x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    tuner = kt.RandomSearch(build, objective="val_loss", max_trials=2, directory=sys.argv[1])
    tuner.search(x, x[:, 0], epochs=2, validation_split=0.25, verbose=0,
                 callbacks=[keras.callbacks.EarlyStopping(patience=1)])
    tuner.get_best_models()[0].predict(x[:2], verbose=0)
    print(json.dumps({"backend": keras.backend.backend(), "tensorflow": "tensorflow" in sys.modules}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", _on(["jax", "torch"]))
def test_a_search_on_another_backend_never_imports_tensorflow(backend, tmp_path):
    assert _last_json(_python(SEARCH, tmp_path, backend=backend)) == {"backend": backend, "tensorflow": False}


# -- a backend that is missing or cannot train --------------------------------

TUNER = """
    import sys
    for name in sys.argv[2:]:
        sys.modules[name] = None  # as if not installed
    import tunecore as kt
    try:
        kt.RandomSearch(lambda hp: None, objective="loss", directory=sys.argv[1])
    except Exception as exc:
        print(type(exc).__name__, exc)
"""


@pytest.mark.parametrize(
    "backend, blocked, expected",
    [
        ("jax", ["jax"], r"MissingDependencyError Keras is set to run on the 'jax' backend \(from "
                         r"KERAS_BACKEND\).*pip install 'tunecore\[keras,jax\]'"),
        (None, ["tensorflow", "jax", "torch"], r"MissingDependencyError .*'tensorflow' backend.*KERAS_"
                                               r"BACKEND chooses another.*pip install 'tunecore\[keras,"
                                               r"tensorflow\]', or install another.*'tunecore\[keras,jax\]'"
                                               r".*\(installed backends: none\)"),
        ("wrong", [], r"MissingDependencyError KERAS_BACKEND='wrong' is not a Keras backend.*tensorflow, jax, torch"),
        ("numpy", [], r"InvalidArgumentError Keras runs on the 'numpy' backend.*cannot train models: "
                      r"set KERAS_BACKEND to one of tensorflow, jax, torch"),
    ],
    ids=["missing-jax", "no-backend", "unknown", "numpy"],
)
def test_a_backend_that_cannot_run_a_search_is_named_with_the_fix(backend, blocked, expected, tmp_path):
    result = _python(TUNER, tmp_path, *blocked, backend=backend, KERAS_HOME=str(tmp_path / "keras_home"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), result.stderr
    assert re.search(expected, result.stdout), result.stdout


# -- distribution -------------------------------------------------------------

DATA_PARALLEL = """
    import json, os, sys
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    import numpy as np, keras, tunecore as kt

    def build(hp):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 2, 8)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    class Recording(kt.RandomSearch):
        def on_epoch_end(self, trial, model, epoch, logs=None):
            seen.append(len(model.weights[0].value.sharding.device_set))

    x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    results = {}
    for how in ("argument", "set_distribution"):
        seen = []
        distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices("cpu"))
        if how == "argument":
            tuner = Recording(build, objective="loss", max_trials=2, directory=sys.argv[1], project_name=how,
                              distribution_strategy=distribution)
        else:
            keras.distribution.set_distribution(distribution)
            tuner = Recording(build, objective="loss", max_trials=2, directory=sys.argv[1], project_name=how)
        tuner.search(x, x[:, 0], epochs=1, batch_size=16, verbose=0)
        best = tuner.get_best_models()[0]
        results[how] = {
            "devices_per_variable": seen,
            "statuses": [t.status for t in tuner.oracle.trials.values()],
            "best": len(best.weights[0].value.sharding.device_set),
        }
    print(json.dumps(results))
"""


@pytest.mark.slow
@_installed("jax")
def test_trials_run_under_a_jax_data_parallel_distribution(tmp_path):
    results = _last_json(_python(DATA_PARALLEL, tmp_path, backend="jax"))
    for how in ("argument", "set_distribution"):  # each variable lives on both logical CPUs
        assert results[how] == {"devices_per_variable": [2, 2], "statuses": ["COMPLETED"] * 2, "best": 2}, how


def _foreign_distribution():
    """A distribution of the kind this backend cannot run, and what the error tells to use."""
    if BACKEND == "jax":
        tf = pytest.importorskip("tensorflow")
        return tf.distribute.OneDeviceStrategy("/cpu:0"), "tf.distribute strategy", "keras.distribution.DataParallel"
    instead = "tf.distribute.MirroredStrategy" if BACKEND == "tensorflow" else "executor='process'"
    return keras.distribution.DataParallel(devices=["cpu:0"]), "keras.distribution", instead


@pytest.mark.backends
def test_a_distribution_the_backend_cannot_run_is_refused_by_name(tmp_path, build_model):
    distribution, kind, instead = _foreign_distribution()
    with pytest.raises(InvalidArgumentError, match=f"{kind}.*runs Keras on '{BACKEND}'.*{instead}"):
        kt.RandomSearch(build_model, objective="loss", directory=tmp_path, distribution_strategy=distribution)


@pytest.mark.backends
@pytest.mark.skipif(BACKEND == "jax", reason="JAX runs a keras.distribution")
def test_a_keras_distribution_set_globally_is_refused_off_jax(tmp_path, data, build_model):
    (x, y), _ = data
    tuner = kt.RandomSearch(build_model, objective="loss", max_trials=1, directory=tmp_path)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=["cpu:0"]))
    try:
        with pytest.raises(InvalidArgumentError, match=f"keras.distribution.set_distribution.*'{BACKEND}'"):
            tuner.search(x, y, epochs=1, verbose=0)
    finally:
        keras.distribution.set_distribution(None)
    assert tuner.oracle.trials == {}


def test_a_distribution_without_a_scope_is_refused(tmp_path, build_model):
    with pytest.raises(InvalidArgumentError, match=r"distribution_strategy must be a tf.distribute.Strategy.*got 4"):
        kt.RandomSearch(build_model, objective="loss", directory=tmp_path, distribution_strategy=4)


# -- worker processes ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.backends
def test_trials_run_in_worker_processes_on_the_same_backend(tmp_path, data, build_model):
    (x, y), validation = data
    workers = tmp_path / "workers"
    workers.mkdir()

    def build(hp):
        (workers / str(os.getpid())).write_text(keras.backend.backend())
        return build_model(hp)

    tuner = kt.RandomSearch(build, objective="val_loss", max_trials=2, directory=tmp_path / "project", seed=0)
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0, executor="process", max_parallel_trials=2)

    assert [t.status for t in tuner.oracle.trials.values()] == ["COMPLETED"] * 2
    backends = {int(p.name): p.read_text() for p in workers.iterdir()}
    assert set(backends.values()) == {BACKEND} and set(backends) - {os.getpid()}
    assert tuner.get_best_models()[0].predict(validation[0][:2], verbose=0).shape == (2, 2)
