"""Hyperband: successive halving in brackets of decreasing aggressiveness."""

import collections
import copy
import math
from collections.abc import Callable, Mapping
from typing import Any, cast

from tunecore import schedule
from tunecore.oracles import Oracle
from tunecore.schedule import scheduled
from tunecore.trial import Trial, TrialStatus

from tunecore_bayes.brackets import HyperbandSchedule


def user_values(trial: Trial) -> dict[str, Any]:
    """A trial's own values, without the scheduling ones an oracle injected."""
    return schedule.user_values(trial.hyperparameters.values)


def run(values: Mapping[str, Any]) -> dict[str, Any]:
    """The response that starts a trial with ``values``."""
    return {"status": TrialStatus.RUNNING, "values": values}


class ModelProposer:
    """BOHB's proposals (Falkner et al., "BOHB: Robust and Efficient Hyperparameter
    Optimization at Scale", ICML 2018), with tunecore's Gaussian process.

    The first configurations are :mod:`tunecore_bayes.design`'s initial design
    (every option of every unordered choice among them), as in
    :class:`~tunecore_bayes.BayesianOptimization`. Then a model is fitted to the
    results at the largest budget (``tuner/epochs``) with at least ``d + 3``
    completed trials, ``d`` the number of tuned hyperparameters; running trials
    at that budget count as pending, failed ones as observations worse than
    the worst (:mod:`tunecore_bayes.failures`). Until then, and for a ``random_fraction``
    of the proposals, it returns None (random). The model is the shared
    :class:`~tunecore_bayes.proposer.GPProposer`: the same noise model, tie
    handling and subset for large searches as the plain BO.

    Args:
        random_fraction: The share of new configurations left random.
        **gp_kwargs: Passed to :class:`tunecore_bayes.proposer.GPProposer`;
            ``lengthscale_prior`` defaults to ``"select"``, as in
            :class:`~tunecore_bayes.BayesianOptimization` (measured in
            ``benchmarks/hyperband_regret.py``).
    """

    def __init__(self, random_fraction: float = 1 / 3, **gp_kwargs: Any) -> None:
        from tunecore_bayes.proposer import GPProposer  # scipy only when used

        self.random_fraction = random_fraction
        self._gp = GPProposer(**{"lengthscale_prior": "select", **gp_kwargs})

    def get_state(self) -> Any:
        """The GP's warm start, so that a resumed search fits as an uninterrupted one would."""
        return self._gp.get_state()

    def set_state(self, state: Any) -> None:
        self._gp.set_state(state)

    def __call__(self, oracle: Oracle) -> dict[str, Any] | None:
        from tunecore_bayes import design

        space = oracle.hyperparameters.space
        encoder = self._gp.encoder(space)
        configurations = {tuple(user_values(trial).items()) for trial in oracle.trials.values()}
        if len(configurations) < design.initial_design_size(encoder):
            return design.initial_point(encoder, space, len(configurations), oracle.seed)
        if oracle.rng.random() < self.random_fraction:
            return None
        observations: collections.defaultdict[Any, list[tuple[dict[str, Any], Any]]]
        pending: collections.defaultdict[Any, list[dict[str, Any]]]
        failed: collections.defaultdict[Any, list[dict[str, Any]]]
        tried: list[dict[str, Any]]
        observations, tried = collections.defaultdict(list), []
        pending, failed = collections.defaultdict(list), collections.defaultdict(list)
        for trial in oracle.trials.values():
            values = user_values(trial)
            tried.append(values)
            budget = trial.hyperparameters.values.get(schedule.EPOCHS)
            if trial.status == TrialStatus.RUNNING:
                pending[budget].append(values)
            elif trial.status == TrialStatus.FAILED:
                failed[budget].append(values)
            elif trial.status == TrialStatus.COMPLETED and math.isfinite(trial.score or math.nan):
                # trial.score is not None here: the isfinite test above.
                observations[budget].append((values, oracle.objective.sort_key(cast(float, trial.score))))
        enough = len(self._gp.encoder(space).columns) + 3
        budgets = [b for b, observed in observations.items() if len(observed) >= enough]
        if not budgets:
            return None
        budget = max(budgets)
        return self._gp.propose(space, observations[budget], pending[budget], tried, oracle.rng,
                                failed=failed[budget])


