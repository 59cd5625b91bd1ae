"""Bayesian optimization for Pareto fronts, constraints and warm starts.

:class:`~tunecore_bayes.BayesianOptimization` hands its suggestion here when
its objective is a :class:`tunecore.Pareto`, when it has constraints, or when
it warm-starts from another project. Everything is read through the Oracle's
public API: :meth:`~tunecore.oracles.Oracle.objective_values`,
:meth:`~tunecore.oracles.Oracle.constraint_values` and
:meth:`~tunecore.oracles.Oracle.warm_start_trials`.

Notation:
    n, m, k      observations (this search's COMPLETED trials, then the warm
                 start's), objectives, constraint bounds.
    F  (n, m)    objective losses (maximised objectives negated).
    F̃            F scaled per objective between the observations' best value
                 (0, the ideal point) and the worst value on their Pareto front
                 (1, the nadir point); dominated observations may exceed 1.
                 Where the front does not span an objective (one point
                 dominates all), its worst observation is 1, so the scaling
                 never falls back to the raw units.
    λ            weights drawn uniformly from the simplex, one draw per
                 suggestion (from the trial's random stream).
    s_λ(f̃)       max_i λ_i f̃_i + ρ Σ_i λ_i f̃_i, ρ = 0.05: ParEGO's augmented
                 Chebyshev scalarisation (Knowles, IEEE TEVC 10(1), 2006). Any
                 Pareto-optimal point minimises s_λ for some λ, so random λ
                 over the suggestions spread them along the front.
                 Scaled by the front's extent rather than by all observations,
                 so an objective whose dominated values reach far (DTLZ7's f3:
                 2.6 to 6 on the front, up to 33 off it) does not shrink its
                 front to a sliver of [0, 1], where every λ but the smallest
                 trades it away and the suggestions gather at one end of the
                 front (MOEA/D's normalisation by the ideal and nadir points).
    y  (n,)      what the objective GP models: s_λ(F̃), or the loss with one
                 objective.
    G  (n, k)    constraint margins: value - max and min - value per bound;
                 feasible iff every g_j ≤ 0.
    PoF(x)       Π_j Φ(-μ_j(x) / σ_j(x)), a GP per bound (Gardner et al.,
                 "Bayesian Optimization with Inequality Constraints", ICML 2014).
    α(x)         log EI(x; y*) + log PoF(x), y* the best feasible y; while no
                 observation is feasible, log PoF(x) alone. With
                 ``pareto="ehvi"`` (two objectives) a GP per column of F̃
                 and log EHVI over the feasible front in place of log EI
                 (:mod:`tunecore_bayes.ehvi`); running trials join that
                 front at their posterior means (the believer), so a
                 batch's follow-ups do not repeat the point already running.

Why the two in turn by default (``pareto="alternate"``, two objectives;
ParEGO with more): measured in ``benchmarks/RESULTS.md`` (issue 24, mo40 and
lead40) on eleven fronts, EHVI is far better where objectives saturate
(VLMOP2, Fonseca-Fleming) and far worse on DTLZ2's concave front, ParEGO the
reverse; suggestions that take turns are never the worst of the two there and
the best on ZDT3 and Kursawe. α is maximised
here, over Sobol candidates and perturbations of the best feasible points,
refined by L-BFGS-B, then moved step by step along the grids of discrete
ordered inputs (each move re-refining the continuous ones) while α improves,
with a GP whose prior mean is the data's mean: measured
against handing s_λ to the single-objective :class:`GPProposer` (whose
pessimistic prior mean and tie rules suit one objective), this path gave the
higher median hypervolume on ZDT1 and the MLP problem (10 seeds). A single
objective without constraints (a warm start) uses the :class:`GPProposer`.
This search's FAILED trials are observations of y worse than the worst
(:mod:`tunecore_bayes.failures`), never feasible, and unseen by the
constraints' GPs (they measured nothing).
"""

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.optimize
import scipy.spatial.distance
import scipy.special
import scipy.stats.qmc

