"""Stopping what is not worth finishing: reports from functions, pruners, stop conditions, trial timeouts."""

import importlib.util
import threading
import time

import pytest

import tunecore as kt
from tunecore.callbacks import Callback, NoImprovement, ObjectiveReached
from tunecore.errors import InvalidArgumentError
from tunecore.executors.dask import DaskExecutor
from tunecore.pruners import MedianPruner, PercentilePruner, SuccessiveHalvingPruner
from tunecore.trial import Trial, TrialStatus

_no_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="needs tunecore[dask]")


def _curve(hp, trial):
    """A learning curve whose level is set by ``x``: lower x, better at every step."""
    x = hp.Float("x", 0.0, 1.0)
    for step in range(10):
        trial.report(step, loss=x + 1.0 / (step + 1))
    return {"loss": x}


# Reporting from a function ----------------------------------------------------

def test_a_function_with_a_trial_parameter_reports_a_learning_curve():
    tuner = kt.tune(_curve, objective="loss", max_trials=3, seed=0, verbose=0)
    for trial in tuner.oracle.trials.values():
        history = trial.metrics.get_history("loss")
        assert [obs.step for obs in history] == list(range(10))
        assert trial.status == TrialStatus.COMPLETED
        assert trial.score == pytest.approx(trial.hyperparameters["x"] + 0.1)  # best step; the return is ignored (Keras Tuner's rule)


def test_a_function_without_a_trial_parameter_is_called_as_before():
    tuner = kt.tune(lambda hp, offset: hp.Float("x", 0, 1) + offset, 10.0, max_trials=2, verbose=0)
    assert all(t.score >= 10.0 for t in tuner.oracle.trials.values())


def test_median_pruning_stops_the_worse_curves_and_keeps_the_best():
    unpruned = kt.tune(_curve, objective="loss", max_trials=20, seed=3, verbose=0)
    pruned = kt.tune(_curve, objective="loss", max_trials=20, seed=3, verbose=0,
                     pruner=MedianPruner(warmup_steps=1, min_trials=3))

    trials = list(pruned.oracle.trials.values())
    stopped = [t for t in trials if t.status == TrialStatus.STOPPED]
    assert stopped, "the median rule stopped nothing"
    for trial in stopped:
        steps = [obs.step for obs in trial.metrics.get_history("loss")]
        assert 1 <= steps[-1] < 9  # cut short, after the warm-up
        assert "MedianPruner" in trial.message and "median" in trial.message
    # The same configurations ran (seeded): pruning loses no winner on a curve that ranks the same at every step.
    assert pruned.get_best_hyperparameters()[0].values == unpruned.get_best_hyperparameters()[0].values
    assert all(t.status == TrialStatus.COMPLETED for t in pruned.oracle.get_best_trials(20))
    steps = sum(len(t.metrics.get_history("loss")) for t in trials)
    assert steps < 20 * 10


def test_a_pruner_can_be_named_and_a_wrong_one_is_refused():
    tuner = kt.tune(_curve, objective="loss", max_trials=8, seed=0, verbose=0, pruner="asha")
    assert isinstance(tuner.oracle.pruner, SuccessiveHalvingPruner)
    with pytest.raises(ValueError, match="pruner must be"):
        kt.tune(_curve, objective="loss", max_trials=2, pruner="medain")


def _trial(trial_id, losses, status=TrialStatus.RUNNING, objective="loss"):
    trial = Trial(kt.HyperParameters(), trial_id=trial_id, status=status)
    for step, loss in enumerate(losses):
        trial.metrics.update(objective, loss, step=step)
    return trial


def _judge(pruner, losses, others, objective=kt.Objective("loss", "min")):
    trial = _trial("me", losses)
    trials = {"me": trial, **{str(i): _trial(str(i), o, TrialStatus.COMPLETED) for i, o in enumerate(others)}}
    return pruner.prune(trial, len(losses) - 1, trials, objective)


def test_median_rule_waits_for_warmup_and_enough_trials():
    others = [[1.0, 0.5, 0.4]] * 4
    assert _judge(MedianPruner(warmup_steps=0, min_trials=3), [2.0, 2.0], others)
    assert _judge(MedianPruner(warmup_steps=2, min_trials=3), [2.0, 2.0], others) is None
    assert _judge(MedianPruner(min_trials=5), [2.0, 2.0], others) is None
    assert _judge(MedianPruner(min_trials=3), [2.0, 0.3], others) is None  # better than the median


