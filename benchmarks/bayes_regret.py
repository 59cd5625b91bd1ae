"""Simple regret of tunecore's Bayesian optimization against Keras Tuner and Optuna.

Every method minimises the same test functions (``_testfunctions.py``) with
its default settings, one seed per run. The original six (issue 3): Branin
2-D, Hartmann 6-D, Rosenbrock 4-D, Ackley 5-D, Levy 4-D and a mixed space of a
log-scaled float, an int and a 3-way unordered choice. Four more (issue 12),
one per weakness found: ``ellipsoid4`` (noise-free rotated quadratic: final
precision), ``shekel4`` (ten narrow wells), ``svc_digits`` (a real 3-fold CV
search of an SVC on 180 digits, kernel choice x log C x log gamma: the CV error
is a multiple of 1/180 and whole regions tie) and ``levy10`` (10-D, read at
100 trials).

* ``tunecore_bo``: ``tunecore.oracles.BayesianOptimization`` driven in memory by
  ``tunecore.testing.run_trials``.
* ``tunecore_bo_pending8``: the same, asynchronously with 8 trials always
  running: 8 are asked, then each tell (oldest first) is followed by an ask;
  f values in the order they are told.
* ``tunecore_bo_alpha1e-4``: tunecore_bo with the noise floor of v1 (Keras
  Tuner's ``alpha=1e-4``) instead of 1e-6.
* ``tunecore_random``: ``tunecore.oracles.RandomSearch``, the same way.
* ``kt_bo``: ``keras_tuner.oracles.BayesianOptimizationOracle`` driven through its
  oracle API (create_trial / update_trial / end_trial), project in a temp dir.
* ``optuna_tpe`` / ``optuna_gp``: an in-memory study with ``TPESampler`` /
  ``GPSampler`` driven by ``study.ask`` / ``study.tell`` (define-by-run on a
  conditional space); ``optuna_gp_pending8``: GPSampler with 8 trials always
  running, driven like ``tunecore_bo_pending8``.
* ``tunecore_bo_batch8`` (issue 24): synchronous batches of 8 (8 asked, then
  all 8 told), where 7 of every 8 suggestions are follow-ups (asked with no
  new result); ``_rescore`` / ``_optimize`` name the ``follow_up`` option,
  ``_kriging`` / ``_penalize`` the ``pending`` option (with ``follow_up="optimize"``);
  ``tunecore_bo_kriging_pending8`` / ``tunecore_bo_penalize_pending8`` the same
  options with 8 always running; ``tunecore_bo_believer_pending8`` with ``pending="believer"``,
  the default before ``"auto"`` (which is ``"kriging"`` there: each ask follows a new result).
* ``botorch`` (issue 24): a standard BoTorch loop (BoTorch's defaults:
  ``SingleTaskGP`` with its dimension-scaled priors and ``Standardize``,
  ``fit_gpytorch_mll``, ``qLogNoisyExpectedImprovement`` maximised by
  ``optimize_acqf`` with 10 restarts from 512 raw samples) on the space encoded
  into [0, 1]^d (log floats on the log scale, integers rounded, choices one-hot
  and decoded by argmax; inactive conditional parameters are dropped from the
  values but their columns kept); the same Sobol initial design size as
  tunecore's. ``botorch_pending8``: the same with 8 trials running (BoTorch's
  ``X_pending``). Needs ``botorch`` (the ``benchmarks`` extra).
* ``tunecore_bo_dimprior`` / ``tunecore_bo_selectprior`` / ``tunecore_bo_laplaceprior`` /
  ``tunecore_bo_optunaprior``: tunecore_bo with ``lengthscale_prior="dim_scaled"`` /
  ``"select"`` (the default since issue 24) / ``"laplace"`` / ``"optuna"`` (the default before).
* ``tunecore_bo_ftol1e-5``: tunecore_bo with the GP fit stopped at a relative
  reduction of 1e-5 instead of 1e-7 (a speed ablation).
* ``tunecore_bo_cand512`` / ``tunecore_bo_local25``: tunecore_bo with 512
  quasi-random candidates (and 128 perturbations of the best) instead of
  1024 (and 256) / at most 25 joint L-BFGS-B iterations of the acquisition's
  local search instead of 50 (speed ablations, issue 24).
* ``tunecore_bo_refit2``: tunecore_bo with the GP's hyperparameters refitted
  only once the observations grew by 2 % since the last fit (every suggestion
  up to n = 50, every 4th at n = 200); in between the last fit is conditioned
  on the new data (a speed ablation, issue 24).
* ``tunecore_bo_escape``: tunecore_bo with ``stall="escape"`` (a stalled suggestion
  refines the best other basin instead; issue 24).
* ``tunecore_bo_ball`` / ``tunecore_bo_span``: tunecore_bo with ``taboo="ball"`` (the
  default up to the seventh session of issue 24: a ball around each tied score) /
  ``taboo="span"`` (the default: the taboo around a tied score extends only as far along
  each input as the ties span); no change without ties.
* ``tunecore_bo_wide``: tunecore_bo with ``exploration="wide"`` (a fitted constant
  prior mean and an acquisition search without perturbations of the best
  observations, which a search of those perturbations overrides only where its
  expected improvement is about 1e5 times larger, for narrow wells; issue 24).
* ``tunecore_bo_joint``: tunecore_bo with ``branches="joint"`` (a conditional space's
  options searched together, the default up to the seventh session of issue 24; the
  default ``"focus"`` draws an option as TPE weighs the best quarter and refines near its
  best observations); no change without conditions.
* ``tunecore_bo_activity``: tunecore_bo with ``activity=True`` (an activity
  input per set of conditions of a conditional space; no change elsewhere).
* ``tunecore_bo_hold`` / ``tunecore_bo_enumerate``: tunecore_bo with
  ``categories="hold"`` (the acquisition's local search keeps each start's
  categories) / ``"enumerate"`` (and tries every option of every choice for
  its starts first); ``tunecore_bo_split``: ``categories="split"`` (a GP per
  option of the branching choice); ``tunecore_bo_branch``: ``categories="branch"``
  (length scales per option of the branching choice); no change on a space
  without unordered choices.

Problems of issue 24 (``_testfunctions.ISSUE24``): ``michalewicz5`` and
``shekel7`` (narrow wells), ``styblinski8``, ``rosenbrock20`` and ``branin25``
(20-25 dimensions; Branin on 2 of 25, both read at 100 trials),
``svc_conditional`` and ``pipeline_choice`` (real scikit-learn searches on
conditional spaces; regret is the CV error itself).

Synthetic conditional problems (``_testfunctions.CONDITIONAL``, run only when
named in ``--functions``; issue 24, cond37): ``cond_corner`` (four branches; the
best one's minimum lies in a corner and its random points are worse than
another branch's floor), ``cond_levy`` (Branin, Levy 4-D and Rosenbrock 3-D
branches sharing an input) and ``cond_twowell`` (a branch with a broad well
and a deeper one 0.48 away). They ask whether ``branches="focus"`` traps.

Simple regret after t trials is min(f over the first t trials) - f*; the tables
give the median and interquartile range over seeds of log10 of it (floored at
1e-12); for ``svc_digits`` the regret itself (CV error above the best known).
Budgets by default: 10 seeds x 100 trials; Optuna's GPSampler (several
seconds per run of 50 trials) 10 seeds x 50 trials (``--gp-trials``); Keras
Tuner's BO (seconds per suggestion) 3 seeds x 50 trials (``--kt-seeds``,
``--kt-trials``); on a function read at 100 trials (``levy10``) both run 100.
Each cell says how many seeds it has. Every worker is
single-threaded (BLAS and torch); ``--workers`` processes run at once.
``--json`` saves the raw values and ``--load`` tables earlier runs' methods
beside this run's (e.g. rerun only ``tunecore_bo`` against stored baselines).

Usage::

    .venv/bin/python benchmarks/bayes_regret.py                # the full run
    .venv/bin/python benchmarks/bayes_regret.py --quick        # smoke run
    .venv/bin/python benchmarks/bayes_regret.py --methods tunecore_bo optuna_gp --functions branin
    .venv/bin/python benchmarks/bayes_regret.py --methods tunecore_bo --load baselines.json
    # pending runs against the sequential one at t, t - 7 (the fair floor) and t / 2 (issue 24)
    .venv/bin/python benchmarks/bayes_regret.py --methods --load pend.json --versus tunecore_bo
    # two more seeds (3 and 4) added to the three stored ones
    .venv/bin/python benchmarks/bayes_regret.py --methods botorch --functions shekel7 --seeds 2 --first-seed 3 \
        --load base.json --json base_5seeds.json
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import multiprocessing
import sys
import tempfile
import time

import numpy as np

import _common
import _testfunctions

_common.silence_frameworks()

METHODS = (
    "tunecore_bo", "tunecore_bo_pending8", "tunecore_bo_alpha1e-4", "tunecore_random", "kt_bo", "optuna_tpe",
    "optuna_gp", "optuna_gp_pending8", "botorch", "botorch_pending8",
    "tunecore_bo_dimprior", "tunecore_bo_dimprior_pending8", "tunecore_bo_fantasy_pending8",
    "tunecore_bo_selectprior", "tunecore_bo_laplaceprior", "tunecore_bo_optunaprior", "tunecore_bo_ftol1e-5",
    "tunecore_bo_activity", "tunecore_bo_cand512", "tunecore_bo_local25",
    "tunecore_bo_refit2", "tunecore_bo_hold", "tunecore_bo_enumerate", "tunecore_bo_split", "tunecore_bo_branch",
    "tunecore_bo_penalize_pending8", "tunecore_bo_kriging_pending8", "tunecore_bo_believer_pending8",
    "tunecore_bo_batch8",
    "tunecore_bo_batch8_rescore", "tunecore_bo_batch8_optimize", "tunecore_bo_batch8_kriging",
    "tunecore_bo_batch8_penalize", "tunecore_bo_escape", "tunecore_bo_span", "tunecore_bo_wide", "tunecore_bo_joint",
)
CHECKPOINTS = (10, 25, 50, 100)
# Methods that run ``--trials`` everywhere; the others (seconds per suggestion)
# run ``--gp-trials`` / ``--kt-trials``, or a function's own budget if larger.
_FULL_BUDGET = ("tunecore_bo", "tunecore_bo_pending8", "tunecore_bo_alpha1e-4", "tunecore_random", "optuna_tpe",
                "tunecore_bo_dimprior", "tunecore_bo_dimprior_pending8", "tunecore_bo_fantasy_pending8",
                "tunecore_bo_selectprior", "tunecore_bo_laplaceprior", "tunecore_bo_optunaprior", "tunecore_bo_ftol1e-5",
                "tunecore_bo_activity", "tunecore_bo_cand512", "tunecore_bo_local25", "tunecore_bo_refit2",
                "tunecore_bo_hold", "tunecore_bo_enumerate", "tunecore_bo_split", "tunecore_bo_branch",
                "tunecore_bo_penalize_pending8", "tunecore_bo_kriging_pending8", "tunecore_bo_believer_pending8",
                "tunecore_bo_batch8", "tunecore_bo_batch8_rescore", "tunecore_bo_batch8_optimize",
                "tunecore_bo_batch8_kriging", "tunecore_bo_batch8_penalize", "tunecore_bo_escape",
                "tunecore_bo_span", "tunecore_bo_wide", "tunecore_bo_joint")
_FLOOR = 1e-12


def _run_tunecore(function, seed, n_trials, oracle_name, **kwargs):
    import tunecore as kt
    from tunecore.testing import run_trials

    hp = _testfunctions.keras_hyperparameters(function.space, kt)
    oracle_cls = kt.oracles.BayesianOptimization if oracle_name == "bo" else kt.oracles.RandomSearch
    oracle = oracle_cls(objective="loss", max_trials=n_trials, hyperparameters=hp, seed=seed, **kwargs)
    return [t.score for t in run_trials(oracle, function.fn)]


def _run_tunecore_pending(function, seed, n_trials, n_running, **kwargs):
    """BO with ``n_running`` trials always running; f values in the order they are told."""
    import collections

    import tunecore as kt

    hp = _testfunctions.keras_hyperparameters(function.space, kt)
    oracle = kt.oracles.BayesianOptimization(
        objective="loss", max_trials=n_trials, hyperparameters=hp, seed=seed, **kwargs
    )
    running, values = collections.deque(), []
    while len(values) < n_trials:
        while len(running) < n_running and len(values) + len(running) < n_trials:
            trial = oracle.ask(f"worker{len(running)}")
            if trial.status != "RUNNING":
                break
            running.append(trial)
        if not running:
            break
        trial = running.popleft()
        values.append(function.fn(trial.hyperparameters.values))
        oracle.tell(trial.trial_id, values[-1])
    return values


def _run_tunecore_batch(function, seed, n_trials, size, **kwargs):
    """BO in synchronous batches of ``size``: ``size`` asked, then all told; f values in trial order."""
    import tunecore as kt

    hp = _testfunctions.keras_hyperparameters(function.space, kt)
    oracle = kt.oracles.BayesianOptimization(
        objective="loss", max_trials=n_trials, hyperparameters=hp, seed=seed, **kwargs
    )
    values = []
    while len(values) < n_trials:
        batch = [oracle.ask(f"worker{i}") for i in range(min(size, n_trials - len(values)))]
        batch = [trial for trial in batch if trial.status == "RUNNING"]
        if not batch:
            break
        for trial in batch:
            values.append(function.fn(trial.hyperparameters.values))
            oracle.tell(trial.trial_id, values[-1])
    return values


def _run_keras_tuner(function, seed, n_trials):
    import keras_tuner

    hp = _testfunctions.keras_hyperparameters(function.space, keras_tuner)
    oracle = keras_tuner.oracles.BayesianOptimizationOracle(
        objective=keras_tuner.Objective("loss", "min"), max_trials=n_trials, hyperparameters=hp, seed=seed,
    )
    values = []
    with tempfile.TemporaryDirectory() as workdir, _common.quiet():
        oracle._set_project_dir(workdir, "kt")
        for _ in range(n_trials):
            trial = oracle.create_trial("worker")
            if trial.status != "RUNNING":
                break
            values.append(function.fn(trial.hyperparameters.values))
            oracle.update_trial(trial.trial_id, {"loss": values[-1]})
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
    return values


def _run_optuna(function, seed, n_trials, sampler_name, pending=1):
    import collections

    study = _testfunctions.optuna_study(sampler_name, seed)
    conditional = any(_testfunctions.condition(spec) for spec in function.space)
    distributions = _testfunctions.optuna_distributions(function.space)

    def ask():
        if conditional:
            trial = study.ask()
            return trial, _testfunctions.optuna_suggest(trial, function.space)
        trial = study.ask(distributions)
        return trial, trial.params

    running, values = collections.deque(), []
    while len(values) < n_trials:
        while len(running) < pending and len(values) + len(running) < n_trials:
            running.append(ask())
        trial, params = running.popleft()
        values.append(function.fn(params))
        study.tell(trial, values[-1])
    return values


class _BoxEncoding:
    """A benchmark space in [0, 1]^d for BoTorch: one column per number, one-hot choices."""

    def __init__(self, space):
        self.space, self.columns = space, []
        for spec in space:
            self.columns.append(len(spec[2]) if spec[0] == "choice" else 1)
        self.d = sum(self.columns)

    def decode(self, x):
        """The active values of a point, and the point rounded onto what exists."""
        values, rounded, start = {}, np.array(x, dtype=float), 0
        for spec, width in zip(self.space, self.columns):
            kind, name = spec[0], spec[1]
            if kind == "choice":
                k = int(np.argmax(x[start:start + width]))
                value = spec[2][k]
                rounded[start:start + width] = np.eye(width)[k]
            elif kind == "int":
                value = int(round(spec[2] + x[start] * (spec[3] - spec[2])))
                rounded[start] = (value - spec[2]) / max(spec[3] - spec[2], 1)
            elif spec[4]:
                value = float(np.exp(np.log(spec[2]) + x[start] * (np.log(spec[3]) - np.log(spec[2]))))
            else:
                value = float(spec[2] + x[start] * (spec[3] - spec[2]))
            if _testfunctions.is_active(spec, values):
                values[name] = value
            start += width
        return values, rounded


def _run_botorch(function, seed, n_trials, pending=1):
    """A standard BoTorch loop (SingleTaskGP + qLogNEI); see the module docstring."""
    import collections

    import torch
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood

    import tunecore as kt
    from tunecore_bayes import design
    from tunecore_bayes.encoding import SpaceEncoder

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    encoding = _BoxEncoding(function.space)
    hp = _testfunctions.keras_hyperparameters(function.space, kt)
    n_init = design.initial_design_size(SpaceEncoder(hp.space))
    sobol = torch.quasirandom.SobolEngine(encoding.d, scramble=True, seed=seed).draw(n_init).double()
    bounds = torch.stack([torch.zeros(encoding.d), torch.ones(encoding.d)]).double()
    X, Y, values, running = [], [], [], collections.deque()

    def suggest():
        if len(X) + len(running) < n_init or len(X) < 2:
            return sobol[min(len(X) + len(running), n_init - 1)].numpy()
        train_X = torch.tensor(np.array(X))
        train_Y = -torch.tensor(Y, dtype=torch.float64).unsqueeze(-1)
        model = SingleTaskGP(train_X, train_Y, outcome_transform=Standardize(m=1))
        try:
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        except Exception:  # noqa: BLE001 - BoTorch's own loops go on with the prior fit
            pass
        x_pending = torch.tensor(np.array([x for x, _ in running])) if running else None
        acqf = qLogNoisyExpectedImprovement(model, X_baseline=train_X, prune_baseline=True, X_pending=x_pending)
        candidate, _ = optimize_acqf(acqf, bounds=bounds, q=1, num_restarts=10, raw_samples=512)
        return candidate[0].detach().numpy()

    while len(values) < n_trials:
        while len(running) < pending and len(values) + len(running) < n_trials:
            params, rounded = encoding.decode(suggest())
            running.append((rounded, params))
        rounded, params = running.popleft()
        values.append(function.fn(params))
        X.append(rounded)
        Y.append(values[-1])
    return values


def _with_fit_options(run, **options):
    """``run`` with the GP fit's L-BFGS-B options changed for its duration (a speed ablation, issue 24)."""
    from tunecore_bayes import gp

    def wrapped(f, s, n):
        saved = gp._FIT_OPTIONS
        gp._FIT_OPTIONS = {**saved, **options}
        try:
            return run(f, s, n)
        finally:
            gp._FIT_OPTIONS = saved

    return wrapped


