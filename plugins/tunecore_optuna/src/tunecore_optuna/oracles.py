"""Optuna's samplers as tunecore oracles.

:class:`OptunaSampler` runs any Optuna sampler through a study of its own, in
memory, that mirrors the oracle's trials:

* :meth:`~OptunaSampler.populate_space` asks the study for a trial and
  suggests, in definition order, each hyperparameter that the values drawn so
  far make active (Optuna's define-by-run), with the distributions of
  :mod:`tunecore_optuna.space`; a drawn value is then brought onto tunecore's
  grid where Optuna has no exact equivalent (log ranges with a step).
* When a trial ends (:meth:`~OptunaSampler.end_trial`, after ``super()``), the
  study is told its value(s) and state, with the objective's history as
  intermediate values, on the very trial that suggested it, so samplers that
  keep state on their trials (CMA-ES, NSGA-II) find it.
* Trials the study has not seen (a resumed project, a retried trial, values
  that came from tunecore's duplicate fallback) are added to it from
  :attr:`~tunecore.oracles.Oracle.trials` before the next suggestion. The
  study is thus always rebuilt from the project: a resumed search goes on from
  every recorded trial (state that a sampler kept only on its own trials, such
  as CMA-ES's generation, starts afresh).

The named oracles (``"optuna:tpe"``...) pass every argument that is not a
shared oracle argument (``objective``, ``max_trials``, ``seed``...) on to their
sampler, seeded with the oracle's ``seed``:

```python
kt.tune(fn, oracle="optuna:tpe", max_trials=50, seed=0, n_startup_trials=5)
```
"""

import functools
import importlib.util
import warnings
from typing import Any

import optuna
from optuna.distributions import CategoricalDistribution, IntDistribution
from optuna.exceptions import ExperimentalWarning
from optuna.trial import TrialState

from tunecore import schedule
from tunecore.errors import InvalidArgumentError, MissingDependencyError
from tunecore.oracles import Oracle, pop_oracle_arguments
from tunecore.trial import Trial, TrialStatus
from tunecore_optuna import study as studies
from tunecore_optuna.space import distribution, valid_value


