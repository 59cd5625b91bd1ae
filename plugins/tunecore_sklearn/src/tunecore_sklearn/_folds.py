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
    called with ``score`` (the mean over folds) and ``score_std``; it raises
    :class:`~tunecore.errors.TrialStopped` to stop (a pruner), which ends the
    trial with what it reported.

    Returns:
        The last step's metrics, as :func:`cross_validate`'s (without times).

    Raises:
        FailedTrialError: a fold's ``partial_fit`` or scoring raised.
    """
    classes = np.unique(y) if is_classifier(estimator) else None
    folds = []
    for train, test in splits:
        w_train = w_test = None
        if sample_weight is not None:
            w_train, w_test = _take(sample_weight, train), _take(sample_weight, test)
        folds.append((clone(estimator, safe=False), _take(X, train), _take(y, train), w_train,
                      _take(X, test), _take(y, test), w_test))
    metrics = None
    for step in range(steps):
        scores = []
        for model, X_train, y_train, w_train, X_test, y_test, w_test in folds:
            fit_kwargs = {} if classes is None else {"classes": classes}
            if w_train is not None and has_fit_parameter(model, "sample_weight"):
                fit_kwargs["sample_weight"] = w_train
            try:
                model.partial_fit(X_train, y_train, **fit_kwargs)
                weights = {} if w_test is None else {"sample_weight": w_test}
                scores.append(float(scorer(model, X_test, y_test, **weights)))
            except Exception:
                raise FailedTrialError(
                    f"A fold of {model!r} raised at step {step}:\n{traceback.format_exc()}"
                ) from None
        metrics = {"score": float(np.mean(scores)), "score_std": float(np.std(scores))}
        metrics.update({f"split{k}_score": score for k, score in enumerate(scores)})
        report(step, metrics)
    return metrics


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
