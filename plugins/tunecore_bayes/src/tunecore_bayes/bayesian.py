"""Gaussian-process Bayesian optimization."""

import dataclasses
import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.spatial.distance
import scipy.stats.qmc

from tunecore.hyperparameters import HyperParameter
from tunecore.oracles import Oracle
from tunecore.trial import TrialStatus
from tunecore_bayes import design, multi_objective
from tunecore_bayes.acquisition import (
    _first_allowed,
    choose,
    choose_batch,
    local_penalty,
    log_expected_improvement,
    optimize_acquisition,
    upper_confidence_bound,
)
from tunecore_bayes.branch_kernel import BranchGaussianProcess
from tunecore_bayes.encoding import SpaceEncoder, space_key
from tunecore_bayes.gp import _SELECTING, LENGTHSCALE_PRIORS, GaussianProcess, GPParams, power_transform


_OBSERVED = (TrialStatus.COMPLETED, TrialStatus.STOPPED)


_TABOO_RADIUS = 0.25
PENDING_STRATEGIES = ("believer", "fantasy", "kriging", "penalize", "auto")
FOLLOW_UPS = ("optimize", "rescore")
CATEGORY_SEARCHES = ("relax", "hold", "enumerate", "split", "branch")
STALL_RULES = ("exploit", "escape")
_STALL_LOG_EI = -10.0  # log EI (standardised outputs) below which the search has stalled: EI < 5e-5 of their spread
_ESCAPE_BASINS = 5  # the most other basins whose local acquisition is tried when stalled
_ESCAPE_HALF_WIDTH = 0.1  # half-width of a basin's trust region, a fraction of the box (scaled by length scales)
_VALLEY_POINTS = np.array([0.25, 0.5, 0.75])  # where a segment between two observations is tested for a hill
_KEPT_FOR_FOLLOW_UP = 256
_LIPSCHITZ_POINTS = 256  # quasi-random points (and the observations) where local penalisation takes L
_BATCH_POOL = 2048  # every scored candidate, for batch EI
_RESELECT_GROWTH = 0.2  # a selecting prior compares all its fits again once the observations grew by this fraction
_SURPRISE = 3.0  # ... or once a new best loss lies this many predictive standard deviations below its leave-one-out mean
_REFIT_GROWTH = 0.0  # BayesianOptimization's GPProposer(refit_growth=...): 0.02 lost over 250 trials


def _kriging(gp, X_pending):
    """``gp`` conditioned on running trials imputed with their posterior mean (the kriging believer)."""
    return gp.posterior_condition(X_pending, gp.predict(X_pending)[0])


def _believe(gp, X_pending):
    """``gp`` conditioned on running trials, each imputed with its posterior mean but never
    better than the incumbent: a running trial predicted to improve would otherwise
    pull the next suggestions next to it, where the mean keeps descending."""
    return gp.posterior_condition(X_pending, np.maximum(gp.predict(X_pending)[0], gp.y_best))


