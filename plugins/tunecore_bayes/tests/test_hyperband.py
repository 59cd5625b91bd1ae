import collections
import concurrent.futures
import json
import math

import pytest

import tunecore as kt
from tunecore.executors import Executor
from tunecore.testing import OracleConformance, run_trials
from tunecore.trial import TrialStatus
from tunecore_bayes import Hyperband

# Keras Tuner 1.4's Hyperband, worked by hand from its formulas (see tunecore_bayes.brackets):
# (bracket, round) -> (trials, tuner/epochs).
SCHEDULE_27_3 = {
    (3, 0): (27, 1), (3, 1): (9, 3), (3, 2): (3, 9), (3, 3): (1, 27),
    (2, 0): (12, 3), (2, 1): (4, 9), (2, 2): (2, 27),
    (1, 0): (6, 9), (1, 1): (2, 27),
    (0, 0): (4, 27),
}
SCHEDULE_9_3 = {
    (2, 0): (9, 1), (2, 1): (3, 3), (2, 2): (1, 9),
    (1, 0): (5, 3), (1, 1): (2, 9),
    (0, 0): (3, 9),
}
SCHEDULE_10_2 = {
    (3, 0): (10, 2), (3, 1): (5, 3), (3, 2): (3, 5), (3, 3): (2, 10),
    (2, 0): (7, 3), (2, 1): (4, 5), (2, 2): (2, 10),
    (1, 0): (5, 5), (1, 1): (3, 10),
    (0, 0): (5, 10),
}


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", -1.0, 1.0)
    return hp


def _loss(values):
    return (values["x"] - 0.3) ** 2


def _rung_of(trial):
    return trial.hyperparameters["tuner/bracket"], trial.hyperparameters["tuner/round"]


def _schedule_of(trials):
    return collections.Counter(_rung_of(t) for t in trials)


def _check_rungs(trials, schedule, direction="min"):
    """Every trial follows ``schedule``; promotions continue the best of the rung below."""
    by_id = {t.trial_id: t for t in trials}
    assert _schedule_of(trials) == {key: size for key, (size, _) in schedule.items()}
    promoted = collections.defaultdict(list)
    for trial in trials:
        hp = trial.hyperparameters
        bracket, rnd = hp["tuner/bracket"], hp["tuner/round"]
        assert hp["tuner/epochs"] == schedule[bracket, rnd][1]
        if rnd == 0:
            assert hp["tuner/initial_epoch"] == 0
            assert "tuner/trial_id" not in hp
            continue
        parent = by_id[hp["tuner/trial_id"]]
        assert _rung_of(parent) == (bracket, rnd - 1)
        assert hp["tuner/initial_epoch"] == parent.hyperparameters["tuner/epochs"]
        assert hp["x"] == parent.hyperparameters["x"]
        promoted[bracket, rnd - 1].append(hp["tuner/trial_id"])
    for (bracket, rnd), parents in promoted.items():
        rung = [t for t in trials if _rung_of(t) == (bracket, rnd)]
        rung.sort(key=lambda t: t.score if direction == "min" else -t.score)
        assert sorted(parents) == sorted(t.trial_id for t in rung[: len(parents)])
    return sum(t.hyperparameters["tuner/epochs"] - t.hyperparameters["tuner/initial_epoch"] for t in trials)


class TestHyperbandConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: Hyperband(max_epochs=9, factor=3, **kwargs)


def test_one_iteration_runs_keras_tuners_schedule():
    oracle = Hyperband(objective="loss", max_epochs=27, factor=3, hyperparameters=_space(), seed=0)
    trials = run_trials(oracle, _loss)
    assert len(trials) == 70
    assert _check_rungs(trials, SCHEDULE_27_3) == 375
    assert oracle.create_trial("tester").status == TrialStatus.STOPPED


@pytest.mark.parametrize(
    "max_epochs, factor, schedule, epochs",
    [(9, 3, SCHEDULE_9_3, 75), (10, 2, SCHEDULE_10_2, 170)],
)
def test_schedule_follows_max_epochs_and_factor(max_epochs, factor, schedule, epochs):
    oracle = Hyperband(
        objective="accuracy", max_epochs=max_epochs, factor=factor, hyperparameters=_space(), seed=1
    )
    trials = run_trials(oracle, lambda v: -_loss(v))
    assert _check_rungs(trials, schedule, direction="max") == epochs