def test_pruners_respect_a_maximised_objective():
    up = kt.Objective("acc", "max")
    others = [[0.5, 0.8]] * 4

    def judge(pruner, mine):
        trial = _trial("me", mine, objective="acc")
        trials = {"me": trial, **{str(i): _trial(str(i), o, TrialStatus.COMPLETED, "acc") for i, o in enumerate(others)}}
        return pruner.prune(trial, len(mine) - 1, trials, up)

    assert judge(MedianPruner(min_trials=3), [0.4, 0.5])
    assert judge(MedianPruner(min_trials=3), [0.4, 0.9]) is None
    assert judge(PercentilePruner(25.0, min_trials=3), [0.4, 0.9]) is None


def test_a_stricter_percentile_prunes_more():
    others = [[0.1 * i] for i in range(1, 11)]
    assert _judge(PercentilePruner(90.0, min_trials=3), [0.55], others) is None
    assert _judge(PercentilePruner(25.0, min_trials=3), [0.55], others)


def test_successive_halving_judges_each_rung_once():
    asha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    others = [[0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2], [0.3, 0.3, 0.3, 0.3]]
    assert asha.rung_step(0) == 1 and asha.rung_step(2) == 4
    assert _judge(asha, [0.9, 0.9], others)  # rung at step 1: worst of four, keep two
    assert _judge(asha, [0.9, 0.05], others) is None
    assert _judge(asha, [0.05, 0.05, 0.9], others)  # the rung of step 2 takes its value there
    assert _judge(asha, [0.05, 0.05, 0.05, 0.9], others) is None  # step 3 is no rung (1, 2, 4...)
    assert _judge(SuccessiveHalvingPruner(reduction_factor=5), [0.9, 0.9], others)  # few: only the best goes on
    assert _judge(SuccessiveHalvingPruner(reduction_factor=5), [0.9, 0.01], others) is None


# Where trials run --------------------------------------------------------------

def _slow_curve(hp, trial):
    x = hp.Float("x", 0.0, 1.0)
    for step in range(40):
        trial.report(step, loss=x + 1.0 / (step + 1))
        time.sleep(0.01)
    return {"loss": x}


def test_a_pruner_stops_trials_running_in_workers(tmp_path, parallel):
    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)
    tuner = kt.FunctionTuner(_slow_curve, objective="loss", max_trials=10, seed=1, hyperparameters=space,
                             pruner=MedianPruner(warmup_steps=2, min_trials=2),
                             directory=tmp_path, project_name="p")
    tuner.search(verbose=0, **parallel())

    trials = list(tuner.oracle.trials.values())
    stopped = [t for t in trials if t.status == TrialStatus.STOPPED]
    assert stopped
    lengths = []
    for trial in stopped:
        steps = [obs.step for obs in trial.metrics.get_history("loss")]
        assert steps == list(range(len(steps)))  # live and in order
        lengths.append(len(steps))
    assert min(lengths) < 40  # cut short while running
    resumed = kt.load(tmp_path / "p")
    assert [t.status for t in resumed.trials.values()] == [t.status for t in trials]
    assert all(t.message and "MedianPruner" in t.message for t in resumed.trials.values()
               if t.status == TrialStatus.STOPPED)


# Stop conditions -------------------------------------------------------------------

def _sleepy(hp):
    time.sleep(0.05)
    return hp.Float("x", 0.0, 1.0)


def test_timeout_ends_the_search_and_a_resume_goes_on(tmp_path):
    tuner = kt.tune(_sleepy, max_trials=1000, timeout=0.4, verbose=0, directory=tmp_path, project_name="p")
    ran = len(tuner.oracle.trials)
    assert 1 <= ran < 100
    assert all(t.status == TrialStatus.COMPLETED for t in tuner.oracle.trials.values())
    resumed = kt.tune(_sleepy, max_trials=ran + 2, verbose=0, directory=tmp_path, project_name="p")
    assert len(resumed.oracle.trials) == ran + 2


