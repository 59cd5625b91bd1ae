"""Gaussian-process Bayesian optimization."""

import math

import numpy as np
import scipy.stats.qmc

from tunecore.oracles import Oracle
from tunecore.trial import TrialStatus
from tunecore_bayes.acquisition import optimize_acquisition
from tunecore_bayes.encoding import SpaceEncoder, space_key
from tunecore_bayes.gp import GaussianProcess, GPParams, power_transform


class GPProposer:
    """Proposes a configuration from a GP fitted to ``(values, loss)`` observations.

    Shared by :class:`BayesianOptimization` and model-based Hyperband. The GP's
    hyperparameters are kept between calls to warm-start the next fit.

    Args:
        alpha: Noise floor of the GP (on standardised outputs).
        beta: Exploration weight of ``acquisition="ucb"``.
        acquisition: ``"ei"`` (log expected improvement) or ``"ucb"``.
    """

    def __init__(self, alpha=1e-4, beta=2.6, acquisition="ei"):
        if acquisition not in ("ei", "ucb"):
            raise ValueError(f"acquisition must be 'ei' or 'ucb'; got {acquisition!r}.")
        self.alpha = alpha
        self.beta = beta
        self.acquisition = acquisition
        self.params = None
        self._encoder = None

    def encoder(self, space):
        if self._encoder is None or self._encoder.key != space_key(space):
            self._encoder = SpaceEncoder(space)
        return self._encoder

    def propose(self, space, observations, pending, exclude, rng):
        """The values that maximise the acquisition, or None if the model can't say.

        Args:
            space: The hyperparameters, in definition order.
            observations: ``(values, loss)`` pairs; lower loss is better.
            pending: Values of running trials (their outcome is imputed with the
                posterior mean, the "kriging believer", so parallel workers spread out).
            exclude: Values never to propose again (every trial so far).
            rng: A numpy Generator.
        """
        encoder = self.encoder(space)
        if encoder.d == 0 or len(observations) < 2:
            return None
        X = encoder.encode_many([values for values, _ in observations])
        # Losses that span orders of magnitude (Rosenbrock, a diverging learning
        # rate) would make a stationary GP model the outliers and nothing else.
        y = power_transform(np.array([loss for _, loss in observations], dtype=float))
        warm = self.params if self.params is not None and len(self.params.log_lengthscales) == encoder.d else None
        gp = GaussianProcess(noise_floor=self.alpha, seed=rng.integers(2**31)).fit(X, y, warm_start=warm)
        self.params = gp.params
        if pending:
            X_pending = encoder.encode_many(pending)
            gp = gp.posterior_condition(X_pending, gp.predict(X_pending)[0])
        x = optimize_acquisition(
            gp, encoder.d, kind=self.acquisition, beta=self.beta, rng=rng,
            round_fn=encoder.round, exclude=encoder.round(encoder.encode_many(exclude)),
        )
        return None if x is None else encoder.decode(x, space)

    def get_state(self):
        return None if self.params is None else self.params.to_vector().tolist()

    def set_state(self, state):
        self.params = None if state is None else GPParams.from_vector(np.asarray(state))


class BayesianOptimization(Oracle):
    """Bayesian optimization with a Gaussian process, better than Keras Tuner's.

    A Matern-5/2 kernel with one length scale per dimension, amplitude and noise
    fitted by maximum a posteriori from warm starts; categories one-hot encoded;
    log expected improvement maximised over quasi-random candidates and L-BFGS-B,
    at rounded (existing) values only; running trials imputed so that parallel
    workers spread out; never a configuration already tried or running.

    Args:
        objective: The metric to optimise (see :class:`~tunecore.oracles.Oracle`).
        max_trials: How many trials to run.
        num_initial_points: Quasi-random (Sobol) trials before the model is used;
            default ``min(d + 1, 10)`` with at least 3, d the number of tunable
            hyperparameters.
        alpha: Noise floor of the GP, on standardised outputs.
        beta: Exploration weight of ``acquisition="ucb"`` (``mean - beta * std``).
        seed: Random seed.
        acquisition: ``"ei"`` (log expected improvement, default) or ``"ucb"``.
        **kwargs: The arguments every oracle shares (``hyperparameters``,
            ``allow_new_entries``, ``tune_new_entries``, ``max_retries_per_trial``,
            ``max_consecutive_failed_trials``): see :class:`~tunecore.oracles.Oracle`.
    """

    def __init__(
        self,
        objective=None,
        max_trials=10,
        num_initial_points=None,
        alpha=1e-4,
        beta=2.6,
        seed=None,
        acquisition="ei",
        **kwargs,
    ):
        super().__init__(objective=objective, max_trials=max_trials, seed=seed, **kwargs)
        self.num_initial_points = num_initial_points
        self.alpha = alpha
        self.beta = beta
        self._proposer = GPProposer(alpha=alpha, beta=beta, acquisition=acquisition)

    def populate_space(self, trial_id):
        space = self.hyperparameters.space
        observations, pending, tried = [], [], []
        for trial in self.trials.values():
            values = trial.hyperparameters.values
            tried.append(values)
            if trial.status == TrialStatus.RUNNING:
                pending.append(values)
            elif trial.status == TrialStatus.COMPLETED and trial.score is not None and math.isfinite(trial.score):
                observations.append((values, self._loss(trial.score)))
        values = None
        if len(self.trials) >= self._initial_points(space) and len(observations) >= 2:
            values = self._proposer.propose(space, observations, pending, tried, self.rng)
        if values is None:
            values = self._initial_values(space, len(self.trials))
        if values is None:
            return {"status": TrialStatus.STOPPED}
        return {"status": TrialStatus.RUNNING, "values": values}

    def _loss(self, score):
        return -score if self.objective.direction == "max" else score

    def _initial_points(self, space):
        if self.num_initial_points is not None:
            return self.num_initial_points
        d = len(self._proposer.encoder(space).columns)
        return min(max(d + 1, 3), 10)

    def _initial_values(self, space, index):
        """The ``index``-th point of a scrambled Sobol sequence, or random if already tried."""
        encoder = self._proposer.encoder(space)
        if encoder.d:
            m = max(1, math.ceil(math.log2(index + 1)))
            points = scipy.stats.qmc.Sobol(encoder.d, scramble=True, seed=self.seed).random_base2(m)
            values = encoder.decode(encoder.round(points[index:index + 1])[0], space)
            if not self.is_tried(values):
                return values
        return self.random_values()

    def get_state(self):
        return {**super().get_state(), "gp": self._proposer.get_state()}

    def set_state(self, state):
        super().set_state(state)
        self._proposer.set_state(state.get("gp"))
