"""Helpers shared by the benchmarks: quiet third-party output, medians, tables."""

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
