"""Helpers shared by the benchmarks: the trivial objective, quiet third-party output, medians, tables."""

import contextlib
import io
import logging
import os
import statistics
import warnings


def silence_frameworks():
    """Quiet TensorFlow, Keras Tuner, Optuna and tunecore before they are imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    warnings.filterwarnings("ignore")
    for name in ("tunecore", "optuna", "keras_tuner", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextlib.contextmanager
def quiet():
    """Swallow stdout and stderr (Keras Tuner prints every trial)."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def trivial_objective(hp):
    """The instant objective of the overhead benchmarks (a float, an int, a choice), Keras Tuner's API."""
    x = hp.Float("x", 0.0, 1.0)
    n = hp.Int("n", 1, 10)
    hp.Choice("c", ["a", "b", "c"])
    return x + n


def trivial_objective_optuna(trial):
    """:func:`trivial_objective` in Optuna's define-by-run API."""
    x = trial.suggest_float("x", 0.0, 1.0)
    n = trial.suggest_int("n", 1, 10)
    trial.suggest_categorical("c", ["a", "b", "c"])
    return x + n
