"""Grid search visits what Keras Tuner's visits, in its order, as the space grows during the search."""

import tunecore as kt
from tunecore.oracles import GridSearch
from tunecore.storage import JournalStorage
from tunecore.testing import run_trials
from tunecore.trial import TrialStatus


def _values(trials):
    return [dict(t.hyperparameters.values) for t in trials]


def test_each_hyperparameter_starts_at_its_default():
    hp = kt.HyperParameters()
    hp.Choice("b", ["x", "y", "z"], default="y")
    hp.Float("f", 1, 2, default=1.0)  # not one of the 10 grid values: tried as an 11th
    oracle = GridSearch(objective="loss", hyperparameters=hp)
    trials = run_trials(oracle, lambda v: 0.0)
    assert [v["b"] for v in _values(trials)[::11]] == ["y", "x", "z"]
    assert len(trials) == 3 * 11
    assert _values(trials)[0] == {"b": "y", "f": 1.0}


def _declaring(hp):
    """A hypermodel that declares a hyperparameter only on one branch (no conditional scope)."""
    if hp.Boolean("bool"):
        hp.Choice("choice1", [0, 1, 2])
    else:
        hp.Choice("choice2", [3, 4, 5])
    return 0.0


def test_hyperparameters_declared_during_the_search_join_from_the_next_trial():
    tuner = kt.tune(_declaring, oracle="grid", verbose=0)
    trials = list(tuner.oracle.trials.values())
    # Keras Tuner's count: choice1 appears once bool is True, so it is never combined with False.
    assert len(trials) == 3 + 3 * 3
    assert [v.get("choice2") for v in _values(trials)[:4]] == [3, 4, 5, 3]


def test_waits_for_running_trials_while_they_still_declare_hyperparameters():
    oracle = GridSearch(objective="loss")

    def end(trial, **declared):
        hp = trial.hyperparameters
        for name in declared:
            hp.Boolean(name)
        oracle.update_space(hp)
        oracle.tell(trial.trial_id, {"loss": 0.0})

    first = oracle.ask("a")
    first.hyperparameters.Boolean("bool")
    oracle.update_space(first.hyperparameters)
    second = oracle.ask("b")
    assert (first.status, second.status) == (TrialStatus.RUNNING, TrialStatus.RUNNING)
    assert oracle.ask("c").status == TrialStatus.IDLE

    end(first, bool2=True)
    third = oracle.ask("c")
    assert third.hyperparameters.values == {"bool": False, "bool2": True}
    assert oracle.ask("d").status == TrialStatus.IDLE, "second may still declare more"

    end(second, bool2=True)
    assert oracle.ask("d").hyperparameters.values == {"bool": True, "bool2": True}
    end(third)
    end(oracle.trials["03"])
    assert oracle.ask("e").status == TrialStatus.STOPPED


def test_a_space_known_up_front_keeps_every_worker_busy():
    hp = kt.HyperParameters()
    hp.Int("a", 0, 2)
    hp.Boolean("b")
    oracle = GridSearch(objective="loss", hyperparameters=hp)
    running = [oracle.ask(f"w{i}") for i in range(6)]
    assert [t.status for t in running] == [TrialStatus.RUNNING] * 6
    assert len({tuple(t.hyperparameters.values.items()) for t in running}) == 6
    assert oracle.ask("w6").status == TrialStatus.IDLE
    for trial in running:
        oracle.tell(trial.trial_id, {"loss": 0.0})
    assert oracle.ask("w6").status == TrialStatus.STOPPED


def test_a_space_the_first_trial_declares_keeps_every_worker_busy_once_it_ends():
    # A function tuner's space: unknown until its first trial (run with the defaults) declares it.
    oracle = GridSearch(objective="loss")
    first = oracle.ask("w0")
    assert first.hyperparameters.values == {} and oracle.ask("w1").status == TrialStatus.IDLE
    first.hyperparameters.Int("a", 0, 2)
    first.hyperparameters.Boolean("b")
    oracle.update_space(first.hyperparameters)
    oracle.tell(first.trial_id, {"loss": 0.0})
    running = [oracle.ask(f"w{i}") for i in range(5)]
    assert [t.status for t in running] == [TrialStatus.RUNNING] * 5
    configurations = {tuple(sorted(t.hyperparameters.values.items())) for t in [first, *running]}
    assert len(configurations) == 6
    assert oracle.ask("w5").status == TrialStatus.IDLE


def test_a_resumed_grid_continues_after_the_last_trial(tmp_path):
    def search(max_trials):
        oracle = GridSearch(objective="loss", max_trials=max_trials)
        oracle.open(JournalStorage(tmp_path / "grid"))
        tuner_like = []
        while True:
            trial = oracle.ask("t")
            if trial.status != TrialStatus.RUNNING:
                break
            _declaring(trial.hyperparameters)
            oracle.update_space(trial.hyperparameters)
            oracle.tell(trial.trial_id, {"loss": 0.0})
            tuner_like.append(trial.trial_id)
        oracle.close()
        return oracle

    search(max_trials=5)
    resumed = search(max_trials=None)
    uninterrupted = kt.tune(_declaring, oracle="grid", verbose=0).oracle
    assert _values(resumed.trials.values()) == _values(uninterrupted.trials.values())
