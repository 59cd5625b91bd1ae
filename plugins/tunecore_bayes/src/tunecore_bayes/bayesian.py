"""Gaussian-process Bayesian optimization: the oracle.

The model and its acquisition live in :mod:`tunecore_bayes.proposer`;
``GPProposer`` is importable from here too, where the reference documents it.
"""

import math
from typing import Any

import numpy as np

from tunecore.objective import is_pareto
from tunecore.oracles import Oracle
from tunecore.trial import Trial, TrialStatus
from tunecore_bayes import design, multi_objective
from tunecore_bayes.best import ModelRanking
from tunecore_bayes.proposer import GPProposer, check_choice

__all__ = ["BayesianOptimization", "GPProposer"]

_OBSERVED = (TrialStatus.COMPLETED, TrialStatus.STOPPED)
_EXPLORATIONS = ("refine", "wide")
_FAILURES = ("impute", "ignore")
_BEST = ("observed", "model")
_PARETO = ("alternate", "parego", "ehvi")
_REFIT_GROWTH = 0.0  # BayesianOptimization's GPProposer(refit_growth=...): 0.02 lost over 250 trials


class BayesianOptimization(Oracle):
    """Bayesian optimization with a Gaussian process, better than Keras Tuner's.

    A Matern-5/2 kernel with one length scale per dimension, amplitude and noise
    fitted by maximum a posteriori from warm starts; categories one-hot encoded;
    log expected improvement maximised over quasi-random candidates and L-BFGS-B,
    at rounded (existing) values only; running trials imputed so that parallel
    workers spread out; never a configuration already tried or running; failed
    trials learned as worse than the worst score (``failures``). Tied
    best scores, the noise model and large searches are handled as
    :class:`GPProposer` describes; the initial design as
    :mod:`tunecore_bayes.design` does (every option of every unordered choice
    is tried in it).

    Args:
        objective: The metric to optimise (see :class:`~tunecore.oracles.Oracle`).
        max_trials: How many trials to run.
        num_initial_points: Quasi-random (Sobol) trials before the model is used;
            default ``max(d + 1, k, 5)`` capped at 20, d the number of tunable
            hyperparameters and k the options of the largest unordered choice.
        alpha: Lower bound of the learned noise variance of the GP, on
            standardised outputs (default 1e-9: noise-free objectives are
            modelled to full precision; the noise of a noisy one is learned).
        beta: Exploration weight of ``acquisition="ucb"`` (``mean - beta * std``).
        seed: Random seed.
        acquisition: ``"ei"`` (log expected improvement, default) or ``"ucb"``.
        lengthscale_prior: The GP's length-scale prior: ``"select"`` (default:
            a fit under each of Optuna's prior, the dimension-scaled and the
            unit log-normal one, the one with the largest normalised log
            posterior kept), ``"laplace"`` (the same, by the full Laplace
            evidence), or one of them alone, ``"optuna"`` (the default up to
            0.2), ``"dim_scaled"``, ``"unit_lognormal"``; see :mod:`tunecore_bayes.gp`.
        pending: How running trials (parallel workers) shape the next
            suggestion: ``"auto"`` (default: ``"kriging"`` after a new result,
            ``"believer"`` for the follow-ups of a batch: the newest running
            trial was suggested by the model with no result since, read from
            the trials, so that drivers sharing the search and a resumed
            search suggest what one driver would), ``"believer"`` (the
            behaviour up to 0.2), ``"fantasy"``, ``"kriging"`` or ``"penalize"``
            (see :class:`GPProposer`).
        follow_up: How a suggestion asked with no new result since the last
            (several workers freed at once) is found: ``"optimize"`` (default)
            or ``"rescore"`` (faster, for large clusters, within the driver
            that suggested the batch's last trial; another driver optimises;
            see :class:`GPProposer`).
        activity: Give the GP an activity input per set of conditions of a
            conditional space (default True: measured with the taboo in the
            active inputs in ``benchmarks/RESULTS.md``; a space without
            conditions gets none; see :mod:`tunecore_bayes.encoding`).
        categories: How unordered choices are modelled and searched:
            ``"relax"`` (default), ``"hold"``, ``"enumerate"``, ``"branch"``
            (length scales per option of the branching choice) or ``"split"``
            (a GP per option of it; see :class:`GPProposer`).
        stall: What a suggestion does once the expected improvement has
            vanished: ``"exploit"`` (default) or ``"escape"`` to the best other
            basin (see :class:`GPProposer`).
        taboo: The neighbourhood of a tied score that suggestions avoid:
            ``"span"`` (default: around a tie with tied observations nearby,
            only as far along each input as they span; a tie alone keeps the
            ball, and a tie at the worst score seen leaves open what is nearer
            to a better observation than to it) or ``"ball"`` (the taboo's
            radius in every direction, the default up to 0.2); measured in ``benchmarks/RESULTS.md``; see
            :class:`GPProposer`. Without ties there is no taboo, so the two
            suggest alike.
        exploration: ``"refine"`` (default: the GP reverts to the worst
            observation far from the data and the acquisition search perturbs
            the best observations, so a basin is refined to high precision) or
            ``"wide"``, for objectives with narrow wells: the GP reverts to a
            fitted constant (``prior_mean="fitted"``) and the search scores
            quasi-random candidates (``perturb_best=False``), so the first
            model suggestions spread out instead of refining the best initial
            point; the best observations' perturbations are searched apart and
            only taken where their expected improvement dwarfs the wide
            search's (``polish=True``), so a basin is polished late. Measured in
            ``benchmarks/RESULTS.md`` (issue 24, shekel35 and wells36): Shekel 4
            finds its global well in 22 of 50 seeds instead of 3, and
            Michalewicz 5 improves, but smooth problems are refined less.
        branches: How a conditional space's branches are searched: ``"focus"``
            (default: each suggestion draws an option of the branching choice
            from the best quarter's options, as TPE does, and refines near that
            option's best observations, searching the whole space instead where
            that neighbourhood is refined to the end; measured in
            ``benchmarks/RESULTS.md``, issue 24, cond36 and cond37) or
            ``"joint"`` (every option at once, the behaviour up to 0.2; see
            :class:`GPProposer`). A space without conditions is searched alike
            under both.
        failures: What the GP learns from a FAILED trial (the objective
            raised, or was NaN or infinite at every step): ``"impute"``
            (default: an observation one standard deviation of the scores
            above the worst score, so suggestions leave a failing region and a
            search whose optimum borders it is not ended by
            ``max_consecutive_failed_trials``; when one more failure in a row
            would end it, the suggestion is also weighted by the probability
            of success and may repeat a plateau of tied scores; a Pareto
            objective or constraints count a failure as infeasible; see
            :mod:`tunecore_bayes.failures`, measured in
            ``benchmarks/RESULTS.md``, issue 24, fail37) or ``"ignore"``
            (nothing: only an exact repeat is refused, the behaviour up to 0.2,
            and Keras Tuner's).
        best: Which completed trials ``get_best_trials`` (and so
            ``get_best_hyperparameters``, ``get_best_models`` and
            ``results_summary``) reports first: ``"observed"`` (default: the
            best observed scores, Keras Tuner's meaning) or ``"model"``, for
            noisy objectives: the best posterior means of a GP fitted to the
            completed trials, at their configurations (the noise-smoothed
            score, so not the luckiest draw; a trial's ``score`` stays what it
            reported). Fewer than 2 completed trials: the observed order. A
            single objective without constraints only; see
            :mod:`tunecore_bayes.best`, measured in ``benchmarks/RESULTS.md``
            (issue 24, best38).
        pareto: How a :class:`tunecore.Pareto` objective is modelled:
            ``"parego"`` (one GP of a random augmented Chebyshev scalarisation
            per suggestion, any number of objectives), ``"ehvi"`` (two
            objectives: a GP per objective and the expected hypervolume
            improvement over the observed front, as Optuna's ``GPSampler``;
            :mod:`tunecore_bayes.ehvi`) or ``"alternate"`` (default: the two in
            turn with two objectives, ParEGO with more). Measured in
            ``benchmarks/RESULTS.md`` (issue 24, mo40 and lead40): ``"ehvi"`` is
            better where objectives saturate (VLMOP2 0.512 -> 0.542 at 60
            trials) and much worse on DTLZ2's concave two-objective front (0.32
            -> 0.23); taking turns keeps most of either's gain and neither's loss.
        hyperparameters: As :class:`~tunecore.oracles.Oracle` takes it; it and
            ``allow_new_entries``, ``tune_new_entries``, ``max_retries_per_trial``
            and ``max_consecutive_failed_trials`` follow ``seed`` in Keras
            Tuner's positional order. The options above from ``acquisition``
            on are keyword-only.
        **kwargs: The other arguments every oracle shares (``pruner``,
            ``constraints``, ``warm_start_from``): see :class:`~tunecore.oracles.Oracle`.

    Raises:
        ValueError: an option outside its choices (the message lists them),
            ``pending="fantasy"`` or ``stall="escape"`` with ``acquisition="ucb"``,
            ``stall="escape"``, ``pending="fantasy"`` or ``follow_up="rescore"`` with
            ``categories="split"``, ``taboo="ball"``, ``exploration="wide"`` or
            ``branches="joint"`` or ``best="model"`` with a Pareto objective or constraints,
            ``pareto="ehvi"`` without a Pareto objective of two objectives, ``alpha <= 0``,
            or a negative
            ``beta`` or ``num_initial_points``.
        TypeError: ``activity`` is not a bool.
    """

    def __init__(
        self,
        objective: Any = None,
        max_trials: int | None = 10,
        num_initial_points: int | None = None,
        alpha: float = 1e-9,
        beta: float = 2.6,
        seed: int | None = None,
        hyperparameters: Any = None,
        allow_new_entries: bool = True,
        tune_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int | None = 3,
        *,
        acquisition: str = "ei",
        lengthscale_prior: str = "select",
        pending: str = "auto",
        follow_up: str = "optimize",
        activity: bool = True,
        categories: str = "relax",
        stall: str = "exploit",
        taboo: str = "span",
        exploration: str = "refine",
        branches: str = "focus",
        failures: str = "impute",
        best: str = "observed",
        pareto: str = "alternate",
        **kwargs: Any,
    ) -> None:
        if num_initial_points is not None and (
            isinstance(num_initial_points, bool)
            or not isinstance(num_initial_points, (int, np.integer))
            or num_initial_points < 0
        ):
            raise ValueError(
                f"num_initial_points must be a non-negative integer or None (the default design size); "
                f"got {num_initial_points!r}."
            )
        super().__init__(
            objective=objective, max_trials=max_trials, hyperparameters=hyperparameters,
            allow_new_entries=allow_new_entries, tune_new_entries=tune_new_entries, seed=seed,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials, **kwargs,
        )
        self.num_initial_points = num_initial_points
        self._observed_values: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.alpha = alpha
        self.beta = beta
        check_choice("exploration", exploration, _EXPLORATIONS)
        check_choice("failures", failures, _FAILURES)
        self._failures = failures
        check_choice("best", best, _BEST)
        check_choice("pareto", pareto, _PARETO)
        self.pareto = pareto
        wide = exploration == "wide"
        self._proposer = GPProposer(
            alpha=alpha, beta=beta, acquisition=acquisition, lengthscale_prior=lengthscale_prior, pending=pending,
            follow_up=follow_up, activity=activity, categories=categories, stall=stall, taboo=taboo,
            prior_mean="fitted" if wide else "max", perturb_best=not wide, polish=wide,
            refit_growth=_REFIT_GROWTH, branches=branches,
        )
        self._ranking = None if best == "observed" else ModelRanking(alpha, lengthscale_prior, self._proposer.prior_mean)
        n_objectives = len(self.objective.objectives) if is_pareto(self.objective) else 1
        if pareto == "ehvi" and n_objectives != 2:
            raise ValueError(
                f"pareto='ehvi' (the expected hypervolume improvement) is implemented for a Pareto objective of two "
                f"objectives; got {n_objectives}. Use pareto='parego' or 'alternate' (the default)."
            )
        if multi_objective.own_model(self):
            for name, value, default in (("taboo", taboo, "span"), ("exploration", exploration, "refine"),
                                         ("branches", branches, "focus")):
                if value != default:
                    raise ValueError(
                        f"{name}={value!r} shapes the single-objective GP's search and is not applied to a Pareto "
                        f"objective or constraints, which have their own model (tunecore_bayes.multi_objective); "
                        f"got both. Leave {name}={default!r}, or search one objective without constraints."
                    )
            if best != "observed":
                raise ValueError(
                    f"best={best!r} ranks trials by one objective's GP, but this search has a Pareto objective or "
                    f"constraints, whose best trials are the feasible Pareto front. Leave best='observed', or "
                    f"search one objective without constraints."
                )

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        space = self.hyperparameters.space
        if multi_objective.handles(self):  # a Pareto objective, constraints or a warm start
            return multi_objective.populate_space(self, space)
        values: dict[str, Any] | None
        observations, pending, tried, failed = [], [], [], []
        newest = None  # (creation index, id) of the newest running trial
        for index, trial in enumerate(self.trials.values()):
            values = self._trial_values(trial)
            tried.append(values)
            if trial.status == TrialStatus.RUNNING:
                pending.append(values)
                newest = (index, trial.trial_id)
            elif _observed(trial):
                # A pruned (STOPPED) trial counts with the best value it reached: pessimistic, and honest.
                observations.append((values, self._loss(trial.score)))
            elif trial.status == TrialStatus.FAILED and self._failures == "impute":
                failed.append(values)
        values = None
        initial = self._initial_points(space)
        if len(self.trials) >= initial and len(observations) >= 2:
            # A batch goes on when the model suggested the newest running trial under the observations
            # there are now: read from the trials, not from the proposer's memory, so that drivers sharing
            # the search, and a resumed search, decide as one uninterrupted driver does.
            in_batch = newest is not None and newest[0] >= initial and not any(
                self._learned(trial) for trial in self.ended_since(newest[1])
            )
            values = self._proposer.propose(space, observations, pending, tried, self.rng, in_batch=in_batch,
                                            failed=failed, guard=bool(failed) and self._one_failure_left())
        if values is None:
            values = self._initial_values(space, len(self.trials))
        if values is None:
            return {"status": TrialStatus.STOPPED}
        return {"status": TrialStatus.RUNNING, "values": values}

    def order_best(self, trials: list[Trial]) -> list[Trial]:
        if self._ranking is None:
            return trials
        return self._ranking.order(trials, self._proposer.encoder(self.hyperparameters.space), self._loss)

    @property
    def reranks_best(self) -> bool:
        return self._ranking is not None

    def _one_failure_left(self):
        """Whether one more failure in a row ends the search: the ledger's count, which
        ``max_consecutive_failed_trials`` is checked against."""
        limit = self.max_consecutive_failed_trials
        return limit is not None and self.ledger.consecutive_failures >= limit - 1

    def _learned(self, trial):
        """Whether the GP learns from an ended trial."""
        return _observed(trial) or (trial.status == TrialStatus.FAILED and self._failures == "impute")

    def _trial_values(self, trial):
        """``trial.hyperparameters.values``, kept once the trial is observed: they no
        longer change then, and each read derives the active space again (~4 µs a
        trial, 4 ms a suggestion at 1000 trials)."""
        kept = self._observed_values.get(trial.trial_id)
        if kept is not None and kept[0] is trial.hyperparameters:
            return kept[1]
        values = trial.hyperparameters.values
        if trial.status in _OBSERVED:
            self._observed_values[trial.trial_id] = (trial.hyperparameters, values)
        return values

    def _loss(self, score):
        return -score if self.objective.direction == "max" else score

    def _initial_points(self, space):
        if self.num_initial_points is not None:
            return self.num_initial_points
        return design.initial_design_size(self._proposer.encoder(space))

    def _initial_values(self, space, index):
        """The ``index``-th point of the initial design, or random if already tried."""
        values = design.initial_point(self._proposer.encoder(space), space, index, self.seed)
        if values is not None and not self.is_tried(values):
            return values
        return self.random_values()

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "gp": self._proposer.get_state(),
                "multi_objective": multi_objective.own_proposer(self).get_state()}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self._proposer.set_state(state.get("gp"))
        multi_objective.own_proposer(self).set_state(state.get("multi_objective", {}))


def _observed(trial):
    """Whether a trial ended with a result the GP learns from."""
    return trial.status in _OBSERVED and trial.score is not None and math.isfinite(trial.score)
