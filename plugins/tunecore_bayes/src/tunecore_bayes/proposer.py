"""The GP proposer: a suggestion from a GP fitted to ``(values, loss)`` observations.

:class:`GPProposer` is the model behind :class:`~tunecore_bayes.bayesian.BayesianOptimization`
and model-based Hyperband: it encodes the observations, fits the GP on the
schedule its docstring describes, accounts for running trials, and optimises
the acquisition (with a GP per option under ``categories="split"``).
"""

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.stats.qmc

from tunecore.hyperparameters import HyperParameter
from tunecore_bayes.acquisition import (
    _first_allowed,
    acquisition_score,
    choose,
    choose_batch,
    local_penalty,
    optimize_acquisition,
    optimize_polished,
)
from tunecore_bayes import failures
from tunecore_bayes.branch_kernel import BranchGaussianProcess
from tunecore_bayes.encoding import SpaceEncoder, space_key
from tunecore_bayes.focus import focus_branch
from tunecore_bayes.gp import (
    _SELECTING,
    LENGTHSCALE_PRIORS,
    PRIOR_MEANS,
    GaussianProcess,
    GPParams,
    power_transform,
)
from tunecore_bayes.stall import escape, stalled
from tunecore_bayes.subset import Priorities, subset
from tunecore_bayes.ties import Taboo, resolution, transformed_gap

