import json

import pytest

import tunecore as kt
from tunecore.testing import OracleConformance, run_trials
from tunecore.trial import TrialStatus
from tunecore_bayes import ASHA


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", -1.0, 1.0)
    return hp


def _loss(values):
    return (values["x"] - 0.3) ** 2


def _end(oracle, trial):
    oracle.update_trial(trial.trial_id, {"loss": _loss(trial.hyperparameters.values)})
    trial.status = TrialStatus.COMPLETED
    oracle.end_trial(trial)


class TestASHAConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: ASHA(max_epochs=9, factor=3, **kwargs)


@pytest.mark.parametrize(
    "kwargs, rungs",
    [
        ({"max_epochs": 27}, [1, 3, 9, 27]),
        ({"max_epochs": 100}, [1, 3, 9, 27, 81, 100]),
        ({"max_epochs": 20, "min_epochs": 2, "factor": 2}, [2, 4, 8, 16, 20]),
        ({"max_epochs": 5, "min_epochs": 5}, [5]),
    ],
)
def test_rungs_grow_by_factor_up_to_max_epochs(kwargs, rungs):
    assert ASHA(objective="loss", **kwargs).rungs == rungs


def test_promotes_as_soon_as_a_trial_is_in_the_top_third():
    oracle = ASHA(objective="loss", max_epochs=9, hyperparameters=_space(), seed=0)
    first = [oracle.create_trial(f"w{i}") for i in range(3)]
    for trial in first:
        assert trial.hyperparameters["tuner/round"] == 0
        assert (trial.hyperparameters["tuner/initial_epoch"], trial.hyperparameters["tuner/epochs"]) == (0, 1)
        _end(oracle, trial)
    best = min(first, key=lambda t: _loss(t.hyperparameters.values))
    promoted = oracle.create_trial("w0")
    hp = promoted.hyperparameters
    assert hp["tuner/trial_id"] == best.trial_id
    assert (hp["tuner/round"], hp["tuner/initial_epoch"], hp["tuner/epochs"]) == (1, 1, 3)
    assert hp["x"] == best.hyperparameters["x"]
    assert "tuner/trial_id" not in oracle.create_trial("w1").hyperparameters  # nothing else qualifies yet


def test_never_waits_for_stragglers_with_many_trials_running():
    oracle = ASHA(objective="loss", max_epochs=27, hyperparameters=_space(), seed=1)
    straggler = oracle.create_trial("slow")
    running = [oracle.create_trial(f"w{i}") for i in range(5)]
    for trial in running[:3]:
        _end(oracle, trial)
    promoted = oracle.create_trial("w0")  # the straggler and two others still run
    assert promoted.status == TrialStatus.RUNNING
    assert promoted.hyperparameters["tuner/trial_id"] == min(
        running[:3], key=lambda t: _loss(t.hyperparameters.values)
    ).trial_id
    assert len(oracle.ongoing_trials) == 4
    assert straggler.trial_id in oracle.ongoing_trials


def test_parallel_workers_promote_each_configuration_once_and_only_from_its_rung_top():
    oracle = ASHA(objective="loss", max_epochs=27, hyperparameters=_space(), seed=2, max_trials=120)
    running, statuses = [], []
    while True:
        while len(running) < 6:
            trial = oracle.create_trial(f"w{len(running)}")
            statuses.append(trial.status)
            if trial.status != TrialStatus.RUNNING:
                break
            hp = trial.hyperparameters
            if "tuner/trial_id" in hp:
                parent = oracle.get_trial(hp["tuner/trial_id"])
                assert parent.hyperparameters["tuner/epochs"] == hp["tuner/initial_epoch"]
                rung = [
                    t for t in oracle.trials.values()
                    if t.status == TrialStatus.COMPLETED
                    and t.hyperparameters["tuner/round"] == parent.hyperparameters["tuner/round"]
                ]
                rank = sorted(t.score for t in rung).index(parent.score)
                assert rank < len(rung) // 3
            running.append(trial)
        if not running:
            break
        _end(oracle, running.pop(len(running) // 2))
    trials = list(oracle.trials.values())
    assert len(trials) == 120
    assert TrialStatus.IDLE not in statuses
    parents = [t.hyperparameters["tuner/trial_id"] for t in trials if "tuner/trial_id" in t.hyperparameters]
    assert len(parents) == len(set(parents))
    assert {t.hyperparameters["tuner/round"] for t in trials} == {0, 1, 2, 3}


def test_small_space_stops_when_nothing_is_left_to_promote():
    hp = kt.HyperParameters()
    hp.Choice("a", ["x", "y", "z"])
    hp.Boolean("b")
    oracle = ASHA(objective="loss", max_epochs=9, hyperparameters=hp, seed=0)
    trials = run_trials(oracle, lambda v: ord(v["a"]) + v["b"])
    assert [t.hyperparameters["tuner/round"] for t in trials].count(1) == 2
    assert len(trials) == 8
    assert oracle.create_trial("tester").status == TrialStatus.STOPPED


def test_registered_by_name():
    assert kt.oracles.get("asha") is ASHA
    assert kt.oracles.AsyncHyperband is ASHA


def _fn(hp):
    x = hp.Float("x", -1.0, 1.0)
    assert 0 <= hp["tuner/initial_epoch"] < hp["tuner/epochs"] <= 9
    return (x - 0.3) ** 2


def test_resume_continues_the_rungs(tmp_path):
    whole = kt.FunctionTuner(_fn, objective="loss", oracle="asha", max_epochs=9, max_trials=30, seed=5)
    whole.search(verbose=0)
    kwargs = dict(objective="loss", oracle="asha", max_epochs=9, seed=5, directory=tmp_path, project_name="p")
    kt.FunctionTuner(_fn, max_trials=13, **kwargs).search(verbose=0)
    resumed = kt.FunctionTuner(_fn, max_trials=30, **kwargs)
    resumed.search(verbose=0)

    def keys(tuner):
        return [json.dumps(t.hyperparameters.values, sort_keys=True) for t in tuner.oracle.trials.values()]

    assert keys(resumed) == keys(whole)
