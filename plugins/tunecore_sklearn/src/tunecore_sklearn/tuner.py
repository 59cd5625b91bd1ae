"""The Sklearn tuner: cross-validated search over scikit-learn models."""

import difflib
import os
from collections.abc import Callable, Sequence
from typing import Any

import joblib
import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import KFold, check_cv

from tunecore.errors import FatalTypeError, FatalValueError, NoSavedModelError, TrialStopped
from tunecore.hypermodel import HyperModel
from tunecore.hyperparameters import HyperParameters
from tunecore.objective import DEFAULT_OBJECTIVE, Objective
from tunecore.storage import paths
from tunecore.oracles import Oracle
from tunecore.trial import Trial, TrialStatus
from tunecore.tuners import BaseTuner
from tunecore_sklearn import _folds

_MODEL_FILE = "model.joblib"
_WHAT = "The model file of trial {}"  # opened without following links, as every file of a project


class Sklearn(BaseTuner):
    """Cross-validated hyperparameter search for scikit-learn models.

    Keras Tuner's ``SklearnTuner``: each trial builds a model from its
    hyperparameters, fits and scores a clone of it on every split of ``cv``, and
    reports the mean score as ``score``. Also available as ``SklearnTuner``.

    Example:
        ```python
        tuner = tunecore.tuners.Sklearn(
            oracle=tunecore.oracles.RandomSearch(
                objective=tunecore.Objective("score", "max"), max_trials=10),
            hypermodel=build_model,
            scoring="accuracy",
            cv=model_selection.StratifiedKFold(5),
            directory="runs", project_name="iris")
        tuner.search(X_train, y_train)
        best_model = tuner.get_best_models(num_models=1)[0]
        ```

    Each trial records ``score`` (mean over folds), ``score_std``,
    ``split<k>_score`` (one per fold), ``fit_time`` and ``score_time`` (mean
    seconds per fold), and for each extra metric its mean and ``<name>_std``.
    Trials keep no model: the project holds only the journal, until
    :meth:`get_best_models` saves the refitted best models. For that refit the
    tuner keeps a reference to the data of its last :meth:`search`.

    Failures: a hypermodel that raises fails its trial (retried as the oracle's
    ``max_retries_per_trial`` says). A fold whose ``fit`` or scoring raises
    fails the trial with the fold's traceback, without retry, and the search
    goes on — unless ``error_score`` says otherwise.

    Args:
        oracle: A :class:`tunecore.oracles.Oracle`. Its objective should be
            ``Objective("score", "max")``; an oracle created without an
            objective gets that one.
        hypermodel: A :class:`tunecore.HyperModel` or a function ``build(hp)``
            returning an unfitted estimator (anything with ``fit`` and
            ``predict``, pipelines included).
        scoring: A scorer ``scorer(estimator, X, y, sample_weight=None)``
            (``sklearn.metrics.make_scorer``), a scorer name such as
            ``"accuracy"`` or ``"neg_log_loss"``, or None for the model's own
            ``score`` method. Set it when the hypermodel chooses between model
            families, whose ``score`` methods measure different things.
            scikit-learn's own scorers need scikit-learn estimators (they read
            estimator tags); score other models with None or a plain function.
        metrics: Extra metric functions ``metric(y_true, y_pred)`` (or a single
            one), recorded under their ``__name__`` but not optimised.
        cv: A splitter (``KFold``, ``StratifiedKFold``, ``GroupKFold``...) or a
            number of folds. Defaults to ``KFold(5, shuffle=True, random_state=1)``.
        n_jobs: Folds of a trial fitted in parallel with joblib (-1: all CPUs).
            Trials themselves run in parallel with ``search(executor="process")``.
        partial_fit_steps: Train models that have ``partial_fit`` (``SGDClassifier``,
            ``MLPClassifier``...) incrementally: this many passes over each
            fold's training part, reporting the mean score after each, so that
            a pruner (``pruner=`` of the oracle) can stop a poor trial early.
            Models without ``partial_fit`` are cross-validated as usual.
        error_score: What a fold that raises does: None (the default) fails the
            trial with the fold's message; ``"raise"`` stops the search, as in
            scikit-learn; a number (``np.nan``, ``0``...) becomes the fold's score
            and of each extra metric, as scikit-learn's ``error_score`` does.
        **kwargs: :class:`tunecore.BaseTuner` arguments: ``directory``,
            ``project_name``, ``overwrite``...
    """

    def __init__(
        self,
        oracle: Oracle,
        hypermodel: HyperModel | Callable[[HyperParameters], Any],
        scoring: str | Callable[..., float] | None = None,
        metrics: Callable[..., float] | Sequence[Callable[..., float]] | None = None,
        cv: Any = None,
        n_jobs: int | None = None,
        error_score: float | str | None = None,
        partial_fit_steps: int | None = None,
        **kwargs: Any,
    ) -> None:
        _folds.check_error_score(error_score)
        if partial_fit_steps is not None and (
            isinstance(partial_fit_steps, bool) or not isinstance(partial_fit_steps, int) or partial_fit_steps < 1
        ):
            raise ValueError(f"partial_fit_steps must be an integer >= 1 or None; got {partial_fit_steps!r}.")
        if getattr(oracle, "objective", None) == Objective(DEFAULT_OBJECTIVE, "min"):
            oracle.objective = Objective("score", "max")
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)
        self.scoring = scoring
        if metrics is None:
            metrics = []
        self.metrics = list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
        self.cv = KFold(5, shuffle=True, random_state=1) if cv is None else cv
        self.n_jobs = n_jobs
        self.error_score = error_score
        self.partial_fit_steps = partial_fit_steps
        self._data: tuple[Any, Any, Any] | None = None
        self._refit: dict[str, Any] = {}

    def search(  # type: ignore[override]  # X and y are required, unlike BaseTuner's *fit_args
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        groups: Any = None,
        *,
        executor: Any = None,
        max_parallel_trials: int | None = None,
        verbose: int = 1,
        **options: Any,
    ) -> None:
        """Run the search, cross-validating each trial on ``X`` and ``y``.

        Args:
            X: Features, one row per sample: a numpy array, pandas DataFrame,
                sparse matrix or list of rows. A 1-D array (or list) of texts
                or dicts is accepted too, for a pipeline that vectorizes them.
            y: Targets: a numpy array, pandas Series, or list.
            sample_weight: Per-sample weights, split with the data and passed to
                ``fit`` (to a pipeline's final step), to the scorer and metrics.
            groups: Group labels for group splitters such as ``GroupKFold``.
            executor: Where trials run; ``"process"`` for a local process pool
                (see :meth:`tunecore.BaseTuner.search`).
            max_parallel_trials: Trials in flight at once.
            verbose: 0 silences the progress display.
            **options: The other options of :meth:`tunecore.BaseTuner.search`
                (stop conditions, callbacks...).

        Raises:
            FatalValueError: ``X`` is not one row per sample (a 1-D list of
                numbers, ragged rows...), found before any trial runs.
        """
        _check_features(X)
        self._data = (X, y, sample_weight)
        self._refit = {}
        super().search(X, y, sample_weight=sample_weight, groups=groups, executor=executor,
                       max_parallel_trials=max_parallel_trials, verbose=verbose, **options)

    def run_trial(
        self, trial: Trial, X: Any, y: Any, sample_weight: Any = None, groups: Any = None
    ) -> dict[str, float]:
        """Cross-validate the model built from ``trial.hyperparameters``; returns its metrics."""
        model = self.hypermodel.build(trial.hyperparameters)
        if not hasattr(model, "fit"):  # every trial would fail the same way
            raise FatalTypeError(
                "Expected the model-building function (the hypermodel's build(hp)) to return a "
                f"scikit-learn estimator (an object with fit); it returned {model!r} of type "
                f"{type(model).__name__}. Did you forget to return the model?"
            )
        scorer = self._scorer(model)
        splits = list(self._splitter(model, y).split(X, y, groups))
        if self.partial_fit_steps and hasattr(model, "partial_fit"):
            def report(step: int, metrics: dict[str, float]) -> None:
                if self.oracle.report(trial.trial_id, step, **metrics) == TrialStatus.STOPPED:
                    raise TrialStopped(f"Trial {trial.trial_id} was stopped at step {step}.")

            return _folds.cross_validate_steps(
                model, X, y, splits, scorer, self.partial_fit_steps,
                report, sample_weight=sample_weight,
            )
        return _folds.cross_validate(
            model,
            X,
            y,
            splits,
            scorer,
            metrics=self.metrics,
            sample_weight=sample_weight,
            n_jobs=self.n_jobs,
            error_score=self.error_score,
        )

    def _scorer(self, model):
        """``scoring`` as a scorer of ``model``; a ``scoring`` that cannot be one stops the search."""
        try:
            return check_scoring(model, scoring=self.scoring)
        except (ValueError, TypeError) as exc:  # a misspelt name, a model with no score method
            fatal = FatalValueError if isinstance(exc, ValueError) else FatalTypeError
            close = difflib.get_close_matches(self.scoring, get_scorer_names(), n=1) if isinstance(self.scoring, str) else []
            hint = f" Did you mean scoring={close[0]!r}?" if close else ""
            raise fatal(
                f"scoring={self.scoring!r} cannot score the model {type(model).__name__}.{hint} ({exc})"
            ) from exc

    def _splitter(self, model, y):
        if hasattr(self.cv, "split"):
            return self.cv
        try:
            classifier = is_classifier(model)
        except AttributeError:  # not a scikit-learn estimator
            classifier = False
        return check_cv(self.cv, y, classifier=classifier)

    def get_best_models(self, num_models: int = 1) -> list[Any]:
        """The best trials' models, refit on all the data given to :meth:`search`.

        Cross-validation fits one model per fold, each on part of the data; what
        a user wants at the end is the chosen configuration fitted on all of it.
        After a search in this process, each best model is refit on its data
        (once: kept in memory) and saved to ``trial_<id>/model.joblib``. A tuner
        that resumed a project in a new process without searching loads the
        saved models instead.

        Loading a model file runs pickle, which can execute arbitrary code: it
        happens only in that last case, so only resume project directories you
        trust that way (see the README's "Guarantees").

        Returns:
            Fitted estimators, best first.
        """
        return super().get_best_models(num_models)

    def load_model(self, trial: Trial) -> Any:
        """The model of ``trial``, refit on the search data (see :meth:`get_best_models`).

        Raises:
            NoSavedModelError: no search ran in this process and the trial has no saved model.
        """
        if self._data is None:
            path = os.path.join(self.get_trial_dir(trial.trial_id), _MODEL_FILE)
            if not os.path.lexists(path):
                raise NoSavedModelError(
                    f"Trial {trial.trial_id} has no saved model at {path!r}: models are refit "
                    "on the search data, so call search(X, y) in this process first."
                )
            with os.fdopen(paths.open_project_file(path, os.O_RDONLY, _WHAT.format(trial.trial_id)), "rb") as f:
                return joblib.load(f)
        if trial.trial_id not in self._refit:
            model = self.hypermodel.build(trial.hyperparameters.copy())
            _folds.fit(model, *self._data)
            self.save_model(trial.trial_id, model)
            self._refit[trial.trial_id] = model
        return self._refit[trial.trial_id]

    def save_model(self, trial_id: str, model: Any, step: int = 0) -> None:
        """Save ``model`` as the model of ``trial_id``."""
        path = os.path.join(self.get_trial_dir(trial_id), _MODEL_FILE)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        with os.fdopen(paths.open_project_file(path, flags, _WHAT.format(trial_id)), "wb") as f:
            joblib.dump(model, f)

    def __getstate__(self) -> dict[str, Any]:
        # Workers receive the data with the search arguments; do not send it twice.
        state = super().__getstate__()
        state["_data"] = None
        state["_refit"] = {}
        return state


def _check_features(X):
    """Raises `FatalValueError` unless `X` holds one sample per row (or per item, for raw samples)."""
    shape, kind = getattr(X, "shape", None), getattr(getattr(X, "dtype", None), "kind", None)
    if shape is None:  # a list of rows, or something else
        try:
            array = np.asarray(X)
        except ValueError:  # ragged rows
            pass
        else:
            shape, kind = array.shape, array.dtype.kind
    # A pipeline's first step may take raw samples: texts, dicts.
    raw_samples = shape is not None and len(shape) == 1 and kind in ("O", "U", "S")
    if shape is not None and (len(shape) >= 2 or raw_samples):
        return
    if shape is None:
        got = f"a {type(X).__name__} whose rows differ in length"
    else:
        got = f"{type(X).__name__} of shape {tuple(shape)}"
    hint = ""
    if shape is not None and len(shape) == 1:
        hint = " A single feature is one column: X.reshape(-1, 1), or [[x] for x in X] for a list."
    raise FatalValueError(
        "Expected the data to be numpy arrays, pandas DataFrames, scipy sparse matrices or "
        f"lists of rows, of shape (n_samples, n_features); got {got}.{hint}"
    )


SklearnTuner = Sklearn
