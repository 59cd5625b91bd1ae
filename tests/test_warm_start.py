"""Configurations to try first (``Oracle.enqueue``) and warm starts from a finished project."""

import pytest

import tunecore as kt
from tunecore.errors import InvalidSpaceError, ProjectError
from tunecore.hyperparameters import HyperParameters
from tunecore.testing import run_trials


def _space():
    hp = HyperParameters()
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    hp.Int("units", 8, 64, step=8)
    return hp


def _oracle(**kwargs):
    kwargs.setdefault("max_trials", 6)
    return kt.oracles.RandomSearch(objective=kt.Objective("loss", "min"), hyperparameters=_space(), seed=0, **kwargs)


def _loss(values):
    return values["lr"] * values["units"]


# Enqueue ---------------------------------------------------------------------


def test_enqueued_configurations_run_first_in_order():
    oracle = _oracle()
    oracle.enqueue({"lr": 0.01, "units": 16})
    oracle.enqueue({"lr": 0.001, "units": 32})
    ended = run_trials(oracle, _loss)
    assert [t.hyperparameters.values for t in ended[:2]] == [
        {"lr": 0.01, "units": 16}, {"lr": 0.001, "units": 32},
    ]
    assert len(ended) == 6  # they count as trials of the search


def test_left_out_hyperparameters_take_their_defaults():
    oracle = _oracle()
    oracle.enqueue({"units": 24})
    trial = oracle.ask()
    assert trial.hyperparameters.values == {"lr": 1e-4, "units": 24}


def test_enqueue_refuses_unknown_names_and_invalid_values():
    oracle = _oracle()
    with pytest.raises(InvalidSpaceError, match=r"\['unit'\] not in the search space"):
        oracle.enqueue({"unit": 16})
    with pytest.raises(InvalidSpaceError, match="units"):
        oracle.enqueue({"units": 1000})
    with pytest.raises(ValueError):
        oracle.enqueue([("units", 16)])


def test_enqueue_skips_duplicates_of_queued_and_tried_configurations():
    oracle = _oracle()
    assert oracle.enqueue({"lr": 0.01, "units": 16})
    assert not oracle.enqueue({"lr": 0.01, "units": 16})
    trial = oracle.ask()
    oracle.tell(trial.trial_id, 1.0)
    assert not oracle.enqueue({"lr": 0.01, "units": 16})
    assert oracle.ask().hyperparameters.values != {"lr": 0.01, "units": 16}


def test_enqueue_before_a_function_tuner_declares_its_space():
    def fn(hp):
        return (hp.Float("x", 0, 1) - 0.3) ** 2 + hp.Float("y", 0, 1)

    tuner = kt.FunctionTuner(fn, max_trials=4, seed=0)
    tuner.oracle.enqueue({"x": 0.3, "y": 0.0})
    tuner.oracle.enqueue({"x": 0.5, "y": 0.5})
    tuner.search(verbose=0)
    first = [t.hyperparameters.values for t in list(tuner.oracle.trials.values())[:2]]
    assert first == [{"x": 0.3, "y": 0.0}, {"x": 0.5, "y": 0.5}]
    assert tuner.oracle.get_best_trials()[0].score == 0.0


def test_enqueued_configurations_survive_a_resume(tmp_path):
    def fn(hp):
        return hp.Float("x", 0, 1)

    first = kt.FunctionTuner(fn, max_trials=3, seed=0, directory=str(tmp_path), project_name="p")
    first.oracle.enqueue({"x": 0.25})
    first.oracle.enqueue({"x": 0.75})
    first.oracle.close()  # killed before any trial ran
    resumed = kt.FunctionTuner(fn, max_trials=3, seed=0, directory=str(tmp_path), project_name="p")
    resumed.search(verbose=0)
    assert [t.hyperparameters.values["x"] for t in resumed.oracle.trials.values()][:2] == [0.25, 0.75]
    again = kt.FunctionTuner(fn, max_trials=5, seed=0, directory=str(tmp_path), project_name="p")
    again.search(verbose=0)  # the queue was used: nothing runs twice
    xs = [t.hyperparameters.values["x"] for t in again.oracle.trials.values()]
    assert len(xs) == 5 and len(set(xs)) == 5