def test_timeout_with_cancel_running_abandons_running_trials_for_the_resume(tmp_path):
    def slow(hp):
        time.sleep(3.0 if hp.Float("x", 0.0, 1.0) >= 0 else 0)
        return 1.0

    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)  # known up front, so that two trials start at once
    started = time.monotonic()
    tuner = kt.FunctionTuner(slow, max_trials=4, hyperparameters=space, directory=tmp_path, project_name="p")
    tuner.search(executor="process", max_parallel_trials=2, timeout=0.5, cancel_running=True, verbose=0)
    assert time.monotonic() - started < 3.0
    assert len(tuner.oracle.trials) == 2
    assert all(t.status == TrialStatus.RUNNING for t in kt.load(tmp_path / "p").trials.values())
    resumed = kt.FunctionTuner(lambda hp: hp.Float("x", 0.0, 1.0), max_trials=2, directory=tmp_path,
                               project_name="p")
    resumed.search(verbose=0)
    assert [t.status for t in resumed.oracle.trials.values()] == [TrialStatus.COMPLETED] * 2


def test_a_callback_stops_the_search_with_tuner_stop():
    class StopAfterThree(Callback):
        def __init__(self):
            self.events = []

        def on_search_begin(self, tuner):
            self.events.append("begin")

        def on_trial_end(self, tuner, trial):
            self.events.append(trial.trial_id)
            if len(tuner.oracle.trials) == 3:
                tuner.stop("three is enough")

        def on_search_end(self, tuner):
            self.events.append("end")

    callback = StopAfterThree()
    tuner = kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=50, callbacks=[callback], verbose=0)
    assert len(tuner.oracle.trials) == 3
    assert callback.events == ["begin", "00", "01", "02", "end"]
    # The callback belongs to that search only.
    kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, verbose=0)
    assert callback.events[-1] == "end" and len(callback.events) == 5


def test_tuner_stop_from_another_thread():
    tuner = kt.FunctionTuner(_sleepy, max_trials=10_000)
    threading.Timer(0.3, tuner.stop).start()
    tuner.search(verbose=0)
    assert 1 <= len(tuner.oracle.trials) < 10_000


def test_no_improvement_and_objective_reached():
    values = iter([5.0, 4.0, 4.5, 4.2, 4.1, 4.3, 3.0, 1.0])
    tuner = kt.tune(lambda hp: (hp.Int("i", 0, 10_000), next(values))[1], max_trials=8, verbose=0,
                    callbacks=[NoImprovement(patience=3)])
    assert [t.score for t in tuner.oracle.trials.values()] == [5.0, 4.0, 4.5, 4.2, 4.1]

    values = iter([0.5, 0.7, 0.95, 0.6])
    tuner = kt.tune(lambda hp: {"acc": (hp.Int("i", 0, 10_000), next(values))[1]}, objective="acc",
                    max_trials=4, verbose=0, callbacks=[ObjectiveReached(0.9)])
    assert len(tuner.oracle.trials) == 3


def test_callbacks_see_reports_from_workers(parallel):
    class Reports(Callback):
        def __init__(self):
            self.seen = []

        def on_trial_report(self, tuner, trial, step, metrics):
            self.seen.append((trial.trial_id, step, sorted(metrics)))

    callback = Reports()
    kt.tune(_curve, objective="loss", max_trials=2, seed=0, verbose=0, callbacks=[callback], **parallel())
    assert sorted(callback.seen) == [(tid, s, ["loss"]) for tid in ("00", "01") for s in range(10)]


def test_search_options_and_fit_arguments_are_kept_apart():
    def fn(hp, data, scale=1.0):
        return hp.Float("x", 0, 1) * scale * data

    with pytest.raises(InvalidArgumentError, match="'trial_timout'.*Did you mean the search option 'trial_timeout'"):
        kt.FunctionTuner(fn, max_trials=1).search(1.0, trial_timout=5)
    with pytest.raises(InvalidArgumentError, match="'timout'.*Did you mean 'timeout'"):
        kt.tune(fn, 1.0, max_trials=1, timout=5)
    with pytest.raises(InvalidArgumentError, match="timeout must be a positive number"):
        kt.tune(fn, 1.0, max_trials=1, timeout=-1)
    tuner = kt.tune(fn, 2.0, max_trials=2, verbose=0, timeout=30)  # timeout never reaches fn
    assert all(t.status == TrialStatus.COMPLETED for t in tuner.oracle.trials.values())