class OptunaSampler(Oracle):
    """An oracle that suggests with an Optuna sampler.

    Example:
        ```python
        oracle = OptunaSampler(optuna.samplers.TPESampler(multivariate=True), objective="loss",
                               max_trials=50)
        ```

    Args:
        sampler: An Optuna sampler (``optuna.samplers.BaseSampler``), or a
            callable that makes one from ``seed=`` (a sampler class, a
            ``functools.partial``), which gets the oracle's ``seed``. Default:
            ``optuna.samplers.TPESampler``.
        **kwargs: The arguments of every :class:`~tunecore.oracles.Oracle`.

    Raises:
        InvalidArgumentError: ``sampler`` is neither a sampler nor makes one.
    """

    def __init__(self, sampler: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if sampler is None:
            sampler = optuna.samplers.TPESampler
        if not isinstance(sampler, optuna.samplers.BaseSampler) and callable(sampler):
            with warnings.catch_warnings():  # naming a sampler (QMC, GP) is choosing it, experimental or not
                warnings.simplefilter("ignore", ExperimentalWarning)
                sampler = sampler(seed=self.seed)
        if not isinstance(sampler, optuna.samplers.BaseSampler):
            raise InvalidArgumentError(
                f"OptunaSampler needs an Optuna sampler (an optuna.samplers.BaseSampler) or a "
                f"callable that makes one from seed=...; got {sampler!r}."
            )
        self.sampler = sampler
        self._study: Any = None  # the optuna.Study, made on first use
        # trial_id -> (the Optuna trial that suggested it, the values suggested)
        self._pending: dict[str, tuple[optuna.Trial, dict[str, Any]]] = {}
        self._told: dict[str, tuple[str, int]] = {}  # trial_id -> (status, attempts) when the study last learnt of it

    @property
    def study(self) -> optuna.Study:
        """The :class:`optuna.Study` the sampler works on, up to date with :attr:`trials`."""
        if self._study is None:
            storage = optuna.storages.InMemoryStorage()
            self._study = studies.new_study(storage, self.objective, "tunecore", sampler=self.sampler)
        self._catch_up()
        return self._study

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        suggestion = self.study.ask()
        values: dict[str, Any] = {}
        for hp in self.hyperparameters.space:
            if not hp.is_active(values):
                continue
            dist = distribution(hp)
            values[hp.name] = hp.default if dist is None else valid_value(hp, _suggest(suggestion, hp.name, dist))
        self._pending[trial_id] = (suggestion, values)
        return {"status": TrialStatus.RUNNING, "values": values}

    def end_trial(self, trial: Trial, status: str | None = None) -> None:
        super().end_trial(trial, status)
        self._catch_up()

    def _catch_up(self) -> None:
        """Tell the study every trial that ended since it last heard, and drop stale suggestions."""
        if self._study is None:
            return
        for trial_id in [t for t in self._pending if t not in self.trials]:
            # A suggestion that never became a trial: it was a duplicate, asked again.
            self._study.tell(self._pending.pop(trial_id)[0], state=TrialState.FAIL)
        for trial in self.trials.values():
            seen = (trial.status, trial.attempts)
            if trial.status in TrialStatus.FINISHED and self._told.get(trial.trial_id) != seen:
                self._tell(trial)
                self._told[trial.trial_id] = seen

    def _tell(self, trial: Trial) -> None:
        objective = self.objective
        state = studies.state(trial, objective)
        pending = self._pending.pop(trial.trial_id, None)
        if pending is None or pending[1] != schedule.user_values(trial.hyperparameters.values):
            if pending is not None:  # tunecore ran other values than those suggested
                self._study.tell(pending[0], state=TrialState.FAIL)
            self._study.add_trial(studies.frozen_trial(trial, objective))
            return
        suggestion = pending[0]
        if not studies.is_multi_objective(objective):  # Optuna reports single objectives only
            for step, value in studies.intermediate_values(trial, objective).items():
                suggestion.report(value, step)
        for key, value in studies.user_attrs(trial).items():
            suggestion.set_user_attr(key, value)
        found = studies.values(trial, objective) if state == TrialState.COMPLETE else None
        self._study.tell(suggestion, found, state=state)


def _suggest(trial: optuna.Trial, name: str, dist: optuna.distributions.BaseDistribution) -> Any:
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    suggest = trial.suggest_int if isinstance(dist, IntDistribution) else trial.suggest_float
    return suggest(name, dist.low, dist.high, step=dist.step, log=dist.log)


class _NamedSampler(OptunaSampler):
    """An :class:`OptunaSampler` of one sampler class, whose own arguments it takes."""

    sampler_class: Any = None  #: the Optuna sampler class
    sampler_defaults: dict[str, Any] = {}  #: arguments it gets unless given

    def __init__(self, **kwargs: Any) -> None:
        oracle_kwargs = pop_oracle_arguments(kwargs)
        sampler = functools.partial(self.sampler_class, **{**self.sampler_defaults, **kwargs})
        super().__init__(sampler=sampler, **oracle_kwargs)


class OptunaTPE(_NamedSampler):
    """``"optuna:tpe"``: Optuna's Tree-structured Parzen Estimator (``TPESampler``).

    Args:
        **kwargs: Oracle arguments, and ``TPESampler``'s (``n_startup_trials``,
            ``multivariate``...).
    """

    sampler_class = optuna.samplers.TPESampler


class OptunaCmaEs(_NamedSampler):
    """``"optuna:cmaes"``: CMA-ES (``CmaEsSampler``); categorical values are drawn at random.

    Args:
        **kwargs: Oracle arguments, and ``CmaEsSampler``'s (``sigma0``, ``popsize``...).
    """

    sampler_class = optuna.samplers.CmaEsSampler
    sampler_defaults = {"warn_independent_sampling": False}


class OptunaQMC(_NamedSampler):
    """``"optuna:qmc"``: quasi-Monte Carlo points (``QMCSampler``, Sobol by default).

    Args:
        **kwargs: Oracle arguments, and ``QMCSampler``'s (``qmc_type``, ``scramble``...).
    """

    sampler_class = optuna.samplers.QMCSampler
    sampler_defaults = {"warn_independent_sampling": False}


class OptunaNSGAII(_NamedSampler):
    """``"optuna:nsga2"``: the NSGA-II genetic algorithm (``NSGAIISampler``), for several objectives.

    Args:
        **kwargs: Oracle arguments, and ``NSGAIISampler``'s (``population_size``...).
    """

    sampler_class = optuna.samplers.NSGAIISampler


class OptunaRandom(_NamedSampler):
    """``"optuna:random"``: Optuna's ``RandomSampler``."""

    sampler_class = optuna.samplers.RandomSampler


class OptunaGP(_NamedSampler):
    """``"optuna:gp"``: Optuna's Gaussian-process sampler (``GPSampler``), which needs PyTorch.

    Raises:
        MissingDependencyError: PyTorch is not installed.
    """

    sampler_class = optuna.samplers.GPSampler

    def __init__(self, **kwargs: Any) -> None:
        if importlib.util.find_spec("torch") is None:
            raise MissingDependencyError(
                "The 'optuna:gp' oracle runs Optuna's GPSampler, which needs PyTorch: "
                "pip install torch (the CPU build is enough). 'bayesian' (pip install "
                "'tunecore[bayes]') is a Gaussian-process oracle without it."
            )
        super().__init__(**kwargs)
