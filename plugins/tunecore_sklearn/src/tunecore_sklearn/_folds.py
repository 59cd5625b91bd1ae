"""Cross-validating one estimator: split, fit, score, and summarise the folds."""

import numbers
import time
import traceback

import joblib
import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import has_fit_parameter

from tunecore.errors import FailedTrialError, FatalError
from tunecore.signatures import accepts_keyword


def fit(estimator, X, y, sample_weight=None):
    """Fit ``estimator``, passing ``sample_weight`` where its ``fit`` takes it.

    A pipeline gets the weights as a fit parameter of its final step.
    """
    if sample_weight is None:
        return estimator.fit(X, y)
    if isinstance(estimator, Pipeline):
        name, final = estimator.steps[-1]
        if final is not None and final != "passthrough" and has_fit_parameter(final, "sample_weight"):
            return estimator.fit(X, y, **{f"{name}__sample_weight": sample_weight})
        return estimator.fit(X, y)
    if has_fit_parameter(estimator, "sample_weight"):
        return estimator.fit(X, y, sample_weight=sample_weight)
    return estimator.fit(X, y)


def check_error_score(error_score):
    """Validate the ``error_score`` argument of the tuner."""
    valid = error_score is None or error_score == "raise" or (
        isinstance(error_score, numbers.Real) and not isinstance(error_score, bool)
    )
    if not valid:
        raise ValueError(
            f"error_score must be None (a failing fold fails the trial), 'raise' (it stops "
            f"the search) or a number (the failing fold's score); got {error_score!r}."
        )


def cross_validate(estimator, X, y, splits, scorer, metrics=(), sample_weight=None,
                   n_jobs=None, error_score=None):
    """Fit and score a fresh clone of ``estimator`` on each ``(train, test)`` split.

    Args:
        estimator: An unfitted estimator (cloned per fold, deep-copied if it is
            not a scikit-learn estimator).
        X, y: The data; numpy arrays, pandas objects, lists or sparse matrices.
        splits: ``(train_indices, test_indices)`` pairs.
        scorer: ``scorer(estimator, X, y[, sample_weight=])`` -> float.
        metrics: Functions ``metric(y_true, y_pred[, sample_weight=])``.
        sample_weight: Split with the data; passed to ``fit``, the scorer and metrics.
        n_jobs: Folds run in parallel with joblib when more than one.
        error_score: What a fold that raises does (see :class:`~tunecore_sklearn.Sklearn`).

    Returns:
        A dict of metrics: ``score`` (mean over folds), ``score_std``,
        ``split<k>_score``, ``fit_time`` and ``score_time`` (mean seconds per
        fold), and the mean and ``_std`` of each extra metric.

    Raises:
        FailedTrialError: A fold raised and ``error_score`` is None.
        FatalError: A fold raised and ``error_score`` is ``"raise"``.
    """
    args = (X, y, sample_weight, scorer, tuple(metrics), error_score)
    if n_jobs in (None, 1):
        folds = [_fold(clone(estimator, safe=False), train, test, *args) for train, test in splits]
    else:
        folds = joblib.Parallel(n_jobs=n_jobs)(
            joblib.delayed(_fold)(clone(estimator, safe=False), train, test, *args)
            for train, test in splits
        )
    for fold in folds:
        if "error" in fold:
            kind, message = fold["error"]
            raise (FatalError if kind == "raise" else FailedTrialError)(message)
    return _summarise(folds)


def cross_validate_steps(estimator, X, y, splits, scorer, steps, report, sample_weight=None):
    """Train a clone of ``estimator`` per fold with ``partial_fit``, one pass over its training part per step.

    After each step the folds are scored and ``report(step, metrics)`` is
    called with :func:`step_metrics`; it raises
    :class:`~tunecore.errors.TrialStopped` to stop (a pruner), which ends the
    trial with what it reported.

    Returns:
        The last step's metrics, as :func:`cross_validate`'s (without times).

    Raises:
        FailedTrialError: a fold's ``partial_fit`` or scoring raised.
    """
    metrics = None
    for step, folds in enumerate(iter_partial_fit(estimator, X, y, splits, scorer, steps, sample_weight)):
        metrics = step_metrics(folds)
        report(step, metrics)
    return metrics


def iter_partial_fit(estimator, X, y, splits, scorer, steps, sample_weight=None, n_jobs=None,
                     raise_errors=False):
    """Train a clone of ``estimator`` per split with ``partial_fit``, a pass over its training part per step.

    A pipeline's leading steps are fitted once per split, its final step is
    trained. Classifiers get ``classes=``; ``sample_weight`` is split with the
    data and passed to ``partial_fit`` (where it takes it) and to the scorer.

    Args:
        n_jobs: The splits of a step train in this many threads when more than one.
        raise_errors: Let a split's exception propagate as it is.

    Yields:
        After each step, one dict per split: its test ``score``, and the seconds
        spent on it so far training (``fit_time``) and scoring (``score_time``).

    Raises:
        FailedTrialError: a split's fitting or scoring raised (unless ``raise_errors``).
    """
    classes = np.unique(y) if is_classifier(estimator) else None
    folds = [_StepFold(clone(estimator, safe=False), X, y, train, test, sample_weight, classes, raise_errors)
             for train, test in splits]
    parallel = None if n_jobs in (None, 1) else joblib.Parallel(n_jobs=n_jobs, prefer="threads")
    for step in range(steps):
        if parallel is None:
            yield [fold.advance(step, scorer) for fold in folds]
        else:
            yield parallel(joblib.delayed(fold.advance)(step, scorer) for fold in folds)