def test_brackets_run_from_most_aggressive_and_iterations_repeat_them():
    oracle = Hyperband(
        objective="loss", max_epochs=9, hyperband_iterations=2, hyperparameters=_space(), seed=0
    )
    trials = run_trials(oracle, _loss)
    assert len(trials) == 2 * 23
    brackets = [t.hyperparameters["tuner/bracket"] for t in trials]
    assert brackets == ([2] * 13 + [1] * 7 + [0] * 3) * 2


def test_max_trials_caps_the_search():
    oracle = Hyperband(objective="loss", max_epochs=27, max_trials=12, hyperparameters=_space(), seed=0)
    assert len(run_trials(oracle, _loss)) == 12
    assert oracle.create_trial("tester").status == TrialStatus.STOPPED


def test_injected_values_stay_out_of_the_search_space():
    oracle = Hyperband(objective="loss", max_epochs=9, hyperparameters=_space(), seed=0)
    trials = run_trials(oracle, _loss)
    assert [hp.name for hp in oracle.hyperparameters.space] == ["x"]
    promoted = trials[9].hyperparameters
    assert set(promoted.values) == {
        "x", "tuner/epochs", "tuner/initial_epoch", "tuner/bracket", "tuner/round", "tuner/trial_id"
    }
    assert promoted.values["tuner/epochs"] == 3 and promoted["tuner/initial_epoch"] == 1


def _run_in_parallel(oracle, workers, finish_order):
    """Keep ``workers`` trials running; end them in ``finish_order(running)``. Returns (trials, statuses)."""
    running, ended, statuses = [], [], []
    while True:
        while len(running) < workers:
            trial = oracle.create_trial(f"worker{len(running)}")
            statuses.append((trial.status, len(running)))
            if trial.status != TrialStatus.RUNNING:
                break
            running.append(trial)
        if not running:
            return ended, statuses
        trial = running.pop(finish_order(running))
        oracle.update_trial(trial.trial_id, {"loss": _loss(trial.hyperparameters.values)})
        trial.status = TrialStatus.COMPLETED
        oracle.end_trial(trial)
        ended.append(trial)