def _with_refit_growth(run, growth):
    """``run`` with the proposer's refit schedule changed for its duration (a speed ablation, issue 24)."""
    from tunecore_bayes import bayesian

    def wrapped(f, s, n):
        saved = bayesian._REFIT_GROWTH
        bayesian._REFIT_GROWTH = growth
        try:
            return run(f, s, n)
        finally:
            bayesian._REFIT_GROWTH = saved

    return wrapped


def _with_acquisition(run, n_candidates=None, local_options=None):
    """``run`` with the acquisition optimiser's candidate count or local L-BFGS-B options
    changed for its duration (a speed ablation, issue 24)."""
    import functools

    from tunecore_bayes import acquisition, proposer, stall

    def wrapped(f, s, n):
        saved = acquisition.optimize_acquisition, acquisition._LOCAL_OPTIONS
        if n_candidates is not None:
            # the proposer's and the stall escape's calls (the escape's own n_candidates still wins)
            proposer.optimize_acquisition = stall.optimize_acquisition = functools.partial(
                saved[0], n_candidates=n_candidates)
        if local_options is not None:
            acquisition._LOCAL_OPTIONS = {**saved[1], **local_options}
        try:
            return run(f, s, n)
        finally:
            proposer.optimize_acquisition = stall.optimize_acquisition = saved[0]
            acquisition._LOCAL_OPTIONS = saved[1]

    return wrapped


