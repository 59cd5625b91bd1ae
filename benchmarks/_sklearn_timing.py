"""Timing what the model itself costs, so a framework's overhead is the rest of the wall time.

Every framework gets the same wrapped estimator and the same scorer; both add
their own seconds to one process-wide counter. Overhead = wall time of the
search - (fit seconds + scoring seconds).
"""

import time

from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score

MODEL_SECONDS = [0.0]


class Timed(ClassifierMixin, BaseEstimator):
    """Delegates to ``estimator``, counting the seconds spent in its ``fit``."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y, sample_weight=None):
        start = time.perf_counter()
        self.estimator.fit(X, y)
        self.classes_ = self.estimator.classes_
        MODEL_SECONDS[0] += time.perf_counter() - start
        return self

    def predict(self, X):
        return self.estimator.predict(X)


def timed_accuracy(estimator, X, y, sample_weight=None):
    """An accuracy scorer that counts its seconds (prediction included)."""
    start = time.perf_counter()
    score = accuracy_score(y, estimator.predict(X), sample_weight=sample_weight)
    MODEL_SECONDS[0] += time.perf_counter() - start
    return score


def measure(run):
    """``run()``'s result, its wall seconds and the model seconds spent inside it."""
    MODEL_SECONDS[0] = 0.0
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start, MODEL_SECONDS[0]