@pytest.mark.parametrize("workers", [2, 5, 16])
def test_parallel_workers_keep_the_schedule_and_idle_only_while_trials_run(workers):
    oracle = Hyperband(objective="loss", max_epochs=27, hyperparameters=_space(), seed=2)
    trials, statuses = _run_in_parallel(oracle, workers, finish_order=lambda running: len(running) // 2)
    assert _check_rungs(trials, SCHEDULE_27_3) == 375
    assert all(n_running > 0 for status, n_running in statuses if status == TrialStatus.IDLE)
    assert statuses[-1] == (TrialStatus.STOPPED, 0)


def test_rung_waits_for_its_trials_then_promotes_the_best():
    oracle = Hyperband(objective="loss", max_epochs=3, factor=3, hyperparameters=_space(), seed=0)
    first_rung = [oracle.create_trial(f"w{i}") for i in range(3)]  # bracket 1: 3 trials, best 1 goes on
    last_bracket = [oracle.create_trial(f"w{i}") for i in range(3, 5)]  # bracket 0 starts meanwhile
    assert [t.hyperparameters["tuner/bracket"] for t in first_rung + last_bracket] == [1, 1, 1, 0, 0]
    assert oracle.create_trial("w5").status == TrialStatus.IDLE
    for trial, loss in zip(first_rung, [0.5, 0.1, 0.9]):
        assert oracle.create_trial("w5").status == TrialStatus.IDLE
        oracle.update_trial(trial.trial_id, {"loss": loss})
        trial.status = TrialStatus.COMPLETED
        oracle.end_trial(trial)
    promoted = oracle.create_trial("w5")
    hp = promoted.hyperparameters
    assert hp["tuner/trial_id"] == first_rung[1].trial_id
    assert (hp["tuner/bracket"], hp["tuner/round"]) == (1, 1)
    assert (hp["tuner/initial_epoch"], hp["tuner/epochs"]) == (1, 3)


def test_failed_trials_do_not_block_a_rung():
    oracle = Hyperband(
        objective="loss", max_epochs=9, hyperparameters=_space(), seed=0, max_consecutive_failed_trials=99
    )
    trials = run_trials(oracle, lambda v: math.nan if v["x"] < 0 else _loss(v))
    failed = [t for t in trials if t.status == TrialStatus.FAILED]
    assert failed
    for trial in trials:
        if "tuner/trial_id" in trial.hyperparameters:
            assert oracle.get_trial(trial.hyperparameters["tuner/trial_id"]).status == TrialStatus.COMPLETED
    assert oracle.create_trial("tester").status == TrialStatus.STOPPED


def test_small_discrete_space_halves_what_it_has():
    hp = kt.HyperParameters()
    hp.Choice("a", ["x", "y", "z"])
    hp.Boolean("b")
    oracle = Hyperband(objective="loss", max_epochs=9, hyperparameters=hp, seed=0)
    trials = run_trials(oracle, lambda v: ord(v["a"]) + v["b"])
    assert _schedule_of(trials) == {(2, 0): 6, (2, 1): 3, (2, 2): 1}
    assert oracle.create_trial("tester").status == TrialStatus.STOPPED


def test_proposer_supplies_new_configurations():
    proposals = iter([{"x": 0.25}, None, {"x": 0.25}])  # a repeat falls back to random
    oracle = Hyperband(
        objective="loss", max_epochs=9, hyperparameters=_space(), seed=0,
        proposer=lambda o: next(proposals, {"x": 0.5}),
    )
    trials = run_trials(oracle, _loss, n=4)
    xs = [t.hyperparameters["x"] for t in trials]
    assert xs[0] == 0.25 and xs[3] == 0.5
    assert len(set(xs)) == 4


def test_registered_by_name_and_keras_tuner_alias():
    assert kt.oracles.get("hyperband") is Hyperband
    assert kt.oracles.HyperbandOracle is Hyperband


@pytest.mark.parametrize("kwargs", [{"factor": 1}, {"max_epochs": 0}, {"factor": 2.5}])
def test_invalid_schedule_is_refused(kwargs):
    with pytest.raises((ValueError, TypeError), match=next(iter(kwargs))):
        Hyperband(objective="loss", **kwargs)


def _epochs_fn(hp):
    x = hp.Float("x", -1.0, 1.0)
    assert 0 <= hp["tuner/initial_epoch"] < hp["tuner/epochs"] <= 9
    return (x - 0.3) ** 2


def _keys(tuner):
    return [
        (t.trial_id, json.dumps(t.hyperparameters.values, sort_keys=True), t.status)
        for t in tuner.oracle.trials.values()
    ]


def test_space_declared_inside_the_function_runs_the_whole_schedule():
    tuner = kt.FunctionTuner(_epochs_fn, objective="loss", oracle="hyperband", max_epochs=9, seed=0)
    tuner.search(verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert _check_rungs(trials, SCHEDULE_9_3) == 75
    assert len({t.hyperparameters["x"] for t in trials if t.hyperparameters["tuner/round"] == 0}) == 17


@pytest.mark.parametrize("stop", ["max_trials", "interrupt"])
def test_resume_continues_the_bracket_it_stopped_in(tmp_path, stop):
    whole = kt.FunctionTuner(_epochs_fn, objective="loss", oracle="hyperband", max_epochs=9, seed=4)
    whole.search(verbose=0)

    calls = []

    def interrupted(hp):
        calls.append(1)
        if len(calls) == 11:  # the second trial of bracket 2's second rung
            raise KeyboardInterrupt
        return _epochs_fn(hp)

    first = kt.FunctionTuner(
        _epochs_fn if stop == "max_trials" else interrupted, objective="loss", oracle="hyperband",
        max_epochs=9, seed=4, directory=tmp_path, project_name="p",
        max_trials=11 if stop == "max_trials" else None,
    )
    if stop == "interrupt":
        with pytest.raises(KeyboardInterrupt):
            first.search(verbose=0)
    else:
        first.search(verbose=0)
    assert len(first.oracle.trials) == 11

    resumed = kt.FunctionTuner(
        _epochs_fn, objective="loss", oracle="hyperband", max_epochs=9, seed=4,
        directory=tmp_path, project_name="p",
    )
    resumed.search(verbose=0)
    assert _keys(resumed) == _keys(whole)
    assert _check_rungs(list(resumed.oracle.trials.values()), SCHEDULE_9_3) == 75


class _Deferred(Executor):
    """Holds submitted trials and runs one, the newest first, each time the loop waits."""

    def __init__(self, capacity):
        self.capacity = capacity
        self._pending = []

    def start(self, runner):
        self._runner = runner

    def submit(self, trial):
        future = concurrent.futures.Future()
        self._pending.append((future, trial))
        return future

    def wait(self, futures, timeout=None):
        future, trial = self._pending.pop()
        future.set_result(self._runner(trial))
        return {future}, {f for f, _ in self._pending}


class _DeclaringTuner(kt.BaseTuner):
    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        x = hp.Float("x", -1.0, 1.0)
        for epoch in range(hp["tuner/initial_epoch"], hp["tuner/epochs"]):
            self.oracle.update_trial(trial.trial_id, {"loss": (x - 0.3) ** 2 + 1 / (epoch + 1)}, step=epoch)


def test_parallel_search_with_space_declared_in_run_trial(tmp_path):
    oracle = Hyperband(objective="loss", max_epochs=9, seed=0)
    tuner = _DeclaringTuner(oracle, directory=tmp_path, project_name="p")
    tuner.search(executor=_Deferred(capacity=4), verbose=0)
    trials = list(oracle.trials.values())
    assert all(t.status == TrialStatus.COMPLETED for t in trials)
    assert _check_rungs(trials, SCHEDULE_9_3) == 75
    assert tuner.get_best_hyperparameters()[0]["tuner/epochs"] == 9


def test_search_again_after_an_interruption_finishes_the_schedule():
    calls = []

    def interrupted(hp):
        calls.append(1)
        if len(calls) == 11:
            raise KeyboardInterrupt
        return _epochs_fn(hp)

    tuner = kt.FunctionTuner(interrupted, objective="loss", oracle="hyperband", max_epochs=9, seed=4)
    with pytest.raises(KeyboardInterrupt):
        tuner.search(verbose=0)
    tuner.search(verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert all(t.status == TrialStatus.COMPLETED for t in trials)
    assert _check_rungs(trials, SCHEDULE_9_3) == 75


def _space_2d():
    hp = kt.HyperParameters()
    hp.Float("x", -2.0, 2.0)
    hp.Float("y", -2.0, 2.0)
    return hp


def _regret_2d(values):
    return (values["x"] - 0.3) ** 2 + (values["y"] + 0.5) ** 2


def _best_regret(model_based, seed):
    oracle = Hyperband(
        objective="loss", max_epochs=9, hyperparameters=_space_2d(), seed=seed, model_based=model_based
    )
    trials = run_trials(oracle, lambda v: _regret_2d(v) + 1 / v["tuner/epochs"])
    assert _schedule_of(trials) == {key: size for key, (size, _) in SCHEDULE_9_3.items()}
    return min(_regret_2d(t.hyperparameters.values) for t in trials if t.hyperparameters["tuner/epochs"] == 9)


@pytest.mark.slow
def test_model_based_hyperband_keeps_the_schedule_and_beats_random_configurations():
    seeds = range(1, 6)
    model = sorted(_best_regret(True, seed) for seed in seeds)
    random = sorted(_best_regret(False, seed) for seed in seeds)
    assert model[2] < random[2] / 3


def test_model_based_and_a_proposer_are_exclusive():
    with pytest.raises(ValueError, match="proposer"):
        Hyperband(objective="loss", model_based=True, proposer=lambda oracle: None)


def test_model_based_hyperband_starts_with_the_shared_initial_design():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Choice("kind", ["a", "b", "c", "d", "e", "f"], ordered=False)
    oracle = Hyperband(objective="loss", max_epochs=9, hyperparameters=hp, seed=3, model_based=True)
    trials = run_trials(oracle, lambda v: v["x"] + (v["kind"] != "f"), n=6)
    assert sorted(t.hyperparameters["kind"] for t in trials) == ["a", "b", "c", "d", "e", "f"]


def test_model_based_hyperband_learns_to_leave_a_failing_region():
    # Failed trials are observations (tunecore_bayes.failures) at their budget: the model's later
    # configurations mostly avoid the region x > 0.35 next to the optimum (x = 0.3); ignored, 3 in 4 fail.
    late = []
    for seed in range(1, 4):
        oracle = Hyperband(objective="loss", max_epochs=9, hyperparameters=_space_2d(), seed=seed, model_based=True,
                           hyperband_iterations=4, max_consecutive_failed_trials=None)
        trials = run_trials(oracle, lambda v: math.nan if v["x"] > 0.35 else _regret_2d(v) + 1 / v["tuner/epochs"])
        new = [t for t in trials if "tuner/trial_id" not in t.hyperparameters.values]
        late += new[len(new) // 2:]
    assert sum(t.status == TrialStatus.FAILED for t in late) < len(late) / 2