from tunecore.hyperparameters import HyperParameter
from tunecore.objective import Constraint, is_pareto
from tunecore.oracles import Oracle
from tunecore.pareto import non_dominated
from tunecore.trial import TrialStatus
from tunecore_bayes import ehvi, failures
from tunecore_bayes.acquisition import log_expected_improvement
from tunecore_bayes.gp import GaussianProcess, GPParams, power_transform

if TYPE_CHECKING:
    from tunecore_bayes.bayesian import BayesianOptimization
    from tunecore_bayes.proposer import GPProposer

_RHO = 0.05
_N_CANDIDATES = 2048
_N_NEAR = 256
_N_LOCAL = 4
_NEAR_SCALE = 0.05
_SAME_POINT = 1e-9
_LOCAL_OPTIONS = {"maxiter": 30}
_LATTICE_PASSES = 3
_EHVI_SAMPLES = 64


def handles(oracle: Oracle) -> bool:
    """Whether ``oracle``'s search needs this module (Pareto, constraints or a warm start)."""
    return (
        is_pareto(oracle.objective)
        or bool(getattr(oracle, "constraints", None))
        or getattr(oracle, "warm_start_from", None) is not None
    )


def own_model(oracle: Oracle) -> bool:
    """Whether ``oracle``'s suggestions come from this module's model (a Pareto
    objective or constraints) rather than the single-objective :class:`GPProposer`."""
    return is_pareto(oracle.objective) or bool(oracle.constraints)


def observations(oracle: Oracle) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """``(values, losses, margins)`` of every usable observation, warm start included.

    ``losses`` (n, m) are objective losses; ``margins`` (n, k) constraint
    margins (NaN where a metric was never reported).
    """
    bounds = constraint_bounds(oracle.constraints)
    trials = [
        t for t in oracle.trials.values() if t.status == TrialStatus.COMPLETED
    ] + list(oracle.warm_start_trials())
    values: list[dict[str, Any]]
    losses: Any
    margins: list[list[float]]
    values, losses, margins = [], [], []
    for trial in trials:
        objective = oracle.objective_values(trial)
        if objective is None or not all(math.isfinite(v) for v in objective):
            continue
        values.append(trial.hyperparameters.values)
        losses.append(_losses(oracle.objective, objective))
        measured = oracle.constraint_values(trial) if bounds else ()
        margins.append([_margin(measured[j], sign, limit) for j, sign, limit in bounds])
    m = len(losses[0]) if losses else 1
    losses = np.array(losses, dtype=float).reshape(len(values), m)
    return values, losses, np.array(margins, dtype=float).reshape(len(values), len(bounds))


def constraint_bounds(constraints: Sequence[Constraint] | None) -> list[tuple[int, float, float]]:
    """``[(index, sign, limit)]``, one per bound: margin = sign * (value - limit)."""
    bounds: list[tuple[int, float, float]] = []
    for j, constraint in enumerate(constraints or ()):
        if constraint.max is not None:
            bounds.append((j, 1.0, constraint.max))
        if constraint.min is not None:
            bounds.append((j, -1.0, constraint.min))
    return bounds


def normalise(losses: np.ndarray) -> np.ndarray:
    """``losses`` (n, m), each objective scaled from its best value (0) to its worst on the Pareto front (1),
    or to its worst observation where the front does not span it (a front of one point)."""
    low, high = losses.min(axis=0), losses[non_dominated(losses)].max(axis=0)
    high = np.where(high > low, high, losses.max(axis=0))
    return (losses - low) / np.where(high > low, high - low, 1.0)


def scalarise(losses: np.ndarray, weights: np.ndarray, rho: float = _RHO) -> np.ndarray:
    """ParEGO's augmented Chebyshev scalarisation of ``losses`` (n, m), scaled by :func:`normalise`."""
    weighted = normalise(losses) * weights
    return weighted.max(axis=1) + rho * weighted.sum(axis=1)


