"""ASHA: asynchronous successive halving, for many parallel workers."""

from typing import Any

from tunecore.oracles import Oracle
from tunecore.schedule import ROUND, TRIAL_ID, scheduled
from tunecore.trial import TrialStatus

from tunecore_bayes.brackets import asha_promotable, asha_rungs
from tunecore_bayes.hyperband import run, user_values


class ASHA(Oracle):
    """Asynchronous successive halving (see :mod:`tunecore_bayes.brackets`).

    Rung ``k`` trains to ``min_epochs * factor**k`` epochs (the last rung to
    ``max_epochs``). Asked for a trial, the oracle promotes a configuration as
    soon as it ranks in the top ``1/factor`` of the completed trials at its rung
    (from the highest rung down), and otherwise starts a new configuration at
    the bottom rung: it never waits for stragglers. Trials carry Keras Tuner's
    Hyperband values (``tuner/epochs``, ``tuner/initial_epoch``,
    ``tuner/trial_id`` for a promotion, ``tuner/round`` for the rung,
    ``tuner/bracket`` always 0), so ``run_trial`` code written for Hyperband works.

    The search runs until ``max_trials`` (or until a finite space has no new
    configuration and nothing left to promote). It is IDLE only when the space
    has no new configuration and a running trial may still earn a promotion.

    Args:
        objective: A metric name, an :class:`~tunecore.Objective` or a list of them.
        max_epochs: The budget of the top rung.
        factor: The reduction factor between rungs (an int, at least 2).
        min_epochs: The budget of the bottom rung.
        seed: Random seed.
        **kwargs: The arguments every oracle shares (see
            :class:`~tunecore.oracles.Oracle`); ``max_trials`` counts new
            configurations and promotions.

    Raises:
        TypeError: ``max_epochs``, ``factor`` or ``min_epochs`` is not an int.
        ValueError: ``factor < 2``, ``min_epochs < 1`` or ``max_epochs < min_epochs``.
    """

    def __init__(
        self,
        objective: Any = None,
        max_epochs: int = 100,
        factor: int = 3,
        min_epochs: int = 1,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(objective=objective, seed=seed, **kwargs)
        self.rungs = asha_rungs(max_epochs, factor, min_epochs)
        self.max_epochs, self.factor, self.min_epochs = max_epochs, factor, min_epochs

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        parent, rung = self._promotion()
        if parent is not None:
            epochs, initial_epoch = self.rungs[rung], self.rungs[rung - 1]
            return run(scheduled(user_values(parent), epochs, initial_epoch, 0, rung, parent=parent.trial_id))
        values = self.random_values()
        if values is None:
            return {"status": TrialStatus.IDLE if self.ongoing_trials else TrialStatus.STOPPED}
        return run(scheduled(values, self.rungs[0], 0, 0, 0))

    def _promotion(self):
        """``(trial, rung)``: a trial to continue in ``rung``, highest rung first, or ``(None, None)``."""
        by_rung = [[] for _ in self.rungs]
        promoted = set()
        for trial in self.trials.values():
            values = trial.hyperparameters.values
            promoted.add(values.get(TRIAL_ID))
            if trial.status == TrialStatus.COMPLETED and ROUND in values:
                by_rung[values[ROUND]].append(trial)
        for rung in range(len(self.rungs) - 2, -1, -1):
            completed = sorted(by_rung[rung], key=lambda t: self.objective.sort_key(t.score))
            for trial in completed[:asha_promotable(len(completed), self.factor)]:
                if trial.trial_id not in promoted:
                    return trial, rung + 1
        return None, None

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["rungs"] = list(self.rungs)
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.rungs = list(state["rungs"])
        self.min_epochs, self.max_epochs = self.rungs[0], self.rungs[-1]