RUNNERS = {
    "tunecore_bo": lambda f, s, n: _run_tunecore(f, s, n, "bo"),
    "tunecore_bo_pending8": lambda f, s, n: _run_tunecore_pending(f, s, n, 8),
    "tunecore_bo_alpha1e-4": lambda f, s, n: _run_tunecore(f, s, n, "bo", alpha=1e-4),
    "tunecore_random": lambda f, s, n: _run_tunecore(f, s, n, "random"),
    "tunecore_bo_dimprior": lambda f, s, n: _run_tunecore(f, s, n, "bo", lengthscale_prior="dim_scaled"),
    "tunecore_bo_dimprior_pending8": lambda f, s, n: _run_tunecore_pending(
        f, s, n, 8, lengthscale_prior="dim_scaled"),
    "tunecore_bo_fantasy_pending8": lambda f, s, n: _run_tunecore_pending(f, s, n, 8, pending="fantasy"),
    "tunecore_bo_selectprior": lambda f, s, n: _run_tunecore(f, s, n, "bo", lengthscale_prior="select"),
    "tunecore_bo_laplaceprior": lambda f, s, n: _run_tunecore(f, s, n, "bo", lengthscale_prior="laplace"),
    "tunecore_bo_optunaprior": lambda f, s, n: _run_tunecore(f, s, n, "bo", lengthscale_prior="optuna"),
    "tunecore_bo_ftol1e-5": _with_fit_options(lambda f, s, n: _run_tunecore(f, s, n, "bo"), ftol=1e-5),
    "tunecore_bo_activity": lambda f, s, n: _run_tunecore(f, s, n, "bo", activity=True),
    "tunecore_bo_cand512": _with_acquisition(lambda f, s, n: _run_tunecore(f, s, n, "bo"), n_candidates=512),
    "tunecore_bo_refit2": _with_refit_growth(lambda f, s, n: _run_tunecore(f, s, n, "bo"), 0.02),
    "tunecore_bo_local25": _with_acquisition(lambda f, s, n: _run_tunecore(f, s, n, "bo"),
                                             local_options={"maxiter": 25}),
    "tunecore_bo_hold": lambda f, s, n: _run_tunecore(f, s, n, "bo", categories="hold"),
    "tunecore_bo_enumerate": lambda f, s, n: _run_tunecore(f, s, n, "bo", categories="enumerate"),
    "tunecore_bo_split": lambda f, s, n: _run_tunecore(f, s, n, "bo", categories="split"),
    "tunecore_bo_branch": lambda f, s, n: _run_tunecore(f, s, n, "bo", categories="branch"),
    "tunecore_bo_penalize_pending8": lambda f, s, n: _run_tunecore_pending(f, s, n, 8, pending="penalize"),
    "tunecore_bo_kriging_pending8": lambda f, s, n: _run_tunecore_pending(f, s, n, 8, pending="kriging"),
    "tunecore_bo_believer_pending8": lambda f, s, n: _run_tunecore_pending(f, s, n, 8, pending="believer"),
    "tunecore_bo_batch8": lambda f, s, n: _run_tunecore_batch(f, s, n, 8),
    "tunecore_bo_batch8_rescore": lambda f, s, n: _run_tunecore_batch(f, s, n, 8, follow_up="rescore"),
    "tunecore_bo_batch8_optimize": lambda f, s, n: _run_tunecore_batch(f, s, n, 8, follow_up="optimize"),
    "tunecore_bo_batch8_kriging": lambda f, s, n: _run_tunecore_batch(f, s, n, 8, pending="kriging",
                                                                      follow_up="optimize"),
    "tunecore_bo_batch8_penalize": lambda f, s, n: _run_tunecore_batch(f, s, n, 8, pending="penalize",
                                                                       follow_up="optimize"),
    "tunecore_bo_escape": lambda f, s, n: _run_tunecore(f, s, n, "bo", stall="escape"),
    "tunecore_bo_ball": lambda f, s, n: _run_tunecore(f, s, n, "bo", taboo="ball"),
    "tunecore_bo_span": lambda f, s, n: _run_tunecore(f, s, n, "bo", taboo="span"),
    "tunecore_bo_wide": lambda f, s, n: _run_tunecore(f, s, n, "bo", exploration="wide"),
    "tunecore_bo_joint": lambda f, s, n: _run_tunecore(f, s, n, "bo", branches="joint"),
    "kt_bo": _run_keras_tuner,
    "optuna_tpe": lambda f, s, n: _run_optuna(f, s, n, "tpe"),
    "optuna_gp": lambda f, s, n: _run_optuna(f, s, n, "gp"),
    "optuna_gp_pending8": lambda f, s, n: _run_optuna(f, s, n, "gp", pending=8),
    "botorch": _run_botorch,
    "botorch_pending8": lambda f, s, n: _run_botorch(f, s, n, pending=8),
}


