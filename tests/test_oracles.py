import pytest

import tunecore as kt
from tunecore.oracles import GridSearch, RandomSearch
from tunecore.storage import JournalStorage
from tunecore.testing import OracleConformance, run_trials
from tunecore.trial import TrialStatus


class TestRandomSearchConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: RandomSearch(**kwargs)


class TestGridSearchConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: GridSearch(**kwargs)


def _space_18():
    hp = kt.HyperParameters()
    hp.Choice("optimizer", ["adam", "sgd", "rmsprop"])
    hp.Int("layers", 1, 3)
    hp.Boolean("dropout")
    return hp


@pytest.mark.parametrize("seed", range(20))
def test_random_search_covers_a_small_space_before_stopping(seed):
    # Keras Tuner stops early on this space about a third of the time.
    oracle = RandomSearch(objective="loss", max_trials=100, hyperparameters=_space_18(), seed=seed)
    ended = run_trials(oracle, lambda v: v["layers"])
    assert len({tuple(sorted(t.hyperparameters.values.items())) for t in ended}) == 18
    assert len(ended) == 18


def test_grid_search_follows_keras_tuners_order():
    hp = kt.HyperParameters()
    hp.Choice("a", [1, 2])
    hp.Choice("b", ["x", "y", "z"])
    oracle = GridSearch(objective="loss", hyperparameters=hp)
    order = [(t.hyperparameters["a"], t.hyperparameters["b"]) for t in run_trials(oracle, lambda v: 0.0)]
    assert order == [(1, "x"), (1, "y"), (1, "z"), (2, "x"), (2, "y"), (2, "z")]


def test_grid_search_enumerates_steps_and_floats():
    hp = kt.HyperParameters()
    hp.Int("units", 32, 96, step=32)
    hp.Float("dropout", 0.0, 0.5, step=0.25)
    oracle = GridSearch(objective="loss", hyperparameters=hp)
    values = [tuple(t.hyperparameters.values.values()) for t in run_trials(oracle, lambda v: 0.0)]
    assert values == [(u, d) for u in (32, 64, 96) for d in (0.0, 0.25, 0.5)]


def test_grid_search_resumes_mid_grid(tmp_path):
    def search(max_trials):
        hp = kt.HyperParameters()
        hp.Int("a", 0, 3)
        hp.Choice("b", ["p", "q"])
        oracle = GridSearch(objective="loss", hyperparameters=hp, max_trials=max_trials)
        oracle.open(JournalStorage(tmp_path / "grid"))
        ended = run_trials(oracle, lambda v: v["a"])
        oracle.close()
        return oracle, [tuple(t.hyperparameters.values.values()) for t in ended]

    _, first = search(max_trials=3)
    oracle, rest = search(max_trials=None)
    assert first == [(0, "p"), (0, "q"), (1, "p")]
    assert rest == [(1, "q"), (2, "p"), (2, "q"), (3, "p"), (3, "q")]
    assert len(oracle.trials) == 8


def test_oracles_resolve_by_keras_tuner_and_seed_names():
    assert kt.oracles.RandomSearchOracle is kt.oracles.RandomSearch is kt.oracles.get("random")
    assert kt.oracles.GridSearchOracle is kt.oracles.GridSearch is kt.oracles.get("grid")
    assert {"grid", "random"} <= set(kt.oracles.available())


def test_several_running_trials_and_a_retry_budget():
    oracle = RandomSearch(objective="loss", max_trials=4, hyperparameters=_space_18(), seed=0,
                          max_retries_per_trial=2, max_consecutive_failed_trials=10)
    first, second = oracle.create_trial("a"), oracle.create_trial("b")
    assert set(oracle.ongoing_trials) == {first.trial_id, second.trial_id}
    for attempt in range(3):
        first.status = TrialStatus.FAILED
        oracle.end_trial(first)
        if attempt < 2:
            assert oracle.create_trial("a") is first
    assert oracle.trials[first.trial_id].status == TrialStatus.FAILED
    assert first.attempts == 3
    assert oracle.create_trial("a").trial_id not in (first.trial_id, second.trial_id)


def test_too_many_consecutive_failures_stop_with_the_last_message():
    oracle = RandomSearch(objective="loss", max_trials=10, hyperparameters=_space_18(), seed=0)
    with pytest.raises(kt.oracles.TooManyFailedTrialsError, match="(?s)3 trials failed in a row.*kaboom"):
        for _ in range(3):
            trial = oracle.create_trial("t")
            trial.status, trial.message = TrialStatus.FAILED, "ValueError: kaboom"
            oracle.end_trial(trial)


def test_new_entries_follow_allow_and_tune_flags():
    given = kt.HyperParameters()
    given.Float("lr", 0.1, 1.0)
    declared = given.copy()
    declared.Int("units", 1, 4)

    frozen = RandomSearch(objective="loss", max_trials=5, hyperparameters=given, tune_new_entries=False, seed=0)
    frozen.update_space(declared)
    assert [hp.name for hp in frozen.get_space().space] == ["lr"]
    trials = [frozen.create_trial("t") for _ in range(3)]
    assert {trial.hyperparameters.Int("units", 1, 4) for trial in trials} == {1}
    assert len({trial.hyperparameters["lr"] for trial in trials}) == 3

    closed = RandomSearch(objective="loss", max_trials=5, hyperparameters=given, allow_new_entries=False)
    with pytest.raises(ValueError, match="allow_new_entries.*units"):
        closed.update_space(declared)


@pytest.mark.parametrize("bad", [-1, 0, "10", 2.5, True])
def test_counts_are_validated_when_the_oracle_is_built(bad):
    with pytest.raises(ValueError, match=f"max_trials must be an integer >= 1 or None; got {bad!r}"):
        RandomSearch(objective="loss", max_trials=bad)
    with pytest.raises(ValueError, match="max_retries_per_trial must be an integer >= 0"):
        RandomSearch(objective="loss", max_retries_per_trial=-1)


def test_every_oracle_spells_the_shared_arguments_once():
    assert kt.oracles.ORACLE_ARGUMENTS == (
        "objective", "max_trials", "hyperparameters", "allow_new_entries", "tune_new_entries",
        "seed", "max_retries_per_trial", "max_consecutive_failed_trials", "pruner", "constraints",
        "warm_start_from",
    )
    kwargs = {"max_retries_per_trial": 2, "tune_new_entries": False, "epochs": 3}
    assert kt.oracles.pop_oracle_arguments(kwargs) == {"max_retries_per_trial": 2, "tune_new_entries": False}
    assert kwargs == {"epochs": 3}


def test_an_oracle_decides_which_trial_is_best_by_overriding_order_best():
    class ByLargestX(RandomSearch):
        def order_best(self, trials):
            return sorted(trials, key=lambda t: -t.hyperparameters.values["x"])

    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    for oracle_cls in (RandomSearch, ByLargestX):
        oracle = oracle_cls(objective="loss", max_trials=8, hyperparameters=hp, seed=0)
        run_trials(oracle, lambda values: values["x"])
        xs = [t.hyperparameters.values["x"] for t in oracle.get_best_trials(3)]
        assert xs == (sorted(xs) if oracle_cls is RandomSearch else sorted(xs, reverse=True))
        assert oracle.get_best_trials(3) == oracle.get_best_trials(None)[:3]