def step_metrics(folds):
    """What a step reports: ``score`` (mean over folds), ``score_std`` and ``split<k>_score``."""
    scores = [fold["score"] for fold in folds]
    metrics = {"score": float(np.mean(scores)), "score_std": float(np.std(scores))}
    metrics.update({f"split{k}_score": score for k, score in enumerate(scores)})
    return metrics


def partial_fit_learner(estimator):
    """What ``partial_fit`` trains in ``estimator``: itself or a pipeline's final step; None if neither can."""
    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    return final if hasattr(final, "partial_fit") else None


def fit_steps(estimator, X, y, steps, sample_weight=None):
    """Train ``estimator`` on all the data as :func:`iter_partial_fit` trains each split; returns it."""
    train = _trainer(estimator, X, y, sample_weight, np.unique(y) if is_classifier(estimator) else None)
    for _ in range(steps):
        train()
    return estimator


class _StepFold:
    """One split trained step by step, with the seconds spent on it so far."""

    def __init__(self, model, X, y, train, test, sample_weight, classes, raise_errors):
        self.model, self.classes, self.raise_errors, self.train = model, classes, raise_errors, None
        w_train = None if sample_weight is None else _take(sample_weight, train)
        self.train_data = (_take(X, train), _take(y, train), w_train)
        self.X_test, self.y_test = _take(X, test), _take(y, test)
        self.score_kwargs = {} if sample_weight is None else {"sample_weight": _take(sample_weight, test)}
        self.fit_time = self.score_time = 0.0

    def advance(self, step, scorer):
        start = time.perf_counter()
        try:
            if self.train is None:
                self.train = _trainer(self.model, *self.train_data, self.classes)
            self.train()
            trained = time.perf_counter()
            score = float(scorer(self.model, self.X_test, self.y_test, **self.score_kwargs))
        except Exception:
            if self.raise_errors:
                raise
            raise FailedTrialError(
                f"A fold of {self.model!r} raised at step {step}:\n{traceback.format_exc()}"
            ) from None
        self.fit_time += trained - start
        self.score_time += time.perf_counter() - trained
        return {"score": score, "fit_time": self.fit_time, "score_time": self.score_time}


def _trainer(model, X, y, sample_weight, classes):
    # Returns one partial_fit pass of ``model``'s learner, a pipeline's head fitted first.
    learner = model
    if isinstance(model, Pipeline):
        head = model[:-1]
        if len(head):
            X = head.fit_transform(X, y)
            # A pipeline with memory fits clones of its steps: keep the fitted ones.
            model.steps = [*head.steps, model.steps[-1]]
        learner = model.steps[-1][1]
    kwargs = {} if classes is None else {"classes": classes}
    if sample_weight is not None and accepts_keyword(learner.partial_fit, "sample_weight"):
        kwargs["sample_weight"] = sample_weight
    return lambda: learner.partial_fit(X, y, **kwargs)


def _take(data, indices):
    # _safe_indexing handles every container, but costs ~10x plain numpy indexing.
    return data[indices] if isinstance(data, np.ndarray) else _safe_indexing(data, indices)


def _fold(estimator, train, test, X, y, sample_weight, scorer, metrics, error_score):
    # Errors come back as values: a worker's exception would lose its traceback.
    w_train = w_test = None
    if sample_weight is not None:
        w_train, w_test = _take(sample_weight, train), _take(sample_weight, test)
    X_test, y_test = _take(X, test), _take(y, test)
    start = time.perf_counter()
    try:
        fit(estimator, _take(X, train), _take(y, train), w_train)
        fit_time = time.perf_counter() - start
        weights = {} if w_test is None else {"sample_weight": w_test}
        result = {"score": float(scorer(estimator, X_test, y_test, **weights))}
        if metrics:
            y_pred = estimator.predict(X_test)
            for metric in metrics:
                result[metric.__name__] = float(metric(y_test, y_pred, **weights))
    except Exception:
        if error_score is None or error_score == "raise":
            message = f"A fold of {estimator!r} raised:\n{traceback.format_exc()}"
            return {"error": (error_score, message)}
        fit_time = time.perf_counter() - start
        result = {"score": float(error_score)}
        result.update({metric.__name__: float(error_score) for metric in metrics})
    result["fit_time"] = fit_time
    result["score_time"] = time.perf_counter() - start - fit_time
    return result


def _summarise(folds):
    summary = {}
    for name in folds[0]:
        values = np.array([fold[name] for fold in folds])
        summary[name] = float(values.mean())
        if name not in ("fit_time", "score_time"):
            summary[f"{name}_std"] = float(values.std())
    for k, fold in enumerate(folds):
        summary[f"split{k}_score"] = fold["score"]
    return summary