class MultiObjectiveProposer:
    """Suggests for :class:`~tunecore_bayes.BayesianOptimization` when :func:`handles` says so.

    Args:
        proposer: The oracle's :class:`~tunecore_bayes.proposer.GPProposer`
            (used as is for one objective without constraints; its encoder
            and noise floor otherwise).
        pareto: ``"parego"`` (a random scalarisation per suggestion),
            ``"ehvi"`` (two objectives: a GP each, and the expected
            hypervolume improvement, :mod:`tunecore_bayes.ehvi`) or
            ``"alternate"`` (with two objectives, EHVI when the count of
            observations is even and ParEGO when odd; ParEGO with more).
    """

    def __init__(self, proposer: "GPProposer", pareto: str = "alternate") -> None:
        self.proposer = proposer
        self.pareto = pareto
        self._params: dict[str, GPParams] = {}  # GP name -> its last fitted GPParams, to warm-start the next fit

    def get_state(self) -> dict[str, list[float]]:
        """The warm starts, part of the oracle's state: a resumed search fits (and suggests) as an uninterrupted one."""
        return {name: params.to_vector().tolist() for name, params in self._params.items()}

    def set_state(self, state: Mapping[str, Sequence[float]]) -> None:
        self._params = {name: GPParams.from_vector(np.asarray(theta)) for name, theta in state.items()}

    def propose(
        self, oracle: Oracle, space: Sequence[HyperParameter], rng: np.random.Generator
    ) -> dict[str, Any] | None:
        """Values to try next, or None when the model cannot say (too few observations)."""
        values, losses, margins = observations(oracle)
        if len(values) < 2:
            return None
        if losses.shape[1] == 2 and self._ehvi_turn(len(values)):
            y = normalise(losses)
        elif losses.shape[1] > 1:
            y = scalarise(losses, rng.dirichlet(np.ones(losses.shape[1])))
        else:
            y = losses[:, 0]
        own = list(oracle.trials.values())
        tried = [t.hyperparameters.values for t in own]
        pending = [t.hyperparameters.values for t in own if t.status == TrialStatus.RUNNING]
        failed = [t.hyperparameters.values for t in own
                  if t.status == TrialStatus.FAILED and getattr(oracle, "_failures", None) == "impute"]
        if margins.shape[1] == 0 and losses.shape[1] == 1:
            return self.proposer.propose(space, list(zip(values, y)), pending, tried, rng, failed=failed)
        return self._propose_own(space, values, y, margins, pending, tried, failed, rng)

    def _ehvi_turn(self, n_observed: int) -> bool:
        """Whether this suggestion (two objectives) scores the front by EHVI rather than ParEGO."""
        return self.pareto == "ehvi" or (self.pareto == "alternate" and n_observed % 2 == 0)

    def _propose_own(self, space, values, y, margins, pending, tried, failed, rng):
        encoder = self.proposer.encoder(space)
        if encoder.d == 0:
            return None
        X_observed, X_failed = encoder.encode_many(values), encoder.encode_many(failed)
        columns = [failures.impute(X_observed, column, X_failed) for column in y.reshape(len(values), -1).T]
        X, imputed = columns[0][0], columns[0][2]
        y = np.column_stack([column[1] for column in columns])
        margins = np.vstack([margins, np.full((imputed.sum(), margins.shape[1]), np.nan)])
        X_pending = encoder.encode_many(pending) if pending else None
        feasible = np.all(margins <= 0, axis=1) & ~imputed  # NaN (never reported) is infeasible
        objective = self._objective(X, y, feasible, X_pending, rng) if feasible.any() else None
        constraints = []
        for j in range(margins.shape[1]):
            known = ~np.isnan(margins[:, j])
            if known.sum() < 2:
                continue
            constraints.append(self._fit(f"constraint{j}", X[known], margins[known, j], X_pending, rng))

        def score(Xq, return_grad=False):
            """-α at ``Xq`` (m, d), and its gradient."""
            total = np.zeros(len(Xq))
            grad = np.zeros(Xq.shape)
            if objective is not None:
                value, value_grad = objective(Xq, return_grad)
                total += value
                grad += value_grad
            for gp in constraints:
                out = gp.predict(Xq, return_grad=return_grad)
                mean, std = out[0], out[1]
                z = -mean / std
                log_pof = scipy.special.log_ndtr(z)
                total += log_pof
                if return_grad:
                    ratio = np.exp(-0.5 * z**2 - 0.5 * np.log(2 * np.pi) - log_pof)
                    grad += ratio[:, None] * (-out[2] / std[:, None] - z[:, None] * out[3] / std[:, None])
            return (-total, -grad) if return_grad else -total

        scored = ~imputed
        incumbents = X[feasible] if feasible.any() else \
            X[scored][np.argsort(np.nanmax(margins[scored], axis=1))[:3]]
        x = _maximise(score, encoder, incumbents, rng, exclude=encoder.round(encoder.encode_many(tried)))
        return None if x is None else encoder.decode(x, space)

    def _objective(self, X, y, feasible, X_pending, rng):
        """``term(Xq, return_grad) -> (value, gradient or 0)``: log EI of the one modelled
        output ``y`` (n, 1), or of two objectives scaled by :func:`normalise` (n, 2), log EHVI."""
        if y.shape[1] == 1:
            y = power_transform(y[:, 0])
            gps, best = [self._fit("objective", X, y, X_pending, rng)], float(y[feasible].min())
        else:
            gps = [self._fit(f"objective{i}", X, y[:, i], X_pending, rng) for i in range(2)]
            spread = y.max(axis=0) - y.min(axis=0)
            front = y[feasible]
            if X_pending is not None:  # running trials join the front at their believed values
                front = np.vstack([front, np.column_stack([gp.predict(X_pending)[0] for gp in gps])])
            stairs = ehvi.staircase(front[non_dominated(front)], y.max(axis=0) + 0.1 * spread)
            samples = rng.standard_normal((_EHVI_SAMPLES, 2))

        def term(Xq, return_grad):
            out = [gp.predict(Xq, return_grad=return_grad) for gp in gps]
            mean, std = np.stack([o[0] for o in out], axis=1), np.stack([o[1] for o in out], axis=1)
            if len(gps) == 1:
                value = log_expected_improvement(mean[:, 0], std[:, 0], best, return_grad)
            else:
                value = ehvi.log_ehvi(mean, std, stairs, samples, return_grad)
            if not return_grad:
                return value, 0.0
            value, d_mean, d_std = value
            d_mean, d_std = d_mean.reshape(len(Xq), -1), d_std.reshape(len(Xq), -1)
            grad = sum(d_mean[:, [i]] * o[2] + d_std[:, [i]] * o[3] for i, o in enumerate(out))
            return value, grad

        return term

    def _fit(self, name, X, y, X_pending, rng):
        warm = self._params.get(name)
        if warm is not None and len(warm.log_lengthscales) != X.shape[1]:
            warm = None
        gp = GaussianProcess(noise_floor=self.proposer.alpha, seed=rng.integers(2**31)).fit(X, y, warm_start=warm)
        self._params[name] = gp.params
        if X_pending is not None and len(X_pending):
            gp = gp.posterior_condition(X_pending, gp.predict(X_pending)[0])
        return gp


