"""The plugin registers Keras Tuner's tuner names without importing TensorFlow."""

import subprocess
import sys

import tunecore as kt
from tunecore_keras.tuner import Tuner
from tunecore_keras.tuners import GridSearch, RandomSearch


def test_hook_tunecore_register_tuners():
    assert kt.Tuner is Tuner and kt.tuners.get("keras") is Tuner
    assert kt.RandomSearch is RandomSearch and kt.GridSearch is GridSearch
    assert kt.oracles.RandomSearch is not kt.RandomSearch  # the oracle vs the Keras tuner
    assert {"keras", "RandomSearch", "GridSearch", "BayesianOptimization", "Hyperband"} <= set(kt.tuners.available())


def test_discovery_does_not_import_tensorflow():
    code = (
        "import sys, tunecore; tunecore.tuners.available(); "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
