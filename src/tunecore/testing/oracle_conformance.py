"""The contract every oracle keeps (see :mod:`tunecore.oracles.base`)."""

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from tunecore import schedule
from tunecore.hyperparameters import HyperParameters
from tunecore.oracles.base import Oracle
from tunecore.trial import Trial, TrialStatus

#: ``make_oracle(**kwargs) -> Oracle``: what the ``make_oracle`` fixture returns.
MakeOracle = Callable[..., Oracle]


def run_trials(oracle: Oracle, fn: Callable[[dict[str, Any]], float], n: int | None = None) -> list[Trial]:
    """Drive ``oracle`` with ask / tell until it stops (or ``n`` trials): the tuner's loop, minus the tuner.

    Args:
        oracle: The oracle to drive.
        fn: The objective: ``fn(values) -> float``, told as each trial's result.
        n: Stop after this many trials (None: until the oracle stops).

    Returns:
        The ended trials, in order.
    """
    ended: list[Trial] = []
    while n is None or len(ended) < n:
        trial = oracle.ask("tester")
        if trial.status != TrialStatus.RUNNING:
            break
        ended.append(oracle.tell(trial.trial_id, fn(trial.hyperparameters.values)))
    return ended


def _small_space():
    hp = HyperParameters()
    hp.Choice("a", ["x", "y", "z"])
    hp.Boolean("b")
    return hp


def _mixed_space():
    hp = HyperParameters()
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    hp.Int("units", 8, 64, step=8)
    hp.Choice("act", ["relu", "tanh", "gelu"])
    return hp


def _loss(values):
    return sum(abs(hash(str(v))) % 97 / 97 for v in values.values() if not isinstance(v, str)) + (
        0.5 if values.get("act") == "tanh" else 0.0
    )


class OracleConformance:
    """Contract tests; subclasses provide ``make_oracle(**kwargs)`` as a fixture.

    ``make_oracle`` receives ``objective``, ``max_trials``, ``hyperparameters``
    and ``seed`` (and any Oracle argument) and returns a fresh oracle.
    """

    @pytest.fixture
    def make_oracle(self) -> MakeOracle:
        """Override: return ``make_oracle(**kwargs) -> Oracle``, a fresh oracle per call."""
        raise NotImplementedError("Provide a make_oracle fixture.")

    def _oracle(self, make_oracle, space=_mixed_space, **kwargs):
        kwargs.setdefault("objective", "loss")
        kwargs.setdefault("max_trials", 10)
        kwargs.setdefault("seed", 1)
        return make_oracle(hyperparameters=space(), **kwargs)

    def test_suggestions_lie_in_the_space(self, make_oracle: MakeOracle) -> None:
        oracle = self._oracle(make_oracle)
        for trial in run_trials(oracle, _loss):
            values = trial.hyperparameters.values
            assert 1e-4 <= values["lr"] <= 1e-1
            assert values["units"] in range(8, 65, 8)
            assert values["act"] in ("relu", "tanh", "gelu")

    def test_stops_at_max_trials(self, make_oracle: MakeOracle) -> None:
        oracle = self._oracle(make_oracle, max_trials=7)
        assert len(run_trials(oracle, _loss)) == 7
        assert oracle.ask("tester").status == TrialStatus.STOPPED

    def test_small_space_is_covered_fully_without_duplicates(self, make_oracle: MakeOracle) -> None:
        oracle = self._oracle(make_oracle, space=_small_space, max_trials=20)
        ended = run_trials(oracle, lambda v: float(v["b"]) + ord(v["a"]) / 100)
        seen = [json.dumps(t.hyperparameters.values, sort_keys=True) for t in ended]
        user_seen = {json.dumps(schedule.user_values(json.loads(s)), sort_keys=True) for s in seen}
        assert len(set(seen)) == len(seen)
        assert len(user_seen) == 6
        assert oracle.ask("tester").status == TrialStatus.STOPPED

    def test_several_trials_run_at_once(self, make_oracle: MakeOracle) -> None:
        oracle = self._oracle(make_oracle, max_trials=6)
        running: list[Trial] = []
        for _ in range(3):
            trial = oracle.ask(f"worker{len(running)}")
            if trial.status != TrialStatus.RUNNING:
                break
            running.append(trial)
        assert running, "the oracle suggested nothing"
        assert len({t.trial_id for t in running}) == len(running)
        assert len({json.dumps(t.hyperparameters.values, sort_keys=True) for t in running}) == len(running)
        for trial in reversed(running):  # out of order
            oracle.report(trial.trial_id, 0, loss=_loss(trial.hyperparameters.values))
            oracle.tell(trial.trial_id)
        assert not oracle.ongoing_trials
        assert all(oracle.trials[t.trial_id].status == TrialStatus.COMPLETED for t in running)

    def test_best_trials_are_sorted_by_direction(self, make_oracle: MakeOracle) -> None:
        oracle = self._oracle(make_oracle, objective="accuracy", max_trials=8)
        run_trials(oracle, lambda v: v["lr"] * 10)
        best = oracle.get_best_trials(8)
        scores = [t.score for t in best]
        assert scores == sorted(scores, reverse=True)
        assert best[0].score == max(t.score for t in oracle.trials.values())

    def test_seeded_runs_are_reproducible(self, make_oracle: MakeOracle) -> None:
        first = [t.hyperparameters.values for t in run_trials(self._oracle(make_oracle, seed=3), _loss)]
        again = [t.hyperparameters.values for t in run_trials(self._oracle(make_oracle, seed=3), _loss)]
        assert first == again

    def test_state_is_json_and_restores(self, make_oracle: MakeOracle) -> None:
        oracle = self._oracle(make_oracle)
        run_trials(oracle, _loss, n=4)
        state = json.loads(json.dumps(oracle.get_state()))
        other = self._oracle(make_oracle)
        other.set_state(state)
        assert json.loads(json.dumps(other.get_state())) == state

    def test_conditional_values_are_only_active_ones(self, make_oracle: MakeOracle) -> None:
        def space():
            hp = HyperParameters()
            model = hp.Choice("model", ["linear", "tree"])
            with hp.conditional_scope("model", "linear"):
                hp.Float("alpha", 1e-3, 1.0, sampling="log")
            with hp.conditional_scope("model", "tree"):
                hp.Int("depth", 1, 8)
            del model
            return hp

        oracle = self._oracle(make_oracle, space=space, max_trials=12)
        ended = run_trials(oracle, lambda v: v.get("alpha", 0.0) + v.get("depth", 0))
        for trial in ended:
            values = schedule.user_values(trial.hyperparameters.values)
            expected = {"model", "alpha"} if values["model"] == "linear" else {"model", "depth"}
            assert set(values) == expected

    def test_failed_trial_is_retried_with_same_values(self, make_oracle: MakeOracle) -> None:
        oracle = self._oracle(make_oracle, max_retries_per_trial=1, max_trials=3)
        trial = oracle.ask("tester")
        values = dict(trial.hyperparameters.values)
        oracle.tell(trial.trial_id, status=TrialStatus.FAILED, message="boom")
        again = oracle.ask("tester")
        assert again.trial_id == trial.trial_id
        assert again.hyperparameters.values == values
        assert again.status == TrialStatus.RUNNING

    def test_nan_objective_is_not_best(self, make_oracle: MakeOracle) -> None:
        oracle = self._oracle(make_oracle, max_trials=3)
        ended = run_trials(oracle, lambda v: math.nan if v["act"] == "relu" else 1.0)
        for trial in oracle.get_best_trials(3):
            assert not math.isnan(trial.score)
        assert ended