def _maximise(score, encoder, incumbents, rng, exclude):
    d = encoder.d
    sobol = scipy.stats.qmc.Sobol(d, scramble=True, seed=rng)
    spread = sobol.random_base2(int(np.log2(_N_CANDIDATES)))
    centres = incumbents[rng.integers(len(incumbents), size=_N_NEAR)]
    near = np.clip(centres + _NEAR_SCALE * rng.standard_normal((_N_NEAR, d)), 0.0, 1.0)
    candidates = encoder.round(np.vstack([spread, near]))
    scores = score(candidates)
    local = []
    for start in candidates[np.argsort(scores)[:_N_LOCAL]]:
        result = scipy.optimize.minimize(
            lambda x: tuple(v[0] for v in score(x[None, :], return_grad=True)),
            start, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * d, options=_LOCAL_OPTIONS,
        )
        local.append(result.x)
    local = encoder.round(np.array(local))
    candidates = np.vstack([candidates, local])
    scores = np.concatenate([scores, score(local)])
    order = np.argsort(scores)
    if len(exclude):
        distance = scipy.spatial.distance.cdist(candidates[order], exclude, "chebyshev")
        order = order[distance.min(axis=1) > _SAME_POINT]
    return _lattice_moves(score, encoder, candidates[order[0]], exclude) if len(order) else None