def run_job(job):
    """One (method, function, seed) run; returns the job, its f values in trial order and its seconds."""
    method, function_name, seed, n_trials = job
    start = time.perf_counter()
    values = RUNNERS[method](_testfunctions.PROBLEMS[function_name], seed, n_trials)
    return job, values, time.perf_counter() - start


def log_regret(values, minimum, t, log=True):
    """log10 of the simple regret after the first ``t`` values (the regret itself if
    not ``log``), None if fewer were run."""
    if len(values) < t:
        return None
    regret = max(min(values[:t]) - minimum, 0.0)
    return float(np.log10(max(regret, _FLOOR))) if log else regret


def summarise(results, checkpoints):
    """``{function: {method: {t: (median, q25, q75, n_seeds)}}}`` from the raw runs."""
    table = {}
    for (method, function_name), runs in results.items():
        function = _testfunctions.PROBLEMS[function_name]
        cells = table.setdefault(function_name, {}).setdefault(method, {})
        for t in checkpoints:
            regrets = [r for r in (log_regret(v, function.minimum, t, function.log_regret) for v in runs)
                       if r is not None]
            if regrets:
                q25, median, q75 = np.percentile(regrets, [25, 50, 75])
                cells[t] = (float(median), float(q25), float(q75), len(regrets))
    return table