class Hyperband(Oracle):
    """Hyperband, with Keras Tuner 1.4's schedule (see :mod:`tunecore_bayes.brackets`).

    Every trial gets the values Keras Tuner's ``HyperbandOracle`` injects:
    ``tuner/epochs`` (train up to this epoch), ``tuner/initial_epoch`` (start
    from this one), ``tuner/bracket``, ``tuner/round`` and, for a trial that
    continues a better one from the rung below, ``tuner/trial_id`` (the trial
    whose checkpoint to load). ``run_trial`` reads them from
    ``trial.hyperparameters``; they are not part of the search space.

    With several workers, a rung is promoted from as soon as the best of it is
    sure to rank among those that move up; meanwhile the next bracket starts.
    Once every bracket has started, the oracle returns IDLE until a running
    trial ends. Beyond Keras Tuner: ``max_trials`` caps the search; each
    trial's ``tuner/bracket`` names its own bracket; a bracket that runs out of
    unseen configurations (a small discrete space) halves what it got instead
    of stopping the search; the search space may be declared inside
    ``run_trial``; a resumed project continues its brackets where they stopped
    (with the ``max_epochs`` and ``factor`` it started with), and a larger
    ``hyperband_iterations`` on resume extends it; ``model_based=True`` draws
    new configurations from a Gaussian process, as BOHB does.

    Args:
        objective: A metric name, an :class:`~tunecore.Objective` or a list of them.
        max_epochs: The most epochs one configuration trains.
        factor: The reduction factor between rungs (an int, at least 2).
        hyperband_iterations: How many times to run all the brackets (0 or
            None: until ``max_trials`` or the space runs out).
        seed: Random seed.
        model_based: Whether new configurations come from a Gaussian process
            of the results so far, as in BOHB (see :class:`ModelProposer`),
            rather than at random.
        proposer: A callable ``proposer(oracle)`` that returns the values of a
            new configuration for the first rung of a bracket, or None for a
            random one; a suggestion tried before is replaced by a random one.
            ``model_based=True`` is ``proposer=ModelProposer()``.
        **kwargs: The arguments every oracle shares (see
            :class:`~tunecore.oracles.Oracle`); ``max_trials`` stops the search
            after this many trials (default: when the brackets are done).

    Raises:
        TypeError: ``max_epochs`` or ``factor`` is not an int.
        ValueError: ``factor < 2``, ``max_epochs < 1``, or both ``model_based``
            and ``proposer`` given.
    """

    def __init__(
        self,
        objective: Any = None,
        max_epochs: int = 100,
        factor: int = 3,
        hyperband_iterations: int | None = 1,
        seed: int | None = None,
        model_based: bool = False,
        proposer: Callable[[Oracle], Mapping[str, Any] | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(objective=objective, seed=seed, **kwargs)
        self._schedule = HyperbandSchedule(max_epochs, factor)
        self.max_epochs = max_epochs
        self.factor = factor
        self.hyperband_iterations = hyperband_iterations or math.inf
        if model_based and proposer is not None:
            raise ValueError(
                f"Give model_based=True or a proposer, not both; got proposer={proposer!r}."
            )
        self.model_based = model_based
        self.proposer = ModelProposer() if model_based else proposer
        self._iteration = 0
        self._next_bracket = self._schedule.num_brackets - 1
        # Started brackets not yet done: {"bracket": s, "rungs": [[[trial_id, parent_id], ...], ...],
        # "closed": whether the first rung stopped short because the space ran out}.
        self._brackets: list[dict[str, Any]] = []

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        self._forget(trial_id)
        self._brackets = [b for b in self._brackets if not self._is_done(b)]
        for bracket in self._brackets:
            response = self._advance(bracket, trial_id)
            if response is not None:
                return response
        while self._iteration < self.hyperband_iterations:
            bracket = self._start_bracket()
            response = self._advance(bracket, trial_id)
            if response is not None:
                return response
            if self._is_done(bracket):  # no unseen configuration is left to start one
                break
        return {"status": TrialStatus.IDLE if self.ongoing_trials else TrialStatus.STOPPED}

    def _advance(self, bracket, trial_id):
        """A response that fills the bracket's first rung or promotes into a later one, or None."""
        s, rungs = bracket["bracket"], bracket["rungs"]
        if not bracket["closed"] and len(rungs[0]) < self._schedule.size(s, 0):
            values = self._new_values()
            if values is not None:
                rungs[0].append([trial_id, None])
                return run(scheduled(values, self._schedule.epochs(s, 0), 0, s, 0))
            if self.ongoing_trials:  # they may declare new hyperparameters: wait
                return {"status": TrialStatus.IDLE}
            bracket["closed"] = True
        rung_states = self._rung_states(bracket)
        for r in range(1, s + 1):
            parent = self._promotion(rung_states[r - 1], rung_states[r])
            if parent is not None:
                rungs[r].append([trial_id, parent.trial_id])
                values = scheduled(
                    user_values(parent),
                    self._schedule.epochs(s, r),
                    self._schedule.initial_epoch(s, r),
                    s,
                    r,
                    parent=parent.trial_id,
                )
                return run(values)
        return None

    def _new_values(self):
        if self.proposer is not None:
            values = self.proposer(self)
            if values is not None and not self.is_tried(values):
                return values
        return self.random_values()

    def _promotion(self, below, rung):
        """The trial of rung ``below`` to continue in ``rung`` now, or None.

        The best completed trial not yet promoted moves up once it is sure to
        rank among the ``cap`` best of its rung: when fewer than ``cap`` places
        are taken by earlier promotions and trials that may still beat it.
        """
        if len(rung["members"]) >= rung["cap"]:
            return None
        promoted = {parent for _, parent in rung["members"]}
        candidates = [t for t in below["completed"] if t.trial_id not in promoted]
        if not candidates or len(rung["members"]) + below["unsettled"] >= rung["cap"]:
            return None
        return min(candidates, key=lambda t: self.objective.sort_key(t.score))

    def _rung_states(self, bracket):
        """Per rung: its members, its ``cap`` (how many it will hold), its completed
        trials, how many may still complete (running or not started), whether it is closed."""
        s, states = bracket["bracket"], []
        for r, members in enumerate(bracket["rungs"]):
            if r == 0:
                cap = len(members) if bracket["closed"] else self._schedule.size(s, 0)
            elif states[-1]["closed"]:
                cap = min(self._schedule.size(s, r), len(states[-1]["completed"]))
            else:
                cap = self._schedule.size(s, r)
            trials = [self.trials[trial_id] for trial_id, _ in members]
            n_running = sum(t.status == TrialStatus.RUNNING for t in trials)
            states.append({
                "members": members,
                "cap": cap,
                "completed": [t for t in trials if t.status == TrialStatus.COMPLETED],
                "unsettled": max(cap - len(members), 0) + n_running,
                "closed": len(members) >= cap and n_running == 0,
            })
        return states

    def _is_done(self, bracket):
        return all(state["closed"] for state in self._rung_states(bracket))

    def _start_bracket(self):
        s = self._next_bracket
        bracket = {"bracket": s, "rungs": [[] for _ in range(s + 1)], "closed": False}
        self._brackets.append(bracket)
        self._next_bracket -= 1
        if self._next_bracket < 0:
            self._next_bracket = self._schedule.num_brackets - 1
            self._iteration += 1
        return bracket

    def _forget(self, trial_id):
        """Drop ``trial_id`` from the rungs: the base class asks again when it rejects a suggestion."""
        for bracket in self._brackets:
            for rung in bracket["rungs"]:
                rung[:] = [member for member in rung if member[0] != trial_id]

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state.update({
            "max_epochs": self.max_epochs,
            "factor": self.factor,
            "iteration": self._iteration,
            "next_bracket": self._next_bracket,
            "brackets": copy.deepcopy(self._brackets),
        })
        if isinstance(self.proposer, ModelProposer):
            state["proposer"] = self.proposer.get_state()
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.max_epochs, self.factor = state["max_epochs"], state["factor"]
        self._schedule = HyperbandSchedule(self.max_epochs, self.factor)
        self._iteration = state["iteration"]
        self._next_bracket = state["next_bracket"]
        self._brackets = copy.deepcopy(state["brackets"])
        if isinstance(self.proposer, ModelProposer):
            self.proposer.set_state(state.get("proposer"))