def _lattice_moves(score, encoder, x, exclude):
    """``x`` moved one grid step at a time along its discrete ordered columns while α improves.

    Each move refines the continuous columns again (L-BFGS-B from the moved
    point). Rounding α's continuous optimum onto an ``Int``'s grid keeps the
    continuous inputs where the unrounded point wanted them; when a constraint
    couples the two (a wall thickness at least proportional to a radius), the
    point one step away with the radius moved to match can be far better.
    """
    steps = [column for column in encoder.columns if getattr(column, "centres", None) is not None]
    if not steps:
        return x
    free = np.ones(encoder.d, dtype=bool)
    for column in encoder.columns:
        if column in steps or column.width > 1:
            free[column.start:column.start + column.width] = False
    free[encoder.d_values:] = False  # activity columns: rounding sets them from the conditions
    best, best_score = x, score(x[None, :])[0]
    for _ in range(_LATTICE_PASSES):
        moved = False
        for column in steps:
            i = int(np.argmin(np.abs(column.centres - best[column.start])))
            for j in (i - 1, i + 1):
                if not 0 <= j < len(column.centres):
                    continue
                z = best.copy()
                z[column.start] = column.centres[j]
                z = _refine_free(score, encoder, z, free)
                z_score = score(z[None, :])[0]
                if z_score < best_score and _untried(z, exclude):
                    best, best_score, moved = z, z_score, True
        if not moved:
            break
    return best


def _untried(z, exclude):
    return not len(exclude) or scipy.spatial.distance.cdist(z[None, :], exclude, "chebyshev").min() > _SAME_POINT


def _refine_free(score, encoder, z, free):
    """``z`` with its ``free`` columns refined by L-BFGS-B, rounded as the encoder rounds a suggestion."""
    if not free.any():
        return encoder.round(z[None, :])[0]

    def along_free(u):
        q = z.copy()
        q[free] = u
        value, grad = score(q[None, :], return_grad=True)
        return value[0], grad[0][free]

    result = scipy.optimize.minimize(along_free, z[free], jac=True, method="L-BFGS-B",
                                     bounds=[(0.0, 1.0)] * int(free.sum()), options=_LOCAL_OPTIONS)
    z = z.copy()
    z[free] = result.x
    return encoder.round(z[None, :])[0]


def _losses(objective, values):
    if is_pareto(objective):
        return objective.losses(values)
    return tuple(-v if objective.direction == "max" else v for v in values)


def _margin(value, sign, limit):
    return math.nan if value is None or math.isnan(value) else sign * (value - limit)


def own_proposer(oracle: "BayesianOptimization") -> MultiObjectiveProposer:
    """The oracle's :class:`MultiObjectiveProposer`, made on first use."""
    proposer = oracle.__dict__.get("_multi_objective_proposer")
    if proposer is None:
        proposer = oracle.__dict__["_multi_objective_proposer"] = MultiObjectiveProposer(oracle._proposer,
                                                                                       oracle.pareto)
    return proposer


def populate_space(oracle: "BayesianOptimization", space: Sequence[HyperParameter]) -> dict[str, Any]:
    """:meth:`BayesianOptimization.populate_space` for the searches :func:`handles` names.

    Warm-start trials count as observations, also towards the initial
    quasi-random design: with enough of them the model is used from the first trial.
    """
    proposer = own_proposer(oracle)
    values = None
    if len(oracle.trials) + len(oracle.warm_start_trials()) >= oracle._initial_points(space):
        values = proposer.propose(oracle, space, oracle.rng)
    if values is None:
        values = oracle._initial_values(space, len(oracle.trials))
    if values is None:
        return {"status": TrialStatus.STOPPED}
    return {"status": TrialStatus.RUNNING, "values": values}