def versus(results, reference, checkpoints):
    """Markdown: each method's median regret over the ``reference`` method's at t, t - 7 and t / 2.

    With 8 trials in flight the t-th result was asked when t - 8 were in, so the
    reference at t - 7 is the fair floor; at t / 2 it asks whether 8 workers are at
    least 4x faster than one (issue 24). Ratios of regrets, 10^(difference of the
    log10 medians), at the checkpoints every method of the row reached.
    """
    rows = []
    for (method, function_name), runs in sorted(results.items()):
        function = _testfunctions.PROBLEMS[function_name]
        base = results.get((reference, function_name))
        if method == reference or not base or not function.log_regret:
            continue
        for t in checkpoints:
            mine = [log_regret(v, function.minimum, t) for v in runs if len(v) >= t]
            if not mine or any(len(v) < t for v in base):
                continue
            cells = []
            for t_ref in (t, t - 7, t // 2):
                other = np.median([log_regret(v, function.minimum, t_ref) for v in base])
                cells.append(f"{10 ** (np.median(mine) - other):.3g}x")
            rows.append([function_name, method, str(t), f"{np.median(mine):.2f} ({len(mine)})"] + cells)
    header = ["function", "method", "t", "median", f"/ {reference} at t", "at t - 7", "at t / 2"]
    return _common.markdown_table(header, rows)


def markdown(table, methods, checkpoints):
    out = []
    for function_name, by_method in table.items():
        log = _testfunctions.PROBLEMS[function_name].log_regret
        what = "log10 simple regret" if log else "simple regret (CV error above the best known)"
        out.append(f"\n**{function_name}** ({what}: median [IQR], seeds)\n")
        fmt = ".2f" if log else ".4f"
        rows = []
        for method in methods:
            cells = by_method.get(method, {})
            rows.append([method] + [
                f"{cells[t][0]:{fmt}} [{cells[t][1]:{fmt}}, {cells[t][2]:{fmt}}] ({cells[t][3]})" if t in cells else "-"
                for t in checkpoints
            ])
        out.append(_common.markdown_table(["method"] + [f"t={t}" for t in checkpoints], rows))
    return "\n".join(out)


def _init_worker():
    # TensorFlow and Keras Tuner print on import and per trial; the parent reports progress.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    parser.add_argument("--functions", nargs="+", default=list(_testfunctions.FUNCTIONS),
                        choices=list(_testfunctions.PROBLEMS),
                        help="default: every problem of FUNCTIONS (_testfunctions.CONDITIONAL's by name only)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="run seeds first-seed, ..., first-seed + seeds - 1; with --load, an earlier run's "
                             "values of the same (method, function) are kept and this run's seeds added to them")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--kt-seeds", type=int, default=3, help="seeds for kt_bo")
    parser.add_argument("--kt-trials", type=int, default=50, help="trials for kt_bo")
    parser.add_argument("--gp-trials", type=int, default=50, help="trials for optuna_gp and botorch")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="3 seeds, 25 trials (kt_bo: 2 seeds, 25 trials)")
    parser.add_argument("--json", help="also write the raw f values here")
    parser.add_argument("--load", nargs="*", default=[],
                        help="raw f values written by earlier --json runs, tabled with this run's; "
                             "a later file's (method, function) replaces an earlier one's")
    parser.add_argument("--versus", metavar="METHOD",
                        help="also table every method's median regret over METHOD's at t, t - 7 and t / 2")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials, args.gp_trials, args.kt_seeds, args.kt_trials = 3, 25, 25, 2, 25

    jobs = []
    for method in args.methods:
        seeds, trials = {
            "kt_bo": (args.kt_seeds, args.kt_trials), "optuna_gp": (args.seeds, args.gp_trials),
            "optuna_gp_pending8": (args.seeds, args.gp_trials), "botorch": (args.seeds, args.gp_trials),
            "botorch_pending8": (args.seeds, args.gp_trials),
        }.get(method, (args.seeds, args.trials))
        jobs += [
            (method, f, seed, trials if args.quick or method in _FULL_BUDGET
             else max(trials, _testfunctions.PROBLEMS[f].trials))
            for f in args.functions for seed in range(args.first_seed, args.first_seed + seeds)
        ]
    # Slowest first, so that the two workers finish together.
    jobs.sort(key=lambda job: {"kt_bo": 0, "botorch": 1, "botorch_pending8": 1, "optuna_gp": 2}.get(job[0], 3))

    results, seconds = {}, {}
    for path in args.load:
        with open(path) as f:
            for key, runs in json.load(f).items():
                method, function_name = key.split("|")
                # This run's (method, function) replaces a loaded one, unless it adds seeds to it.
                if method not in args.methods or function_name not in args.functions or args.first_seed:
                    results[method, function_name] = runs
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.workers, initializer=_init_worker) as pool:
        for done, (job, values, elapsed) in enumerate(pool.imap_unordered(run_job, jobs), 1):
            method, function_name, seed, _ = job
            results.setdefault((method, function_name), []).append(values)
            seconds.setdefault(method, []).append(elapsed)
            print(f"[{done}/{len(jobs)}] {method} {function_name} seed={seed}: {elapsed:.1f}s", file=sys.stderr)
            if args.json:  # after every run, so that an interrupted run keeps what it finished
                _save(args.json, results, args.methods)
    wall = time.perf_counter() - start

    checkpoints = [t for t in CHECKPOINTS if any(len(v) >= t for runs in results.values() for v in runs)]
    table = summarise(results, checkpoints)
    methods = [m for m in METHODS if any(key[0] == m for key in results)]
    print(markdown(table, methods, checkpoints))
    if args.versus:
        print(f"\nRatios to {args.versus}:\n")
        print(versus(results, args.versus, checkpoints))
    print("\nSeconds per run (median): " + ", ".join(
        f"{m} {np.median(seconds[m]):.1f}" for m in methods if m in seconds))
    print(f"Wall time: {wall / 60:.1f} min with {args.workers} workers; load average {os.getloadavg()}")
    if args.json:
        _save(args.json, results, args.methods)


def _save(path, results, methods):
    with open(path + ".tmp", "w") as f:
        json.dump({f"{m}|{fn}": runs for (m, fn), runs in results.items() if m in methods}, f)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