@pytest.mark.parametrize("executor", ["process"])
def test_enqueued_configurations_run_under_a_process_pool(executor):
    oracle = _oracle(max_trials=4)
    for units in (16, 24, 32):
        oracle.enqueue({"lr": 0.01, "units": units})
    tuner = kt.FunctionTuner(_units_loss, oracle=oracle)
    tuner.search(executor=executor, max_parallel_trials=2, verbose=0)
    values = [t.hyperparameters.values["units"] for t in oracle.trials.values()]
    assert values[:3] == [16, 24, 32] and len(values) == 4


def _units_loss(hp):
    return hp.Float("lr", 1e-4, 1e-1, sampling="log") * hp.Int("units", 8, 64, step=8)


# Warm start ------------------------------------------------------------------


def _finished(tmp_path, fn=_units_loss, trials=6):
    kt.tune(fn, objective=kt.Objective("loss", "min"), max_trials=trials, seed=0, verbose=0,
            directory=str(tmp_path), project_name="old")
    return str(tmp_path / "old")


def test_warm_start_trials_inform_the_model_but_are_not_trials(tmp_path):
    path = _finished(tmp_path)
    tuner = kt.tune(_units_loss, objective=kt.Objective("loss", "min"), max_trials=3, seed=1, verbose=0,
                    oracle="bayesian", warm_start_from=path)
    oracle = tuner.oracle
    assert len(oracle.trials) == 3
    warm = oracle.warm_start_trials()
    assert len(warm) == 6
    assert not set(map(id, warm)) & set(map(id, oracle.trials.values()))
    assert all(oracle.objective_values(t) is not None for t in warm)
    assert kt.load(path).trials.keys() == {f"{i:02d}" for i in range(6)}  # read-only: unchanged


def test_warm_start_from_a_mismatched_space_names_the_hyperparameters(tmp_path):
    path = _finished(tmp_path)

    def other(hp):
        return hp.Float("units", 8, 64) + hp.Float("dropout", 0, 0.5) + hp.Float("lr", 1e-4, 1e-1)

    with pytest.raises(InvalidSpaceError) as error:
        kt.tune(other, objective=kt.Objective("loss", "min"), max_trials=3, verbose=0,
                oracle="bayesian", warm_start_from=path)
    message = str(error.value)
    assert "'units'" in message and "['dropout']" in message and path in message


def test_warm_start_from_a_missing_project_fails_at_once(tmp_path):
    with pytest.raises(ProjectError, match="warm_start_from"):
        _oracle(warm_start_from=tmp_path / "nothing")


def test_warm_start_leaves_out_trials_outside_the_new_range(tmp_path):
    path = _finished(tmp_path)
    hp = HyperParameters()
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    hp.Int("units", 8, 24, step=8)
    oracle = kt.oracles.RandomSearch(objective=kt.Objective("loss", "min"), hyperparameters=hp,
                                     warm_start_from=path)
    old = kt.load(path).trials.values()
    assert len(oracle.warm_start_trials()) == sum(t.hyperparameters.values["units"] <= 24 for t in old)


@pytest.mark.slow
def test_enqueued_configurations_and_a_pareto_front_under_dask():
    pytest.importorskip("distributed")
    objective = kt.Pareto([kt.Objective("lr", "min"), kt.Objective("loss", "min")])
    tuner = kt.FunctionTuner(_pareto_units, objective=objective, max_trials=5, seed=0)
    tuner.oracle.enqueue({"lr": 0.01, "units": 16})
    tuner.search(executor="dask", max_parallel_trials=2, verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert trials[0].hyperparameters.values == {"lr": 0.01, "units": 16}
    assert all(t.status == "COMPLETED" for t in trials) and tuner.oracle.get_best_trials(None)


def _pareto_units(hp):
    lr = hp.Float("lr", 1e-4, 1e-1, sampling="log")
    return {"lr": lr, "loss": 1 / (lr * hp.Int("units", 8, 64, step=8))}
