"""Trials in a local process pool: parallel, picklable, and robust to dying workers."""

import os
import threading

import pytest

import tunecore as kt
from tunecore.executors import UnpicklableError
from tunecore.trial import TrialStatus


def _pid_objective(hp):
    x = hp.Float("x", 0.0, 1.0)
    return {"loss": x, "pid": float(os.getpid())}


@pytest.mark.slow
def test_process_pool_runs_trials_in_worker_processes(tmp_path):
    tuner = kt.FunctionTuner(_pid_objective, objective="loss", max_trials=6, seed=0,
                             directory=tmp_path, project_name="pool")
    tuner.search(executor="process", max_parallel_trials=2, verbose=0)
    trials = tuner.oracle.trials.values()
    assert len(trials) == 6 and all(t.status == TrialStatus.COMPLETED for t in trials)
    pids = {t.metrics.get_last_value("pid") for t in trials}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert len({t.hyperparameters["x"] for t in trials}) == 6


class ReportingTuner(kt.BaseTuner):
    def run_trial(self, trial):
        x = trial.hyperparameters.Float("x", 0.0, 1.0)
        for step in range(3):
            self.oracle.update_trial(trial.trial_id, {"loss": x + step}, step=step)


@pytest.mark.slow
def test_metrics_reported_in_a_worker_reach_the_oracle(tmp_path):
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=2, seed=0)
    tuner = ReportingTuner(oracle, directory=tmp_path)
    tuner.search(executor="process", max_parallel_trials=2, verbose=0)
    for trial in tuner.oracle.trials.values():
        assert [step for step, _ in trial.metrics.get_history("loss")] == [0, 1, 2]
        assert trial.best_step == 0


def _dies_once(hp, marker):
    x = hp.Float("x", 0.0, 1.0)
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)  # the worker process dies mid-trial
    return x


@pytest.mark.slow
def test_a_worker_dying_mid_trial_is_retried(tmp_path):
    tuner = kt.FunctionTuner(_dies_once, max_trials=3, seed=0, max_retries_per_trial=1,
                             directory=tmp_path, project_name="dying")
    tuner.search(str(tmp_path / "died"), executor="process", max_parallel_trials=1, verbose=0)
    trials = tuner.oracle.trials.values()
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 3
    assert max(t.attempts for t in trials) == 2


def test_unpicklable_arguments_fail_at_once_naming_the_culprit(tmp_path):
    lock = threading.Lock()
    tuner = kt.FunctionTuner(lambda hp, lock: hp.Float("x", 0, 1), max_trials=2,
                             directory=tmp_path)
    with pytest.raises(UnpicklableError, match="search argument #0 \\(lock\\)"):
        tuner.search(lock, executor="process", max_parallel_trials=2, verbose=0)
    assert tuner.oracle.trials == {}


@pytest.mark.parametrize("name", ["inprocess", "serial"])
def test_the_in_process_executor_refuses_parallel_trials_and_says_which_executor_does(name, tmp_path):
    tuner = kt.FunctionTuner(_pid_objective, objective="loss", max_trials=2, seed=0, directory=tmp_path)
    with pytest.raises(kt.errors.InvalidArgumentError, match="one trial at a time.*executor='process'"):
        tuner.search(executor=name, max_parallel_trials=3, verbose=0)
    assert not tuner.oracle.trials
    tuner.search(executor=name, max_parallel_trials=1, verbose=0)
    assert {t.metrics.get_last_value("pid") for t in tuner.oracle.trials.values()} == {float(os.getpid())}