# Trial timeouts ---------------------------------------------------------------------

def _hangs_once(hp, marker_dir):
    """The first attempt of trial 00 hangs; everything else is quick."""
    import os
    x = hp.Float("x", 0.0, 1.0)
    marker = os.path.join(marker_dir, "hung")
    if not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(60)
    return x


@pytest.mark.slow
def test_trial_timeout_kills_a_hung_trial_in_the_process_pool_and_retries_it(tmp_path):
    started = time.monotonic()
    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)
    tuner = kt.FunctionTuner(_hangs_once, max_trials=3, max_retries_per_trial=1, hyperparameters=space,
                             directory=tmp_path, project_name="p")
    tuner.search(str(tmp_path), executor="process", max_parallel_trials=1, trial_timeout=1.0, verbose=0)
    assert time.monotonic() - started < 30
    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 3  # the hung one ran again, on a new worker
    assert trials[0].attempts == 2


@pytest.mark.slow
def test_trial_timeout_fails_a_hung_trial_with_a_message(tmp_path):
    def hang(hp):
        hp.Float("x", 0.0, 1.0)
        time.sleep(60)

    tuner = kt.FunctionTuner(hang, max_trials=1)
    tuner.search(executor="process", max_parallel_trials=1, trial_timeout=0.5, verbose=0)
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == TrialStatus.FAILED
    assert "trial_timeout=0.5s" in trial.message


def _slow_reporting_curve(hp, trial):
    x = hp.Float("x", 0.0, 1.0)
    for step in range(300):
        time.sleep(0.01)
        trial.report(step, loss=x)
    return x


@pytest.mark.parametrize("executor", [
    None, pytest.param(lambda: DaskExecutor(max_workers=1, processes=False), marks=_no_dask, id="dask-thread"),
])
def test_trial_timeout_where_nothing_can_be_interrupted_stops_the_trial_at_its_next_report(executor):
    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)
    tuner = kt.FunctionTuner(_slow_reporting_curve, objective="loss", max_trials=2, hyperparameters=space,
                             max_consecutive_failed_trials=None)
    tuner.search(executor=executor() if executor else None, trial_timeout=0.2, verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == [TrialStatus.FAILED] * 2
    assert all("trial_timeout=0.2s" in t.message for t in trials)
    assert all(len(t.metrics.get_history("loss")) < 300 for t in trials)


@_no_dask
@pytest.mark.slow
def test_trial_timeout_restarts_a_dask_worker_process_and_the_search_goes_on(tmp_path):
    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)
    tuner = kt.FunctionTuner(_hangs_once, max_trials=3, max_retries_per_trial=1, hyperparameters=space)
    tuner.search(str(tmp_path), executor=DaskExecutor(max_workers=1), trial_timeout=2.0, verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == [TrialStatus.COMPLETED] * 3
    assert trials[0].attempts == 2


_PRUNED_DRIVER = """
import sys, time
import tunecore as kt
from tunecore.executors.dask import DaskExecutor

def curve(hp, trial, log):
    x = hp.Float("x", 0.0, 1.0)
    with open(log, "a") as f:
        f.write(repr(x) + "\\n")
    for step in range(30):
        time.sleep(0.02)
        trial.report(step, loss=x + 1.0 / (step + 1))
    return {"loss": x}

if __name__ == "__main__":
    directory, log, executor = sys.argv[1], sys.argv[2], sys.argv[3]
    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)
    tuner = kt.FunctionTuner(curve, objective="loss", max_trials=int(sys.argv[4]), seed=0, hyperparameters=space,
                             pruner=kt.pruners.MedianPruner(warmup_steps=1, min_trials=2),
                             directory=directory, project_name="p")
    pool = DaskExecutor(max_workers=2, processes=False) if executor == "dask" else "process"
    tuner.search(log, executor=pool, max_parallel_trials=2, verbose=0)
"""


def _ended(project):
    return {t.trial_id: (t.status, t.score, t.message) for t in project.trials.values()
            if t.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED)}


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["process", pytest.param("dask", marks=_no_dask)])
def test_a_driver_killed_while_trials_are_pruned_on_workers_loses_nothing(tmp_path, executor):
    import signal
    import subprocess
    import sys

    script = tmp_path / "driver.py"
    script.write_text(_PRUNED_DRIVER)
    log = tmp_path / "calls.log"
    args = [sys.executable, str(script), str(tmp_path), str(log), executor]
    driver = subprocess.Popen(args + ["200"], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        ended = {}
        while time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                ended = _ended(kt.load(tmp_path / "p"))
            except Exception:  # the journal does not exist yet
                continue
            statuses = {status for status, _, _ in ended.values()}
            if {TrialStatus.STOPPED, TrialStatus.COMPLETED} <= statuses:
                break
        assert {TrialStatus.STOPPED, TrialStatus.COMPLETED} <= {s for s, _, _ in ended.values()}
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
    before = _ended(kt.load(tmp_path / "p"))
    ran_before = len(kt.load(tmp_path / "p").trials)

    subprocess.run(args + [str(ran_before + 2)], cwd=tmp_path, check=True, timeout=300)

    after = kt.load(tmp_path / "p")
    assert {tid: _ended(after)[tid] for tid in before} == before  # every ended trial kept as it was
    assert len(after.trials) == ran_before + 2
    assert all(t.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED) for t in after.trials.values())
    calls = log.read_text().split()
    for tid in before:
        assert calls.count(repr(after.trials[tid].hyperparameters["x"])) == 1, f"ended trial {tid} ran again"