class GPProposer:
    """Proposes a configuration from a GP fitted to ``(values, loss)`` observations.

    Shared by :class:`BayesianOptimization` and model-based Hyperband. The GP's
    hyperparameters are kept between calls to warm-start the next fit.

    Four mechanisms beyond a plain GP-EI loop (issue 12):

    * **A pessimistic prior mean.** The GP reverts to the worst observation,
      not to their mean, far from the data: the corners of the box are tried
      for their uncertainty alone, and a basin is refined instead of left for
      the corners (measured in ``benchmarks/bayes_regret.py``: on Hartmann 6
      it stops the search settling in the second basin).
    * **Learned noise over a low floor.** The noise variance is fitted (MAP,
      with Optuna's gamma prior, which favours small noise but lets a noisy
      objective claim it) and only bounded below by ``alpha``, 1e-9 by default
      on the standardised outputs: a noise-free objective is modelled to full
      precision, a noisy one is not interpolated.
    * **Tied scores.** Observations that share a loss exactly (CV errors are
      multiples of 1/n, whole regions of a search tie) mark a plateau, where
      another evaluation would most likely tie again. Two rules follow. When
      the best loss is tied, EI's target is lowered by the scores'
      resolution, the smallest gap between distinct observed losses: only a
      strictly better score counts as an improvement. And no suggestion falls
      within ``taboo_radius`` of a tied observation with the same categories
      (root-mean-square distance over the numeric columns of the unit cube),
      unless no candidate is left: the plateau is left for unexplored
      regions and other options of a choice.
    * **Large searches.** Above ``max_points`` observations the GP is
      conditioned on a subset: the ``max_points // 2`` observations nearest to
      the incumbent (in length-scale units) and a random sample of the rest,
      so a suggestion costs the same at n = 1000 as at n = ``max_points``; no
      suggestion repeats any observation. Above ``max_points // 2`` the
      hyperparameters are fitted to such a subset of ``max_points // 2``.

    With a selecting length-scale prior (``"select"``, ``"laplace"``) the
    choice of prior is amortised: all candidate priors are fitted and compared
    at the first suggestion, whenever the observations have grown by 20 % since
    the last comparison, and whenever a new best loss surprises the kept fit
    (its standardised leave-one-out residual below -3: a well just found, which
    is what makes another prior win); in between only the kept prior is
    fitted, warm-started, at the cost of a single fit.

    With ``refit_growth`` > 0 the fit itself is amortised the same way: the
    hyperparameters are fitted again only once the observations have grown by
    that fraction since the last fit (with 0.02: at every suggestion up to
    n = 50, every 4th at n = 200) and whenever a selecting prior compares its
    fits (a surprising new best included); in between the last fit's
    hyperparameters are conditioned on the new data, at the cost of one
    Cholesky factorisation.

    Args:
        alpha: Lower bound of the GP's noise variance, on standardised outputs
            (Keras Tuner's ``alpha`` is a fixed noise; here the noise is
            learned and ``alpha`` is its floor).
        beta: Exploration weight of ``acquisition="ucb"``.
        acquisition: ``"ei"`` (log expected improvement) or ``"ucb"``.
        max_points: The most observations the GP is conditioned on (see above).
        taboo_radius: Radius of the neighbourhood of a tied observation that
            suggestions avoid (see above; 0 turns the taboo off).
        prior_mean: ``"max"`` (pessimistic, see above) or ``"mean"`` (v1's).
        lengthscale_prior: The GP's length-scale prior, ``"optuna"``,
            ``"dim_scaled"``, ``"unit_lognormal"``, ``"select"`` or ``"laplace"``
            (see :mod:`tunecore_bayes.gp`); :class:`BayesianOptimization` passes ``"select"``.
        pending: How running trials shape the next suggestion: ``"believer"``
            (each imputed with its posterior mean, or the incumbent's loss if
            that is higher) or ``"fantasy"`` (batch EI over joint posterior
            samples of their outcomes, :func:`~tunecore_bayes.acquisition.batch_log_expected_improvement`;
            with ``acquisition="ei"`` only), ``"kriging"`` (each imputed with its
            posterior mean, and EI's target lowered to the best imputed value)
            or ``"penalize"`` (local penalisation: the acquisition of the GP
            fitted to the observations, multiplied by each running trial's
            :func:`~tunecore_bayes.acquisition.local_penalty`), or ``"auto"``:
            ``"kriging"`` for a suggestion that follows a new result (workers
            asking one at a time: the running trials were chosen by earlier
            models, and a descent goes on from what this one predicts for
            them), ``"believer"`` for the follow-ups of a batch (no new result
            since the last suggestion: the running trials were chosen by this
            very model, and imputing its own predictions would stack its
            guesses on each other); :class:`BayesianOptimization` passes ``"auto"``,
            measured in ``benchmarks/RESULTS.md``.
        follow_up: The next suggestion of a batch, asked with no new
            observation since the last (several workers freed at once):
            ``"optimize"`` (default: the acquisition optimised again with the
            same GP, no refit; about half a suggestion's cost) or ``"rescore"``
            (the last optimisation's kept candidates re-scored: milliseconds,
            for large clusters, but those candidates were chosen before the
            last pending point and may all sit where the batch no longer wants
            one; measured in ``benchmarks/RESULTS.md``).
        activity: Also give the GP, per set of conditions of a conditional
            space, an input that says whether those hyperparameters are
            active (see :mod:`tunecore_bayes.encoding`).
        categories: How the acquisition's local search treats unordered
            choices: ``"relax"`` (default: every encoded column moves, a
            one-hot block too, and the result is rounded to a category),
            ``"hold"`` (each start keeps its categories, and its inactive
            dimensions stay inactive: only the active numeric columns move)
            or ``"enumerate"`` (as ``"hold"``, after each start has been
            replaced by the best of its variants with every option of every
            choice), ``"branch"``: as ``"hold"``, with a GP whose length scales
            of the numeric inputs differ by option of the branching choice (the
            unordered choice that other hyperparameters are conditional on, else
            the first unordered choice), shrunk towards shared ones
            (:mod:`tunecore_bayes.branch_kernel`), or ``"split"``: a GP per option of the branching choice
            (the unordered choice that other hyperparameters are conditional
            on, else the first unordered choice), fitted to the observations
            that took that option, so that each branch has its own length
            scales (an input may matter under one option only) and its own
            active inputs; each GP's acquisition is optimised with its option
            held, and the best of them, against the overall best loss, is
            suggested (running trials: ``pending``'s rule for the trials on
            the same branch; ``pending="fantasy"``, ``follow_up="rescore"`` and
            ``stall="escape"`` are refused with it; an option with no result and no running trial is
            tried first, at the best observation's values not yet tried with it). A space without
            unordered choices is searched the same way under all five.
        stall: What a suggestion does when the search has stalled, its log
            expected improvement below -10 (less than 5e-5 of the outputs'
            spread: a basin refined to the end, or a model that sees nothing
            better anywhere): ``"exploit"`` (default: take it anyway) or
            ``"escape"`` (take the best point of another basin's trust region,
            with EI against that basin's own best loss: the basins are the best
            observations separated from every better one by a hill of the
            posterior mean, tried best first, the first whose own EI has not
            vanished). Opt-in: it finds better wells on multimodal problems and
            delays the refinement of a global basin (``benchmarks/RESULTS.md``).
            ``"escape"`` needs ``acquisition="ei"`` and is refused with
            ``categories="split"``; it is not applied to a suggestion made
            with a local penalty (``pending="penalize"``) or a batch
            (``pending="fantasy"``) while trials run.
        refit_growth: Fit the hyperparameters again once the observations
            have grown by this fraction since the last fit (see above); 0
            (default, what :class:`BayesianOptimization` uses) fits them at
            every suggestion. Measured in ``benchmarks/RESULTS.md``: 0.02 halves
            the time per suggestion at n = 200 but finds less over 250 trials.
    """

    def __init__(
        self,
        alpha: float = 1e-9,
        beta: float = 2.6,
        acquisition: str = "ei",
        max_points: int = 256,
        taboo_radius: float = _TABOO_RADIUS,
        prior_mean: str = "max",
        lengthscale_prior: str = "optuna",
        pending: str = "believer",
        follow_up: str = "optimize",
        activity: bool = False,
        categories: str = "relax",
        stall: str = "exploit",
        refit_growth: float = 0.0,
    ) -> None:
        _check_choice("acquisition", acquisition, ("ei", "ucb"))
        _check_choice("categories", categories, CATEGORY_SEARCHES)
        _check_choice("stall", stall, STALL_RULES)
        _check_choice("prior_mean", prior_mean, ("max", "mean"))
        _check_choice("lengthscale_prior", lengthscale_prior, LENGTHSCALE_PRIORS)
        _check_choice("pending", pending, PENDING_STRATEGIES)
        _check_choice("follow_up", follow_up, FOLLOW_UPS)
        if pending == "fantasy" and acquisition != "ei":
            raise ValueError(
                f"pending='fantasy' (batch expected improvement) needs acquisition='ei'; got "
                f"acquisition={acquisition!r}. Use pending='believer', 'kriging' or 'penalize' with it."
            )
        if stall == "escape" and acquisition != "ei":
            raise ValueError(
                f"stall='escape' (a stall is read from the expected improvement) needs acquisition='ei'; got "
                f"acquisition={acquisition!r}. Use stall='exploit' with it."
            )
        if stall == "escape" and categories == "split":
            raise ValueError(
                "stall='escape' looks for basins in one GP and is not applied under categories='split' (a GP per "
                "option); got both. Use categories='branch' with it, or stall='exploit'."
            )
        if categories == "split" and (pending == "fantasy" or follow_up == "rescore"):
            option = f"pending={pending!r}" if pending == "fantasy" else f"follow_up={follow_up!r}"
            raise ValueError(
                f"{option} is not applied under categories='split' (a GP per option, refitted at each suggestion, "
                f"running trials imputed per option); got both. Use pending='auto', 'believer', 'kriging' or "
                f"'penalize' and follow_up='optimize' with it, or categories='branch'."
            )
        _check_number("alpha", alpha, positive=True)  # the log of the noise floor bounds the fit
        _check_number("beta", beta)
        _check_number("taboo_radius", taboo_radius)
        _check_number("refit_growth", refit_growth)
        if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 4:
            raise ValueError(f"max_points must be an integer of at least 4; got {max_points!r}.")
        if not isinstance(activity, (bool, np.bool_)):
            raise TypeError(f"activity must be True or False; got {activity!r}.")
        self.alpha = alpha
        self.beta = beta
        self.acquisition = acquisition
        self.max_points = max_points
        self.taboo_radius = taboo_radius
        self.prior_mean = prior_mean
        self.lengthscale_prior = lengthscale_prior
        self.pending = pending
        self.follow_up = follow_up
        self.activity = activity
        self.categories = categories
        self.stall = stall
        self.refit_growth = refit_growth
        self.params: GPParams | None = None
        self._encoder: SpaceEncoder | None = None
        # (observations' key, GP, EI target, candidates scored, taboo, X, centres) of the last optimisation
        self._last: tuple[Any, ...] | None = None
        self._asked_on: Any = None  # the observations' key at the last suggestion (``pending="auto"``)
        # (kept prior, observations, best loss) at the last comparison of all priors of a selecting prior
        self._selection: tuple[str, int, float] | None = None
        self._kept_priorities: dict[bytes, float] = {}  # encoded row -> its subset priority
        self._fitted: int | None = None  # observations at the last fit of the hyperparameters
        # (branch of a row, number of branches, numeric columns) under categories="branch"
        self._branches: tuple[Any, int, np.ndarray] | None = None
        # (params, selection) of each option's GP under categories="split"
        self._split: dict[int, tuple[GPParams | None, tuple[str, int, float] | None]] = {}

    def encoder(self, space: Sequence[HyperParameter]) -> SpaceEncoder:
        if self._encoder is None or self._encoder.key != space_key(space):
            self._encoder = SpaceEncoder(space, activity=self.activity)
        return self._encoder

    def propose(
        self,
        space: Sequence[HyperParameter],
        observations: Sequence[tuple[Mapping[str, Any], float]],
        pending: Sequence[Mapping[str, Any]],
        exclude: Sequence[Mapping[str, Any]],
        rng: np.random.Generator,
    ) -> dict[str, Any] | None:
        """The values that maximise the acquisition, or None if the model can't say.

        Args:
            space: The hyperparameters, in definition order.
            observations: ``(values, loss)`` pairs; lower loss is better.
            pending: Values of running trials (their outcome is imputed with the
                posterior mean, the "kriging believer", or the incumbent's loss if
                that is higher, so parallel workers spread out).
            exclude: Values never to propose again (every trial so far).
            rng: A numpy Generator.
        """
        encoder = self.encoder(space)
        if encoder.d == 0 or len(observations) < 2:
            return None
        X = encoder.encode_many([values for values, _ in observations])
        losses = np.array([loss for _, loss in observations], dtype=float)
        key = (encoder.key, X.tobytes(), losses.tobytes())
        if pending and self._last is not None and self._last[0] == key:
            return self._follow_up(space, encoder, pending, exclude, rng)
        repeat, self._asked_on = self._asked_on == key, key  # no new observation since the last suggestion
        n_observed, best_loss = len(losses), float(losses.min())
        target_gap = _resolution(losses) if np.sum(losses == best_loss) >= 2 else 0.0
        _, inverse, counts = np.unique(losses, return_inverse=True, return_counts=True)
        tied_points = X[counts[inverse] >= 2] if (counts >= 2).any() else None
        priority = self._priorities(X) if len(losses) > self.max_points // 2 else np.zeros(0)
        if len(losses) > self.max_points:
            keep = _subset(X, losses, self.max_points, self.params, priority)
            X, losses, priority = X[keep], losses[keep], priority[keep]
        # Losses that span orders of magnitude (Rosenbrock, a diverging learning
        # rate) would make a stationary GP model the outliers and nothing else.
        y = power_transform(losses)
        avoid = None if tied_points is None else _Taboo(encoder, tied_points, self.taboo_radius)
        branch = encoder.branching() if self.categories in ("split", "branch") else None
        self._branches = None
        if branch is not None and self.categories == "branch":
            numeric = np.zeros(encoder.d, dtype=bool)
            numeric[[column.start for column in encoder.columns if column not in encoder.categorical()]] = True
            self._branches = (branch.index, len(branch.values), numeric)
        elif branch is not None:
            self._last = None
            best = float(y.min()) - _transformed_gap(losses, y, target_gap)
            return self._propose_split(space, encoder, branch, X, y, losses, priority, best, avoid, pending,
                                       exclude, rng, repeat)
        gp = self._fit_scheduled(X, y, losses, priority, n_observed, encoder.d, rng)
        best = gp.y_best - _transformed_gap(losses, y, target_gap)
        model = gp
        batch = bool(pending) and self.pending == "fantasy" and self.acquisition == "ei"
        gp, target, penalty = self._with_pending(gp, X, best, encoder.encode_many(pending), batch)
        centres = X[np.argsort(losses, kind="stable")[:_N_CENTRES]]
        exclude_X = encoder.round(encoder.encode_many(exclude))
        x, candidates = optimize_acquisition(
            gp, encoder.d, kind=self.acquisition, beta=self.beta, rng=rng, best=target, avoid=avoid,
            centres=centres, round_fn=encoder.round, exclude=exclude_X, return_candidates=True,
            n_kept=_BATCH_POOL if batch else _KEPT_FOR_FOLLOW_UP, penalty=penalty, **self._category_search(encoder),
        )
        if batch:
            x = choose_batch(model, candidates, encoder.encode_many(pending), best=best, rng=rng,
                             exclude=exclude_X, avoid=avoid)
        elif x is not None and self.stall == "escape" and self.acquisition == "ei" and penalty is None:
            x = _escape(model, gp, X, y, x, target, encoder, rng, exclude_X, avoid, self._category_search(encoder))
        self._last = (key, model, best, candidates, avoid, X, centres)
        return None if x is None else encoder.decode(x, space)

    def _fit_scheduled(self, X, y, losses, priority, n_observed, d, rng):
        """The GP fitted to X, y under the prior the schedule says (see the class
        docstring), warm-started at ``self.params``; updates ``self.params`` and the schedule."""
        best_loss = float(losses.min())
        warm = self.params if self.params is not None and len(self.params.log_lengthscales) == d else None
        prior = self._scheduled_prior(n_observed, warm)
        seed = rng.integers(2**31)
        # Between comparisons, a new best loss far below what the kept fit predicts from the rest.
        check = prior != self.lengthscale_prior and self._selection is not None and best_loss < self._selection[2]
        if self._refit_due(n_observed, warm, prior):
            gp, surprise = self._fit(X, y, losses, priority, warm, prior, seed, check)
            self._fitted = n_observed
        else:  # the last fit's hyperparameters, conditioned on the new data
            gp = self._new_gp(seed, prior).fit(X, y, warm_start=warm, optimize=False)
            surprise = float(gp.loo_residuals()[np.argmin(y)]) if check else 0.0
        if surprise < -_SURPRISE:
            prior = self.lengthscale_prior
            gp, _ = self._fit(X, y, losses, priority, warm, prior, seed, False)
            self._fitted = n_observed
        self.params = gp.params
        if prior in _SELECTING:
            self._selection = (gp.selected_prior, n_observed, best_loss)
        return gp

    def _propose_split(self, space, encoder, branch, X, y, losses, priority, best, avoid, pending, exclude, rng,
                       repeat=False):
        """``categories="split"``: a GP per option of the branching choice, fitted to the
        observations that took it; the suggestion is the best of each option's
        acquisition optimum, all scored against the overall best ``best``."""
        group = branch.index(X)
        X_pending = encoder.encode_many(pending)
        pending_group = branch.index(X_pending) if len(X_pending) else np.zeros(0, dtype=int)
        exclude_X = encoder.round(encoder.encode_many(exclude))
        # An option without a result (a short initial design, its trials failed) has no GP to
        # say anything: tried first, at the best observation's values not yet tried with it,
        # unless a trial on it runs.
        for option in range(len(branch.values)):
            if not (group == option).any() and not (pending_group == option).any():
                x = _first_allowed(encoder.with_option(X, branch, option), losses, exclude_X)
                if x is not None:
                    return encoder.decode(x, space)
        chosen: tuple[float, np.ndarray] | None = None
        kept = self.params, self._selection
        for option in range(len(branch.values)):
            rows = group == option
            if not rows.any():
                continue
            self.params, self._selection = self._split.get(option, (None, None))
            gp = self._fit_scheduled(X[rows], y[rows], losses[rows], priority[rows] if len(priority) else priority,
                                     int(rows.sum()), encoder.d, rng)
            self._split[option] = (self.params, self._selection)
            gp, target, penalty = self._with_pending(gp, X[rows], best, X_pending[pending_group == option], False,
                                                     repeat)

            def on_branch(Z, option=option):
                return encoder.with_option(Z, branch, option)

            x = optimize_acquisition(
                gp, encoder.d, kind=self.acquisition, beta=self.beta, rng=rng, best=target, avoid=avoid,
                centres=X[rows][np.argsort(losses[rows], kind="stable")[:_N_CENTRES]], round_fn=on_branch,
                exclude=exclude_X, penalty=penalty, free=encoder.free_columns,
            )
            if x is None:
                continue
            value = _score(gp, x[None, :], self.acquisition, self.beta, target, penalty)
            if chosen is None or value < chosen[0]:
                chosen = (value, x)
        self.params, self._selection = kept
        return None if chosen is None else encoder.decode(chosen[1], space)

    def _category_search(self, encoder):
        """``optimize_acquisition``'s ``variants`` and ``free`` under ``categories``."""
        if self.categories == "relax" or not encoder.categorical():
            return {}
        if self.categories in ("branch", "split"):
            return {"free": encoder.free_columns}
        return {"free": encoder.free_columns,
                "variants": encoder.category_variants if self.categories == "enumerate" else None}

    def _scheduled_prior(self, n_observed, warm):
        """The length-scale prior to fit now: a selecting prior itself when its
        candidates are due for comparison (see the class docstring), else the one it kept."""
        if self.lengthscale_prior not in _SELECTING or warm is None or self._selection is None:
            return self.lengthscale_prior
        kept, n_selected, _ = self._selection
        return self.lengthscale_prior if n_observed >= n_selected * (1.0 + _RESELECT_GROWTH) else kept

    def _refit_due(self, n_observed, warm, prior):
        """Whether to fit the hyperparameters now: without a warm start, when a
        selecting prior compares its fits, and unless the observations have grown
        by less than ``refit_growth`` since the last fit."""
        if warm is None or prior in _SELECTING or self._fitted is None or self.categories == "split":
            return True  # (with "split" each option's GP is fitted on its own count)
        return not self._fitted <= n_observed < self._fitted * (1.0 + self.refit_growth)

    def _fit(self, X, y, losses, priority, warm, prior, seed, check):
        """(GP conditioned on X, y with hyperparameters fitted under ``prior``, and with
        ``check`` the incumbent's standardised leave-one-out residual in the fit, else 0)."""
        gp = self._new_gp(seed, prior)
        if len(y) > self.max_points // 2:
            # Hyperparameters from half the points (a quarter of the cubic cost),
            # the posterior from all of them.
            fit_on = _subset(X, losses, self.max_points // 2, warm, priority)
            fitted = self._new_gp(seed, prior).fit(X[fit_on], y[fit_on], warm_start=warm)
            gp.selected_prior = fitted.selected_prior
            y_fit = y[fit_on]
            gp = gp.fit(X, y, warm_start=fitted.params, optimize=False)
        else:
            fitted, y_fit = gp.fit(X, y, warm_start=warm), y
        surprise = float(fitted.loo_residuals()[np.argmin(y_fit)]) if check else 0.0
        return gp, surprise

    def _new_gp(self, seed, prior):
        """An unfitted GP: with ``categories="branch"`` on a space with an unordered
        choice, length scales per option of the branching choice."""
        options = {"noise_floor": self.alpha, "seed": seed, "prior_mean": self.prior_mean, "lengthscale_prior": prior}
        if self._branches is None:
            return GaussianProcess(**options)
        branch, n_branches, numeric = self._branches
        return BranchGaussianProcess(branch, n_branches, numeric, **options)

    def _priorities(self, X):
        """A uniform number per observation, a hash of its encoded row (kept per row:
        hashing every observation again cost 0.6 ms a suggestion at n = 1000).

        The random part of a subset (see "Large searches") is the observations of
        lowest priority, so it changes by about one point per new observation
        instead of being redrawn: the hyperparameters fitted to the last subset
        stay a warm start near the new optimum, and the fit takes a few steps
        instead of a dozen. Each subset is still a uniform sample of the others,
        and, being a function of the observations alone, the same after a
        resume (draws kept in the proposer would be lost with it).
        """
        priorities = []
        for row in X:
            key = row.tobytes()
            priority = self._kept_priorities.get(key)
            if priority is None:
                priority = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") / 2.0**64
                self._kept_priorities[key] = priority
            priorities.append(priority)
        return np.array(priorities)

    def _with_pending(self, gp, X, best, X_pending, batch, follow_up=False):
        """(model, EI target, penalty) that the acquisition uses with ``X_pending`` running;
        ``follow_up``: no new observation since the last suggestion."""
        if not len(X_pending) or batch:
            return gp, best, None
        rule = ("believer" if follow_up else "kriging") if self.pending == "auto" else self.pending
        if rule == "penalize":
            reference = np.vstack([X, scipy.stats.qmc.Sobol(X.shape[1], seed=len(X)).random(_LIPSCHITZ_POINTS)])
            return gp, best, local_penalty(gp, X_pending, reference, gp.y_best)
        if rule == "kriging":
            believed = _kriging(gp, X_pending)
            return believed, min(best, believed.y_best), None
        return _believe(gp, X_pending), best, None

    def _follow_up(self, space, encoder, pending, exclude, rng):
        """The next suggestion of a batch: no new observation since the last one, more pending.

        The GP and its hyperparameters are the last suggestion's; only the
        pending points change. ``follow_up="optimize"`` optimises the
        acquisition again under them (no refit: about half a suggestion's
        cost); ``"rescore"`` re-scores the points the last optimisation kept
        (a freed worker of a large cluster gets its trial in milliseconds, but
        those points were chosen for the acquisition before the last pending
        point, and may all sit where the batch no longer wants one).
        """
        _, model, best, candidates, avoid, X, centres = self._last
        exclude_X = encoder.round(encoder.encode_many(exclude))
        if self.pending == "fantasy" and self.acquisition == "ei":
            x = choose_batch(model, candidates, encoder.encode_many(pending), best=best,
                             rng=len(pending), exclude=exclude_X, avoid=avoid)
        else:
            gp, target, penalty = self._with_pending(model, X, best, encoder.encode_many(pending), False, True)
            if self.follow_up == "optimize":
                x = optimize_acquisition(
                    gp, encoder.d, kind=self.acquisition, beta=self.beta, rng=rng, best=target, avoid=avoid,
                    centres=centres, round_fn=encoder.round, exclude=exclude_X, penalty=penalty,
                    **self._category_search(encoder),
                )
            else:
                x = choose(gp, candidates, kind=self.acquisition, beta=self.beta, best=target, avoid=avoid,
                           exclude=exclude_X, penalty=penalty)
        return None if x is None else encoder.decode(x, space)

    def get_state(self) -> dict[str, Any] | None:
        if self.params is None and not self._split:
            return None
        state: dict[str, Any] = {**_model_state(self.params, self._selection), "fitted": self._fitted}
        if self._split:
            state["split"] = {str(option): _model_state(params, selection)
                              for option, (params, selection) in self._split.items()}
        return state

    def set_state(self, state: Mapping[str, Any] | Sequence[float] | None) -> None:
        """Restores ``get_state``'s dict; a list of floats (the parameters alone, the
        state up to 0.2) leaves the next suggestion to compare all priors again."""
        if isinstance(state, Mapping):
            self.params, self._selection = _restored(state)
            self._split = {int(option): _restored(model) for option, model in state.get("split", {}).items()}
            fitted = state.get("fitted")
            self._fitted = None if fitted is None else int(fitted)
        else:
            self.params = None if state is None else GPParams.from_vector(np.asarray(state, dtype=float))
            self._selection = None
            self._split = {}
            self._fitted = None


class BayesianOptimization(Oracle):
    """Bayesian optimization with a Gaussian process, better than Keras Tuner's.

    A Matern-5/2 kernel with one length scale per dimension, amplitude and noise
    fitted by maximum a posteriori from warm starts; categories one-hot encoded;
    log expected improvement maximised over quasi-random candidates and L-BFGS-B,
    at rounded (existing) values only; running trials imputed so that parallel
    workers spread out; never a configuration already tried or running. Tied
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
            ``"believer"`` for the follow-ups of a batch), ``"believer"`` (the
            behaviour up to 0.2), ``"fantasy"``, ``"kriging"`` or ``"penalize"``
            (see :class:`GPProposer`).
        follow_up: How a suggestion asked with no new result since the last
            (several workers freed at once) is found: ``"optimize"`` (default)
            or ``"rescore"`` (faster, for large clusters; see :class:`GPProposer`).
        activity: Give the GP an activity input per set of conditions of a
            conditional space (default False; see :mod:`tunecore_bayes.encoding`).
        categories: How unordered choices are modelled and searched:
            ``"relax"`` (default), ``"hold"``, ``"enumerate"``, ``"branch"``
            (length scales per option of the branching choice) or ``"split"``
            (a GP per option of it; see :class:`GPProposer`).
        stall: What a suggestion does once the expected improvement has
            vanished: ``"exploit"`` (default) or ``"escape"`` to the best other
            basin (see :class:`GPProposer`).
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
            ``categories="split"``, ``alpha <= 0``, or a negative
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
        activity: bool = False,
        categories: str = "relax",
        stall: str = "exploit",
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
        self._proposer = GPProposer(
            alpha=alpha, beta=beta, acquisition=acquisition, lengthscale_prior=lengthscale_prior, pending=pending,
            follow_up=follow_up, activity=activity, categories=categories, stall=stall,
            refit_growth=_REFIT_GROWTH,
        )

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        space = self.hyperparameters.space
        if multi_objective.handles(self):  # a Pareto objective, constraints or a warm start
            return multi_objective.populate_space(self, space)
        values: dict[str, Any] | None
        observations, pending, tried = [], [], []
        for trial in self.trials.values():
            values = self._trial_values(trial)
            tried.append(values)
            if trial.status == TrialStatus.RUNNING:
                pending.append(values)
            elif trial.status in _OBSERVED and trial.score is not None and math.isfinite(trial.score):
                # A pruned (STOPPED) trial counts with the best value it reached: pessimistic, and honest.
                observations.append((values, self._loss(trial.score)))
        values = None
        if len(self.trials) >= self._initial_points(space) and len(observations) >= 2:
            values = self._proposer.propose(space, observations, pending, tried, self.rng)
        if values is None:
            values = self._initial_values(space, len(self.trials))
        if values is None:
            return {"status": TrialStatus.STOPPED}
        return {"status": TrialStatus.RUNNING, "values": values}

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
        return {**super().get_state(), "gp": self._proposer.get_state()}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self._proposer.set_state(state.get("gp"))


_N_CENTRES = 3


def _escape(model, gp, X, y, x, target, encoder, rng, exclude, avoid, search):
    """``x``, or when its log EI shows the search stalled, the best point of another basin's trust region.

    Stalled: log EI at ``x`` below ``_STALL_LOG_EI``. The other basins are the
    best observations separated from the incumbent and from each other by a
    hill of ``model``'s posterior mean (the hill-valley test of niching
    evolutionary algorithms); each is tried in turn, best first, with EI
    against its own loss in a box around it (a trust region, as in TuRBO),
    until one still offers an improvement.
    """
    mean, std = gp.predict(x[None])
    if log_expected_improvement(mean, std, target)[0] >= _STALL_LOG_EI:
        return x
    lengthscales = np.exp(model.params.log_lengthscales)
    half = _ESCAPE_HALF_WIDTH * lengthscales / np.exp(np.mean(np.log(lengthscales)))
    for centre in _basins(model, X, y)[1:]:
        bounds = np.stack([np.clip(X[centre] - half, 0.0, 1.0), np.clip(X[centre] + half, 0.0, 1.0)], axis=1)
        local = optimize_acquisition(
            gp, encoder.d, rng=rng, best=float(y[centre]), centres=X[centre][None], round_fn=encoder.round,
            exclude=exclude, bounds=bounds, avoid=avoid, n_candidates=256, **search,
        )
        if local is None:
            continue
        mean, std = gp.predict(local[None])
        if log_expected_improvement(mean, std, float(y[centre]))[0] >= _STALL_LOG_EI:
            return local
    return x


def _basins(model, X, y):
    """Indices of up to ``_ESCAPE_BASINS + 1`` observations, best first, each separated
    from every better one by a hill: ``model``'s mean somewhere on the segment between
    them above both their values."""
    order = np.argsort(y, kind="stable")
    kept = [order[0]]
    for i in order[1:]:
        others = X[kept]
        points = X[i] + _VALLEY_POINTS[:, None, None] * (others[None, :, :] - X[i])
        mean = model.predict(points.reshape(-1, X.shape[1]))[0].reshape(len(_VALLEY_POINTS), len(kept))
        if np.all(mean.max(axis=0) > np.maximum(y[i], y[kept])):
            kept.append(i)
            if len(kept) > _ESCAPE_BASINS:
                break
    return kept


def _check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")


def _check_number(name, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be a {'positive' if positive else 'non-negative'} finite number; got {value!r}.")


class _Taboo:
    """Marks candidates near tied observations: with the same categories as one
    and within ``radius`` of it in root-mean-square distance over the numeric
    columns of the unit cube."""

    def __init__(self, encoder, tied, radius):
        categorical = design.categorical_columns(encoder)
        self.categorical = np.zeros(encoder.d, dtype=bool)
        for column in categorical:
            self.categorical[column.start:column.start + column.width] = True
        self.categorical[encoder.d_values:] = True  # activity columns: part of "the same categories"
        self.scale = np.sqrt(max(np.sum(~self.categorical), 1))
        self.tied, self.radius = tied, radius

    def __call__(self, X):
        numeric = ~self.categorical
        distance = scipy.spatial.distance.cdist(X[:, numeric], self.tied[:, numeric]) / self.scale
        if self.categorical.any():
            same = scipy.spatial.distance.cdist(X[:, self.categorical], self.tied[:, self.categorical], "cityblock")
            distance = np.where(same < 0.5, distance, np.inf)
        return distance.min(axis=1) < self.radius


def _model_state(params, selection):
    state = {"params": None if params is None else params.to_vector().tolist(),
             "selection": None if selection is None else list(selection)}
    if params is not None and params.log_offsets is not None:
        state["offsets"] = params.log_offsets.tolist()
    return state


def _restored(state):
    """(params, selection) from ``_model_state``'s dict."""
    params = None if state["params"] is None else GPParams.from_vector(np.asarray(state["params"], dtype=float))
    if params is not None and state.get("offsets") is not None:
        params = dataclasses.replace(params, log_offsets=np.asarray(state["offsets"], dtype=float))
    selection = state.get("selection")
    return params, None if selection is None else (str(selection[0]), int(selection[1]), float(selection[2]))