_TABOO_RADIUS = 0.25
PENDING_STRATEGIES = ("believer", "fantasy", "kriging", "penalize", "auto")
FOLLOW_UPS = ("optimize", "rescore")
CATEGORY_SEARCHES = ("relax", "hold", "enumerate", "split", "branch")
STALL_RULES = ("exploit", "escape")
TABOO_SHAPES = ("ball", "span")
BRANCH_SEARCHES = ("joint", "focus")
_N_CENTRES = 3
_KEPT_FOR_FOLLOW_UP = 256
_LIPSCHITZ_POINTS = 256  # quasi-random points (and the observations) where local penalisation takes L
_BATCH_POOL = 2048  # every scored candidate, for batch EI
_RESELECT_GROWTH = 0.2  # a selecting prior compares all its fits again once the observations grew by this fraction
_SURPRISE = 3.0  # ... or once a new best loss lies this many predictive standard deviations below its leave-one-out mean


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
      (root-mean-square distance over the active numeric columns of the unit
      cube: an inactive input, constant under those categories, neither adds
      to the distance nor dilutes it; with ``taboo="span"``, an ellipsoid
      along the plateau's observed extent instead, see ``taboo`` below),
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
        taboo: The shape of that neighbourhood: ``"ball"`` (default: the
            radius in every direction) or ``"span"`` (where other observations
            tied with it, with its categories, lie within the radius, the
            ellipsoid whose semi-axis along each input is their span along it,
            between a floor, a quarter of the radius or a discrete input's step,
            and the radius; a plateau extends as far as its ties show it does,
            so a better score beside a line of ties, across it, stays open; a
            tie without such partners keeps the ball; a tie at the worst score
            seen leaves open what is nearer to a better observation than to it;
            :class:`~tunecore_bayes.ties.Taboo`). Without tied scores both are
            the same. Measured in ``benchmarks/RESULTS.md``: on svc_digits one
            CV error of 180 better on the median at 50 trials, on
            svc_conditional a tenth of one worse on the mean, so it is opt-in.
        prior_mean: ``"max"`` (pessimistic, see above), ``"mean"`` (v1's) or
            ``"fitted"`` (the generalised least-squares constant, as BoTorch's
            fitted constant mean; see :class:`~tunecore_bayes.gp.GaussianProcess`).
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
            guesses on each other; :class:`BayesianOptimization` reads which
            from its trials, see ``propose``'s ``in_batch``); :class:`BayesianOptimization` passes ``"auto"``,
            measured in ``benchmarks/RESULTS.md``.
        follow_up: The next suggestion of a batch, asked with no new
            observation since the last (several workers freed at once):
            ``"optimize"`` (default: the acquisition optimised again with the
            same GP, no refit; about half a suggestion's cost) or ``"rescore"``
            (the last optimisation's kept candidates re-scored: milliseconds,
            for large clusters, but those candidates were chosen before the
            last pending point and may all sit where the batch no longer wants
            one; measured in ``benchmarks/RESULTS.md``). The candidates are not
            recorded: another driver's follow-up, or one after a resume,
            optimises again on the recorded fit.
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
        perturb_best: Whether the acquisition search also scores perturbations
            of the three best observations (default), which refines a basin to
            high precision; False scores quasi-random candidates only (and
            refines the best of them), as BoTorch's raw samples do: the search
            goes less often to the narrow peaks of EI next to the incumbent.
        polish: With ``perturb_best=False``, also search the perturbations of
            the three best observations apart, and take that search's point
            where its expected improvement is about 1e5 times (e^11.5) that of
            the quasi-random search's: once the wide search finds next to
            nothing, the best basin is polished instead of left unrefined.
            Measured in ``benchmarks/RESULTS.md`` (issue 24, wells36): the same
            global-basin rates on Shekel 4 and Michalewicz 5, 0.3-2.2 orders of
            magnitude lower regret at 100 trials on Branin, Hartmann 6, Shekel 4
            and 7, the mixed problem and branin25. Refused with ``perturb_best=True``.
            With ``acquisition="ucb"`` the polished LCB must be 11.5 lower (on
            the standardised outputs), which in effect never happens.
        branches: On a conditional space, ``"joint"`` (default: the acquisition
            is searched over every option of the choices) or ``"focus"``: each
            suggestion draws an option of the branching choice as TPE weighs
            the best quarter of the observations, and refines near that
            option's best observations, or searches the whole space where that
            neighbourhood is refined to the end (:mod:`tunecore_bayes.focus`). A
            space without conditions is searched alike under both.
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
        taboo: str = "ball",  # after the older options: their positional calls keep their meaning
        perturb_best: bool = True,
        polish: bool = False,
        branches: str = "joint",
    ) -> None:
        check_choice("acquisition", acquisition, ("ei", "ucb"))
        check_choice("categories", categories, CATEGORY_SEARCHES)
        check_choice("stall", stall, STALL_RULES)
        check_choice("taboo", taboo, TABOO_SHAPES)
        check_choice("branches", branches, BRANCH_SEARCHES)
        check_choice("prior_mean", prior_mean, PRIOR_MEANS)
        check_choice("lengthscale_prior", lengthscale_prior, LENGTHSCALE_PRIORS)
        check_choice("pending", pending, PENDING_STRATEGIES)
        check_choice("follow_up", follow_up, FOLLOW_UPS)
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
        for name, flag in (("activity", activity), ("perturb_best", perturb_best), ("polish", polish)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False; got {flag!r}.")
        if polish and perturb_best:
            raise ValueError(
                "polish=True searches the best observations' perturbations apart from a search without them and "
                "needs perturb_best=False; got both. Use perturb_best=False with it, or polish=False."
            )
        self.alpha = alpha
        self.beta = beta
        self.acquisition = acquisition
        self.max_points = max_points
        self.taboo_radius = taboo_radius
        self.taboo = taboo
        self.prior_mean = prior_mean
        self.lengthscale_prior = lengthscale_prior
        self.pending = pending
        self.follow_up = follow_up
        self.activity = activity
        self.categories = categories
        self.stall = stall
        self.refit_growth = refit_growth
        self.perturb_best = perturb_best
        self.polish = polish
        self.branches = branches
        self.params: GPParams | None = None
        self._encoder: SpaceEncoder | None = None
        # (observations' key, GP, EI target, candidates scored, taboo, X, centres, losses) of the last optimisation
        self._last: tuple[Any, ...] | None = None
        self._asked_on: Any = None  # the observations' key at the last suggestion (``pending="auto"``)
        # (kept prior, observations, best loss) at the last comparison of all priors of a selecting prior
        self._selection: tuple[str, int, float] | None = None
        self._priorities = Priorities()
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
        in_batch: bool | None = None,
        failed: Sequence[Mapping[str, Any]] = (),
        guard: bool = False,
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
            in_batch: Whether the newest running trial was suggested under these
                very observations, so that this suggestion continues its batch
                (``pending="auto"`` takes the believer, and the last fit is
                reused, conditioned on the data again where this proposer did
                not make that suggestion). An oracle reads it from the record
                all its drivers share, so that several drivers, and a resumed
                search, suggest what one driver would; None (default): the
                proposer's own memory says (its last suggestion was made on
                these observations).
            failed: Values of failed trials, imputed one standard deviation
                above the worst loss of ``observations``
                (:mod:`tunecore_bayes.failures`); they neither tie nor centre
                the acquisition search.
            guard: One more failure ends the search: with ``failed``, the
                acquisition is weighted by the probability of success
                (:func:`~tunecore_bayes.failures.guard`), and ties are no
                taboo (a plateau seen again, rather than the end; not under
                ``categories="split"`` nor for a batch's follow-ups).
        """
        encoder = self.encoder(space)
        if encoder.d == 0 or len(observations) < 2:
            return None
        X = encoder.encode_many([values for values, _ in observations])
        losses = np.array([loss for _, loss in observations], dtype=float)
        X, losses, imputed = failures.impute(X, losses, encoder.encode_many(failed))
        key = (encoder.key, X.tobytes(), losses.tobytes())
        if in_batch is None:
            in_batch = self._asked_on == key
        self._asked_on = key
        follow_up = bool(pending) and in_batch
        if follow_up and self._last is not None and self._last[0] == key:
            return self._follow_up(space, encoder, pending, exclude, rng)
        n_observed, best_loss = len(losses), float(losses.min())
        # Imputed failures tie each other and the worst score: no plateau of the objective.
        scored = ~imputed
        target_gap = resolution(losses[scored]) if np.sum(losses[scored] == best_loss) >= 2 else 0.0
        avoid = Taboo.around_ties(encoder, X[scored], losses[scored], self.taboo_radius, self.taboo)
        priority = self._priorities(X) if len(losses) > self.max_points // 2 else np.zeros(0)
        if len(losses) > self.max_points:
            keep = subset(X, losses, self.max_points, self.params, priority)
            X, losses, priority, imputed = X[keep], losses[keep], priority[keep], imputed[keep]
        # Losses that span orders of magnitude (Rosenbrock, a diverging learning
        # rate) would make a stationary GP model the outliers and nothing else.
        y = power_transform(losses)
        branch = encoder.branching() if self.categories in ("split", "branch") else None
        self._branches = None
        if branch is not None and self.categories == "branch":
            numeric = np.zeros(encoder.d, dtype=bool)
            numeric[[column.start for column in encoder.columns if column not in encoder.categorical()]] = True
            self._branches = (branch.index, len(branch.values), numeric)
        elif branch is not None:
            self._last = None
            best = float(y.min()) - transformed_gap(losses, y, target_gap)
            return self._propose_split(space, encoder, branch, X, y, losses, priority, best, avoid, pending,
                                       exclude, rng, in_batch)
        centres = self._centres(X[~imputed], losses[~imputed])
        batch = bool(pending) and self.pending == "fantasy" and self.acquisition == "ei"
        if follow_up and not batch and self._fitted_to(encoder.d):
            # Another driver made the batch's last suggestion, or this one before a resume: its fit
            # (the oracle state it recorded) conditioned on the same data is the GP it used; the
            # points it kept for "rescore" are not recorded, so the acquisition is optimised again.
            gp = self._new_gp(0, self.lengthscale_prior).fit(X, y, warm_start=self.params, optimize=False)
            self._last = (key, gp, gp.y_best - transformed_gap(losses, y, target_gap), None, avoid, X, centres, losses)
            return self._follow_up(space, encoder, pending, exclude, rng)
        gp = self._fit_scheduled(X, y, losses, priority, n_observed, encoder.d, rng)
        best = gp.y_best - transformed_gap(losses, y, target_gap)
        model = gp
        gp, target, penalty = self._with_pending(gp, X, best, encoder.encode_many(pending), batch, follow_up)
        guarded = guard and imputed.any()
        if guarded:
            penalty = failures.guard(X, imputed, self.alpha, len(X), penalty)
        exclude_X = encoder.round(encoder.encode_many(exclude))
        # The batch's follow-ups draw their own branch from the unfocused taboo and centres, as another
        # driver's follow-up on the recorded fit (above) does: drivers suggest what one driver would.
        # Playing safe, a plateau's tie is no taboo: seen again, it beats the failure that ends the search.
        x, candidates, focused = self._search(gp, encoder, X, losses, centres, None if guarded else avoid, target,
                                              penalty, rng, exclude=exclude_X,
                                              n_kept=_BATCH_POOL if batch else _KEPT_FOR_FOLLOW_UP)
        if batch:
            x = choose_batch(model, candidates, encoder.encode_many(pending), best=best, rng=rng,
                             exclude=exclude_X, avoid=focused)
        elif x is not None and self.stall == "escape" and self.acquisition == "ei" and penalty is None:
            x = escape(model, gp, X, y, x, target, encoder, rng, exclude_X, focused, self._category_search(encoder))
        self._last = (key, model, best, candidates, avoid, X, centres, losses)
        return None if x is None else encoder.decode(x, space)

    def _search(self, gp, encoder, X, losses, centres, avoid, target, penalty, rng, **options):
        """(x, kept candidates, taboo searched under) of :meth:`_optimize` under ``branches``: on
        a conditional space under ``"focus"``, the drawn branch's neighbourhood
        (:mod:`tunecore_bayes.focus`), or the whole space where the point found there is
        :func:`~tunecore_bayes.stall.stalled` (the neighbourhood refined to the end)."""
        search = dict(rng=rng, return_candidates=True, **options, **self._category_search(encoder))
        focus = focus_branch(encoder, X, losses, centres, avoid, rng) if self.branches == "focus" else None
        if focus is not None:
            x, candidates = self._optimize(gp, encoder.d, focus.centres, target, penalty, avoid=focus.avoid,
                                           round_fn=focus.round, **search)
            if x is None or not stalled(gp, x, target):
                return x, candidates, focus.avoid
        x, candidates = self._optimize(gp, encoder.d, centres, target, penalty, avoid=avoid,
                                       round_fn=encoder.round, **search)
        return x, candidates, avoid

    def _centres(self, X, losses):
        """The best few observations, whose perturbations the acquisition search
        scores as ``perturb_best`` and ``polish`` say (:meth:`_optimize`)."""
        return X[np.argsort(losses, kind="stable")[:_N_CENTRES]]

    def _optimize(self, gp, d, centres, target, penalty, **options):
        """The acquisition's optimum with the perturbations of ``centres`` among the
        candidates (``perturb_best``), without them, or searched apart (``polish``)."""
        options.update(kind=self.acquisition, beta=self.beta, best=target, penalty=penalty)
        if self.polish:
            return optimize_polished(gp, d, centres, **options)
        return optimize_acquisition(gp, d, centres=centres if self.perturb_best else centres[:0], **options)

    def _fitted_to(self, d):
        """Whether a fit of the hyperparameters to ``d`` input columns is known."""
        return self.params is not None and len(self.params.log_lengthscales) == d

    def _fit_scheduled(self, X, y, losses, priority, n_observed, d, rng):
        """The GP fitted to X, y under the prior the schedule says (see the class
        docstring), warm-started at ``self.params``; updates ``self.params`` and the schedule."""
        best_loss = float(losses.min())
        warm = self.params if self._fitted_to(d) else None
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
                       in_batch=False):
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
                                                     in_batch)

            def on_branch(Z, option=option):
                return encoder.with_option(Z, branch, option)

            x = self._optimize(
                gp, encoder.d, self._centres(X[rows], losses[rows]), target, penalty, rng=rng, avoid=avoid,
                round_fn=on_branch, exclude=exclude_X, free=encoder.free_columns,
            )
            if x is None:
                continue
            value = float(acquisition_score(gp, x[None, :], self.acquisition, self.beta, target, penalty)[0])
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
            fit_on = subset(X, losses, self.max_points // 2, warm, priority)
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
        _, model, best, candidates, avoid, X, centres, losses = self._last
        exclude_X = encoder.round(encoder.encode_many(exclude))
        if self.pending == "fantasy" and self.acquisition == "ei":
            x = choose_batch(model, candidates, encoder.encode_many(pending), best=best,
                             rng=len(pending), exclude=exclude_X, avoid=avoid)
        else:
            gp, target, penalty = self._with_pending(model, X, best, encoder.encode_many(pending), False, True)
            if self.follow_up == "optimize" or candidates is None:
                x, _, _ = self._search(gp, encoder, X, losses, centres, avoid, target, penalty, rng,
                                       exclude=exclude_X)
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


def check_choice(name, value, choices):
    """Refuses an option ``name`` whose ``value`` is not one of ``choices``, naming them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")


def _check_number(name, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be a {'positive' if positive else 'non-negative'} finite number; got {value!r}.")


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