@pytest.mark.parametrize("oracle", ["random", "grid", "bayesian"])
def test_pruners_compose_with_every_oracle(oracle):
    if oracle == "bayesian":
        pytest.importorskip("tunecore_bayes")

    def curve(hp, trial):
        x = hp.Int("x", 0, 11)
        for step in range(8):
            trial.report(step, loss=x + 1.0 / (step + 1))
        return {"loss": x}

    tuner = kt.tune(curve, objective="loss", max_trials=12, seed=0, verbose=0, oracle=oracle,
                    pruner=MedianPruner(warmup_steps=1, min_trials=2))
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 12
    assert any(t.status == TrialStatus.STOPPED for t in trials)
    assert tuner.oracle.get_best_trials(1)[0].status == TrialStatus.COMPLETED


def test_pruning_a_pareto_search_is_refused():
    with pytest.raises(ValueError, match="one objective"):
        kt.oracles.RandomSearch(objective=kt.Pareto(["loss", "latency"]), pruner="median")


def _sleep_briefly(hp):
    time.sleep(0.2)
    return hp.Float("x", 0.0, 1.0)


def test_trials_asked_ahead_and_never_started_run_when_the_search_resumes(tmp_path):
    class StopAfterTwo(Callback):
        def on_trial_end(self, tuner, trial):
            if sum(t.status == TrialStatus.COMPLETED for t in tuner.oracle.trials.values()) >= 2:
                tuner.stop()

    space = kt.HyperParameters()
    space.Float("x", 0.0, 1.0)
    tuner = kt.FunctionTuner(_sleep_briefly, max_trials=12, hyperparameters=space, seed=0,
                             directory=tmp_path, project_name="p")
    tuner.search(executor="process", max_parallel_trials=2, ask_ahead=3, callbacks=[StopAfterTwo()], verbose=0)
    statuses = [t.status for t in kt.load(tmp_path / "p").trials.values()]
    assert statuses.count(TrialStatus.COMPLETED) >= 2
    assert TrialStatus.RUNNING in statuses  # asked for ahead: kept to run on resume

    resumed = kt.FunctionTuner(_sleep_briefly, max_trials=12, hyperparameters=space, seed=0,
                               directory=tmp_path, project_name="p")
    resumed.search(executor="process", max_parallel_trials=2, ask_ahead=3, verbose=0)
    trials = list(resumed.oracle.trials.values())
    assert len(trials) == 12 and all(t.status == TrialStatus.COMPLETED for t in trials)
    assert len({t.hyperparameters["x"] for t in trials}) == 12
