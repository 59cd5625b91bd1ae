"""The same parallel-search scenarios on the local process pool and on Dask.

Dask runs here as a threaded local cluster, for speed (the ``parallel`` fixture
of conftest.py); tests/test_dask_executor.py covers worker processes, existing
clusters and faults specific to Dask.
"""

import os
import threading

import pytest

import tunecore as kt
from tunecore.errors import FailedTrialError
from tunecore.executors import UnpicklableError
from tunecore.trial import TrialStatus


def _quadratic(hp):
    x = hp.Float("x", -1.0, 1.0)
    kind = hp.Choice("kind", ["a", "b"])
    return {"loss": x * x + (kind == "b"), "x": x}


def test_trials_run_in_parallel_and_are_recorded_in_the_project(tmp_path, parallel):
    tuner = kt.FunctionTuner(_quadratic, objective="loss", max_trials=6, seed=0,
                             directory=tmp_path, project_name="p")
    tuner.search(verbose=0, **parallel())

    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 6
    assert len({(t.hyperparameters["x"], t.hyperparameters["kind"]) for t in trials}) == 6
    assert tuner.oracle.hyperparameters.is_defined("kind")  # declared in the worker
    for trial in trials:
        assert trial.metrics.get_last_value("x") == trial.hyperparameters["x"]
    resumed = kt.FunctionTuner(_quadratic, objective="loss", max_trials=6, seed=0,
                               directory=tmp_path, project_name="p")
    best = resumed.get_best_hyperparameters()[0].values
    assert best == tuner.get_best_hyperparameters()[0].values


class StepTuner(kt.BaseTuner):
    def run_trial(self, trial):
        x = trial.hyperparameters.Float("x", 0.0, 1.0)
        for step in range(3):
            self.oracle.update_trial(trial.trial_id, {"loss": x + step}, step=step)


def test_metrics_reported_during_a_trial_reach_the_oracle(tmp_path, parallel):
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=3, seed=0)
    tuner = StepTuner(oracle, directory=tmp_path)
    tuner.search(verbose=0, **parallel())

    for trial in tuner.oracle.trials.values():
        assert [step for step, _ in trial.metrics.get_history("loss")] == [0, 1, 2]
        assert trial.score == trial.hyperparameters["x"] and trial.best_step == 0


def _fails_first_time(hp, marker_dir):
    x = hp.Float("x", 0.0, 1.0)
    marker = os.path.join(marker_dir, f"{x!r}")
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("flaky")
    return x


def test_a_failing_trial_is_retried_within_max_retries_per_trial(tmp_path, parallel):
    tuner = kt.FunctionTuner(_fails_first_time, max_trials=4, seed=0, max_retries_per_trial=1,
                             max_consecutive_failed_trials=10)
    tuner.search(str(tmp_path), verbose=0, **parallel())

    trials = tuner.oracle.trials.values()
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 4
    assert [t.attempts for t in trials] == [2] * 4


def _gives_up(hp):
    hp.Float("x", 0.0, 1.0)
    raise FailedTrialError("not this one")


def test_failed_trial_error_is_not_retried(parallel):
    tuner = kt.FunctionTuner(_gives_up, max_trials=2, seed=0, max_retries_per_trial=3,
                             max_consecutive_failed_trials=5)
    tuner.search(verbose=0, **parallel())

    trials = tuner.oracle.trials.values()
    assert [(t.status, t.attempts) for t in trials] == [(TrialStatus.FAILED, 1)] * 2
    assert all("not this one" in t.message for t in trials)


def _counts_neighbours(hp, running_dir):
    """Records how many trials run at the same time as this one."""
    hp.Float("x", 0.0, 1.0)
    me = os.path.join(running_dir, str(os.getpid()) + "-" + str(threading.get_ident()))
    open(me, "w").close()
    try:
        seen = len(os.listdir(running_dir))
        threading.Event().wait(0.05)
        return {"loss": 0.0, "running": float(max(seen, len(os.listdir(running_dir))))}
    finally:
        os.remove(me)


def test_at_most_max_parallel_trials_run_at_once(tmp_path, parallel):
    tuner = kt.FunctionTuner(_counts_neighbours, objective="loss", max_trials=6, seed=0)
    tuner.search(str(tmp_path), verbose=0, **parallel())

    running = [t.metrics.get_last_value("running") for t in tuner.oracle.trials.values()]
    assert len(running) == 6 and max(running) <= 2


def test_unpicklable_arguments_fail_at_once_naming_the_culprit(tmp_path, parallel):
    lock = threading.Lock()
    tuner = kt.FunctionTuner(lambda hp, lock: hp.Float("x", 0, 1), max_trials=2,
                             directory=tmp_path)
    with pytest.raises(UnpicklableError, match="search argument #0 \\(lock\\)"):
        tuner.search(lock, verbose=0, **parallel())
    assert tuner.oracle.trials == {}


class StopAfterTwoSteps(kt.oracles.RandomSearch):
    """Keras Tuner's way for an oracle to stop a trial: ``update_trial`` returns STOPPED."""

    def update_trial(self, trial_id, metrics, step=0):
        super().update_trial(trial_id, metrics, step)
        return TrialStatus.STOPPED if step >= 1 else TrialStatus.RUNNING


class LongTuner(kt.BaseTuner):
    """Reports 100 steps unless the oracle says stop; returns the answer it got."""

    def run_trial(self, trial):
        x = trial.hyperparameters.Float("x", 0.0, 1.0)
        for step in range(100):
            if self.oracle.report(trial.trial_id, step, loss=x + step) == TrialStatus.STOPPED:
                return {"stopped_at": float(step)}
            threading.Event().wait(0.02)
        return {"stopped_at": -1.0}


def test_the_oracle_stops_a_trial_running_in_a_worker(tmp_path, parallel):
    oracle = StopAfterTwoSteps(objective="loss", max_trials=3, seed=0)
    tuner = LongTuner(oracle, directory=tmp_path)
    tuner.search(verbose=0, **parallel())

    for trial in tuner.oracle.trials.values():
        steps = [step for step, _ in trial.metrics.get_history("loss")]
        assert trial.status == TrialStatus.STOPPED
        assert steps == list(range(len(steps))) and 2 <= len(steps) < 100  # live, in order, cut short
        assert trial.score == trial.hyperparameters["x"] and trial.best_step == 0
        # The objective was reported, so the returned dict is not recorded (Keras Tuner's rule).
        assert not trial.metrics.exists("stopped_at")