def _score(gp, X, kind, beta, best, penalty):
    """The acquisition's score of one point, shape (1, d), as ``optimize_acquisition`` minimises it."""
    mean, std = gp.predict(X)
    value = -log_expected_improvement(mean, std, best) if kind == "ei" else upper_confidence_bound(mean, std, beta)
    return float((value + (penalty(X) if penalty is not None else 0.0))[0])


def _resolution(losses):
    """The smallest gap between distinct losses: the scores' resolution (0 if all tie)."""
    distinct = np.unique(losses)
    return float(np.diff(distinct).min()) if len(distinct) > 1 else 0.0


def _transformed_gap(losses, y, gap):
    """``gap`` in loss units, carried into the units of ``y = power_transform(losses)``
    by the transform's slope between the best and the next distinct loss."""
    if gap <= 0.0:
        return 0.0
    order = np.argsort(losses, kind="stable")
    above = order[losses[order] > losses[order[0]]]
    if not len(above):
        return 0.0
    i, j = order[0], above[0]
    return gap * (y[j] - y[i]) / (losses[j] - losses[i])


def _subset(X, losses, size, params, priority):
    """Indices of ``size`` observations: the ``size // 2`` nearest to the incumbent,
    in length-scale units when a fit is known, and of the others those of lowest
    ``priority`` (shape (n,), uniform draws: a random sample)."""
    scale = np.ones(X.shape[1]) if params is None or len(params.log_lengthscales) != X.shape[1] \
        else np.exp(params.log_lengthscales)
    incumbent = X[np.argmin(losses)]
    distance = np.sum(((X - incumbent) / scale) ** 2, axis=1)
    near = np.argsort(distance, kind="stable")[:size // 2]
    rest = np.setdiff1d(np.arange(len(X)), near)
    return np.sort(np.concatenate([near, rest[np.argsort(priority[rest], kind="stable")[:size - len(near)]]]))
