"""TunecoreSearchCV: a scikit-learn search estimator driven by a tunecore oracle."""

import copy
import logging
import math
import time
from collections.abc import Mapping
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import _fit_context, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state, indexable
from sklearn.utils._param_validation import Interval

from tunecore import oracles
from tunecore.errors import FailedTrialError
from tunecore.hyperparameters import HyperParameters
from tunecore.objective import Objective
from tunecore.oracles import Oracle
from tunecore.signatures import accepts_keyword
from tunecore.storage import Storage, resolve_storage
from tunecore.trial import TrialStatus
from tunecore_sklearn import _folds
from tunecore_sklearn._space import ParameterSpace

logger = logging.getLogger("tunecore")
#: Seconds between asks while other drivers run the search's last trials (doubling up to the second).
_WAIT_FIRST_S, _WAIT_MAX_S = 0.02, 1.0

_TUNER_ID = "search_cv"


class TunecoreSearchCV(BaseSearchCV):
    """Search over an estimator's parameters with a tunecore oracle, by cross-validation.

    A sibling of ``GridSearchCV`` and ``RandomizedSearchCV`` with the same
    attributes (``best_params_``, ``best_score_``, ``best_estimator_``,
    ``cv_results_``...) and methods (``predict``, ``score``...). The oracle
    proposes ``batch_size`` candidates at a time, they are cross-validated
    (in parallel over candidates and folds with ``n_jobs``), and the mean test
    scores go back to the oracle before it proposes more. ``cv_results_`` also
    holds each candidate's ``trial_id``; the oracle, with every trial, is
    ``oracle_``. The oracle lives in memory, unless ``storage`` names a database.

    Example:
        ```python
        from tunecore.hyperparameters import Float
        search = TunecoreSearchCV(
            make_pipeline(StandardScaler(), SVC()),
            {"svc__C": Float("svc__C", 1e-2, 1e3, sampling="log"),
             "svc__kernel": ["rbf", "linear"]},
            oracle="bayesian", n_trials=30, cv=5, random_state=0)
        search.fit(X, y).best_params_
        ```

    Args:
        estimator: The estimator (or pipeline) to tune.
        search_space: A dict mapping parameter names (``"C"``, ``"svc__C"``) to
            tunecore hyperparameters named like their key
            (``tunecore.hyperparameters.Int("max_depth", 2, 12)``) or to lists of
            values (any objects, estimators and None included). Or a
            :class:`tunecore.HyperParameters` named by parameter, which may hold
            conditions.
        oracle: A registered oracle name (``"bayesian"``, ``"random"``,
            ``"grid"``, ``"hyperband"``...) or a :class:`tunecore.oracles.Oracle`
            instance, which is copied and given this search's space, objective
            (the mean test score, maximised) and ``n_trials``.
        n_trials: How many candidates to evaluate at most.
        batch_size: Candidates evaluated together. Larger batches use ``n_jobs``
            better; smaller ones let a model-based oracle learn from each result.
        scoring: As in ``RandomizedSearchCV``: a scorer name, a callable, or
            several (a list or dict); None for the estimator's ``score``.
        n_jobs: As in ``RandomizedSearchCV``: candidates and folds fitted in parallel.
        refit: As in ``RandomizedSearchCV``. With several scorers, ``refit``
            names the one the oracle optimises.
        cv: As in ``RandomizedSearchCV``: a splitter or a number of folds.
        verbose: As in ``RandomizedSearchCV``.
        pre_dispatch: As in ``RandomizedSearchCV``.
        error_score: As in ``RandomizedSearchCV``: the score of a fold that
            fails to fit, or ``"raise"``.
        return_train_score: As in ``RandomizedSearchCV``.
        random_state: Seeds the oracle.
        resource: The parameter that takes the budget of a budgeting oracle
            such as Hyperband (its ``tuner/epochs``), e.g. ``"n_estimators"``.
        oracle_kwargs: Further arguments for a named oracle (e.g.
            ``{"max_epochs": 200}`` for Hyperband, ``{"pruner": "median"}``).
            With an oracle that ranks trials by a model (``{"best": "model"}``
            for ``"bayesian"``), ``best_index_`` (and so ``best_params_``,
            ``best_score_``, ``best_estimator_``) is the candidate it ranks
            first; ``rank_test_score`` stays the ranking by mean test score.
        partial_fit_steps: Train each candidate with ``partial_fit``, this many
            passes over each fold's training part, so that the oracle's pruner
            can stop it early (see below). None: cross-validate with ``fit``.
        storage: Keep the trials in a database: a URL (``"sqlite:///runs.db"``,
            ``"postgresql://..."``) or a :class:`tunecore.storage.Storage`.
            A later ``fit`` resumes the search (``n_trials`` counts every
            trial in it), and searches started elsewhere with the same
            ``storage`` and ``project_name`` share it. None: in memory.
        project_name: The search's name in ``storage`` (default
            ``"untitled_project"``).

    Failed candidates do not stop the search. A candidate whose folds all fail
    (while ``error_score`` is not ``"raise"``) is reported to the oracle as a
    failed trial and, when it was evaluated on its own, is missing from
    ``cv_results_``; if every candidate fails, ``fit`` raises ``ValueError``.

    Pruning: with ``partial_fit_steps=N``, the estimator (or a pipeline's final
    step; the other steps are fitted once per fold) must have ``partial_fit``.
    After each pass over the folds' training parts, the mean test score is
    reported to the oracle as the candidate's step, and its pruner
    (``oracle_kwargs={"pruner": "median"}``, or an oracle instance made with
    ``pruner=``) may stop the candidate there. A stopped candidate keeps its
    last scores in ``cv_results_``, whose ``status`` column says ``"STOPPED"``;
    ``rank_test_score`` ranks it after every completed candidate, so it is
    never ``best_`` while one completed (as in Keras Tuner and Optuna).
    ``best_estimator_`` is trained as the candidates were: N ``partial_fit``
    passes over all the data. Candidates run one after another, since each
    report must reach the oracle before the next step; ``n_jobs`` trains a
    step's folds in threads. This mode takes one scorer, the fit parameters
    ``groups`` and ``sample_weight`` only, and no ``return_train_score``; a
    candidate whose training raises is a failed trial, missing from
    ``cv_results_`` (with ``error_score="raise"``, ``fit`` raises).
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "search_space": [dict, HyperParameters],
        "oracle": [str, Oracle],
        "n_trials": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "resource": [str, None],
        "oracle_kwargs": [dict, None],
        "partial_fit_steps": [Interval(Integral, 1, None, closed="left"), None],
        "storage": [str, Storage, None],
        "project_name": [str, None],
    }

    def __init__(
        self,
        estimator: Any,
        search_space: Mapping[str, Any] | HyperParameters,
        *,
        oracle: str | Oracle = "bayesian",
        n_trials: int = 50,
        batch_size: int = 1,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: bool | str | Any = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: int | str = "2*n_jobs",
        random_state: int | np.random.RandomState | None = None,
        error_score: float | str = np.nan,
        return_train_score: bool = False,
        resource: str | None = None,
        oracle_kwargs: dict[str, Any] | None = None,
        partial_fit_steps: int | None = None,
        storage: str | Storage | None = None,
        project_name: str | None = None,
    ) -> None:
        self.search_space = search_space
        self.oracle = oracle
        self.n_trials = n_trials
        self.batch_size = batch_size
        self.random_state = random_state
        self.resource = resource
        self.oracle_kwargs = oracle_kwargs
        self.partial_fit_steps = partial_fit_steps
        self.storage = storage
        self.project_name = project_name
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any = None, **params: Any) -> "TunecoreSearchCV":
        """Run the search; as ``RandomizedSearchCV.fit``.

        Args:
            X: The training data.
            y: The targets, or None.
            **params: As in ``RandomizedSearchCV.fit``; with ``partial_fit_steps``,
                only ``groups`` (for the splitter) and ``sample_weight``.

        Returns:
            The fitted search.
        """
        if self.partial_fit_steps is None:
            return super().fit(X, y, **params)
        return self._fit_steps(X, y, **params)

    def _run_search(self, evaluate_candidates):
        space = ParameterSpace(self.search_space, self.resource)
        self.oracle_ = oracle = self._make_oracle(space.hyperparameters)
        key = f"mean_test_{self.refit}" if isinstance(self.refit, str) else "mean_test_score"
        asked, evaluated, failure = 0, 0, None
        while trials := self._ask(oracle, asked):
            asked += len(trials)
            candidates = [space.params(trial.hyperparameters.values) for trial in trials]
            try:
                results = evaluate_candidates(
                    candidates, more_results={"trial_id": [t.trial_id for t in trials]}
                )
            except ValueError as exc:
                # scikit-learn raises when every fit of a batch failed; one bad
                # candidate must not end a sequential search.
                if self.error_score == "raise" or "fits failed" not in str(exc):
                    raise
                failure = message = str(exc).strip()
                scores = [math.nan] * len(trials)
            else:
                if key not in results:
                    raise ValueError(
                        f"The search has several scores ({', '.join(_scorer_names(results))}); name "
                        "the one to optimise with refit='<scorer name>'."
                    )
                evaluated += len(trials)
                message = None
                scores = results[key][-len(trials):]
            for trial, score in zip(trials, scores):
                self._tell(oracle, trial, float(score), message)
        if not evaluated:
            raise ValueError(f"All {asked} candidates failed. The last error:\n{failure}")

    def _select_best_index(self, refit, refit_metric, results):
        """scikit-learn's choice, or the oracle's where it ranks the candidates by a model."""
        if callable(refit) or not self.oracle_.reranks_best:
            return super()._select_best_index(refit, refit_metric, results)
        position = {trial_id: i for i, trial_id in enumerate(results["trial_id"])}
        # Trials of other drivers or earlier fits sharing the storage are not candidates of this fit.
        ranked = (position[t.trial_id] for t in self.oracle_.get_best_trials(None) if t.trial_id in position)
        best = next(ranked, None)  # None: no candidate of this fit completed (all were stopped)
        return super()._select_best_index(refit, refit_metric, results) if best is None else best

    def _make_oracle(self, hyperparameters):
        oracle = self._new_oracle(hyperparameters)
        if self.storage is not None:
            oracle.open(resolve_storage(self.storage, ".", self.project_name or "untitled_project"))
        return oracle

    def _new_oracle(self, hyperparameters):
        settings = {
            "objective": Objective("score", "max"),
            # scikit-learn's searches go on whatever fails; so does this one.
            "max_consecutive_failed_trials": self.n_trials + 1,
        }
        if isinstance(self.oracle, Oracle):
            if self.oracle_kwargs:
                raise ValueError(
                    f"oracle_kwargs={self.oracle_kwargs!r} applies to an oracle given by name; "
                    f"configure the instance {self.oracle!r} directly instead."
                )
            oracle = copy.deepcopy(self.oracle)
            for name, value in settings.items():
                setattr(oracle, name, value)
            oracle.max_trials = self.n_trials
            oracle.update_space(hyperparameters)
            return oracle
        factory = oracles.get(self.oracle)
        kwargs = {**settings, "hyperparameters": hyperparameters, "seed": self._seed()}
        if accepts_keyword(factory, "max_trials"):
            kwargs["max_trials"] = self.n_trials
        # Copied: a fit must not change its parameters (a pruner keeps state).
        return factory(**{**kwargs, **copy.deepcopy(self.oracle_kwargs or {})})

    def _fit_steps(self, X, y, groups=None, sample_weight=None, **params):
        if _folds.partial_fit_learner(self.estimator) is None:
            raise ValueError(
                f"partial_fit_steps={self.partial_fit_steps} trains with partial_fit, which "
                f"{self.estimator!r} lacks; use an estimator (or a pipeline's final step) that "
                "has it, such as SGDClassifier, or partial_fit_steps=None."
            )
        if params:
            raise ValueError(f"With partial_fit_steps, fit takes groups and sample_weight only; "
                             f"got {', '.join(sorted(params))}.")
        if not (self.scoring is None or isinstance(self.scoring, str) or callable(self.scoring)):
            raise ValueError(f"With partial_fit_steps, scoring must be one scorer; got {self.scoring!r}.")
        if self.return_train_score:
            raise ValueError("return_train_score=True is not supported with partial_fit_steps.")
        X, y = indexable(X, y)
        self.scorer_ = scorer = check_scoring(self.estimator, self.scoring)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        self.n_splits_ = len(splits)
        self.multimetric_ = False
        results = self._format_results(*self._search_steps(X, y, splits, scorer, sample_weight))
        _rank_completed_first(results)
        self.cv_results_ = results
        self.best_index_ = self._select_best_index(self.refit, "score", results)
        self.best_params_ = results["params"][self.best_index_]
        if not callable(self.refit):
            self.best_score_ = results["mean_test_score"][self.best_index_]
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(**clone(self.best_params_, safe=False))
            start = time.time()
            _folds.fit_steps(self.best_estimator_, X, y, self.partial_fit_steps, sample_weight)
            self.refit_time_ = time.time() - start
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    def _search_steps(self, X, y, splits, scorer, sample_weight):
        # Returns _format_results' arguments: candidates, n_splits, out, more_results.
        space = ParameterSpace(self.search_space, self.resource)
        self.oracle_ = oracle = self._make_oracle(space.hyperparameters)
        candidates, out, more = [], [], {"trial_id": [], "status": []}
        asked, failure = 0, None
        while trials := self._ask(oracle, asked):
            asked += len(trials)
            for trial in trials:
                params = space.params(trial.hyperparameters.values)
                estimator = clone(self.estimator).set_params(**clone(params, safe=False))
                try:
                    folds = self._train(oracle, trial.trial_id, estimator, X, y, splits, scorer, sample_weight)
                except FailedTrialError as exc:
                    failure = str(exc)
                    oracle.tell(trial.trial_id, status=TrialStatus.FAILED, retryable=False, message=failure)
                    continue
                candidates.append(params)
                out += [{"test_scores": f["score"], "fit_time": f["fit_time"], "score_time": f["score_time"]}
                        for f in folds]
                more["trial_id"].append(trial.trial_id)
                # The oracle ends a trial its pruner stopped STOPPED, whatever it is told.
                more["status"].append(oracle.tell(trial.trial_id).status)
        if not candidates:
            raise ValueError(f"All {asked} candidates failed. The last error:\n{failure}")
        return candidates, len(splits), out, more

    def _train(self, oracle, trial_id, estimator, X, y, splits, scorer, sample_weight):
        # Reports each step's scores; returns the folds' last results, at the end or once stopped.
        folds = []
        steps = _folds.iter_partial_fit(estimator, X, y, splits, scorer, self.partial_fit_steps, sample_weight,
                                        n_jobs=self.n_jobs, raise_errors=self.error_score == "raise")
        for step, folds in enumerate(steps):
            if oracle.report(trial_id, step, **_folds.step_metrics(folds)) == TrialStatus.STOPPED:
                break
        return folds

    def _seed(self):
        if self.random_state is None or isinstance(self.random_state, Integral):
            return self.random_state
        return int(check_random_state(self.random_state).randint(2**31 - 1))

    def _ask(self, oracle, asked):
        trials, wait = [], _WAIT_FIRST_S
        while len(trials) < self.batch_size and asked + len(trials) < self.n_trials:
            trial = oracle.ask(_TUNER_ID)
            if trial.status == TrialStatus.IDLE and not trials and oracle.ongoing_trials:
                # Other drivers sharing the storage run the trials left; one may fail and run again here.
                if wait == _WAIT_FIRST_S:
                    logger.info("TunecoreSearchCV waits for the %d trials other drivers run in this search to end.",
                                len(oracle.ongoing_trials))
                time.sleep(wait)
                wait = min(2 * wait, _WAIT_MAX_S)
                continue
            if trial.status != TrialStatus.RUNNING:
                break
            trials.append(trial)
        return trials

    @staticmethod
    def _tell(oracle, trial, score, message):
        if math.isnan(score):
            oracle.tell(
                trial.trial_id, status=TrialStatus.FAILED, retryable=False,
                message=message or "The mean test score is NaN: a fold failed to fit or score.",
            )
        else:
            oracle.tell(trial.trial_id, {"score": score})


def _rank_completed_first(results):
    # A stopped candidate ranks after every completed one, then by mean score (NaN last).
    stopped = results["status"] != TrialStatus.COMPLETED
    means = np.nan_to_num(results["mean_test_score"], nan=-np.inf)
    better = (stopped[None, :] < stopped[:, None]) | (
        (stopped[None, :] == stopped[:, None]) & (means[None, :] > means[:, None])
    )
    results["rank_test_score"] = (1 + better.sum(axis=1)).astype(np.int32)


def _scorer_names(results):
    """The scorers' names in ``cv_results_``-style ``results`` (the keys after ``mean_test_``)."""
    return sorted(key.removeprefix("mean_test_") for key in results if key.startswith("mean_test_"))
