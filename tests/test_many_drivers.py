"""Many drivers, one search: drivers that share one storage cooperate, and nothing is lost when one dies.

Each driver here is a tuner (or an oracle driven with ask / tell) on its own
``InMemoryStorage`` over one ``SharedLog``, the test double of a database
(SQLite too where a test says so); threads stand for the processes of a SLURM array job.
"""

import collections
import threading
import time

import pytest

import tunecore as kt
from tunecore.errors import ContentionError, TrialStateError
from tunecore.storage import InMemoryStorage, SharedLog
from tunecore.trial import TrialStatus


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", -1.0, 1.0)
    hp.Choice("kind", ["a", "b", "c"])
    return hp


def _conditional_space():
    hp = _space()
    with hp.conditional_scope("kind", ["b", "c"]):
        hp.Float("y", -1.0, 1.0)
    return hp


def _loss(values):
    if "x" not in values:  # a grid's
        return float(sum(len(str(value)) for value in values.values()))
    return (values["x"] - 0.25) ** 2 + {"a": 0.0, "b": 0.5, "c": 1.0}[values["kind"]]


class Driver(kt.BaseTuner):
    """A tuner whose trials compute ``_loss``; ``runs`` counts each trial's runs across drivers."""

    def __init__(self, oracle, storage, runs=None, delay=0.0, **kwargs):
        self.runs = runs if runs is not None else collections.Counter()
        self.delay = delay
        super().__init__(oracle, storage=storage, **kwargs)

    def run_trial(self, trial, *args, **kwargs):
        self.runs[trial.trial_id] += 1
        time.sleep(self.delay)  # lets the other drivers in
        return _loss(trial.hyperparameters.values)


def _storage(log, **kwargs):
    return InMemoryStorage(log=log, **kwargs)


def _random(**kwargs):
    kwargs.setdefault("max_trials", 12)
    return kt.oracles.RandomSearch(objective="loss", hyperparameters=_space(), seed=3, **kwargs)


def _in_threads(drivers, **search_kwargs):
    errors = []

    def search(driver):
        try:
            driver.search(verbose=0, **search_kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=search, args=(driver,)) for driver in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


def _reader(log, make_oracle=_random):
    oracle = make_oracle()
    oracle.open(_storage(log))
    return oracle


def test_max_trials_counts_for_the_whole_search_and_no_trial_runs_twice():
    log, runs = SharedLog(), collections.Counter()
    drivers = [
        Driver(_random(max_trials=16), _storage(log), runs, delay=0.002, tuner_id=f"driver{i}") for i in range(4)
    ]
    _in_threads(drivers)

    search = _reader(log)
    assert len(search.trials) == 16 and set(runs) == set(search.trials)
    assert set(runs.values()) == {1}
    assert all(t.status == TrialStatus.COMPLETED for t in search.trials.values())
    values = [tuple(sorted(t.hyperparameters.values.items())) for t in search.trials.values()]
    assert len(set(values)) == 16
    assert len({t.tuner_id for t in search.trials.values()}) > 1  # the drivers shared the work
    assert search.ask("late").status == TrialStatus.STOPPED


def _run(oracle, trial):
    for step in range(3):
        oracle.report(trial.trial_id, step, loss=_loss(trial.hyperparameters.values) + 1.0 / (step + 1))
    oracle.tell(trial.trial_id)


def _lockstep(make_oracle, n_drivers, rounds, seed_log=None, storage=None):
    """Drivers that each ask one trial, then tell theirs, round after round; the values tried, in order.

    ``storage``: makes each driver's storage of one search (default: an ``InMemoryStorage`` over one log).
    """
    log = seed_log or SharedLog()
    storage = storage or (lambda: _storage(log))
    oracles = []
    for _ in range(n_drivers):
        oracle = make_oracle()
        oracle.open(storage())
        oracles.append(oracle)
    for _ in range(rounds):
        asked = [(oracle, oracle.ask("t")) for oracle in oracles]
        started = [(oracle, trial) for oracle, trial in asked if trial.status == TrialStatus.RUNNING]
        if not started:
            break
        for oracle, trial in started:
            _run(oracle, trial)
    final = make_oracle()
    final.open(storage())
    return [(t.trial_id, t.hyperparameters.values, t.status) for t in final.trials.values()]


def _grid():
    hp = kt.HyperParameters()
    hp.Choice("a", [1, 2, 3])
    hp.Choice("b", ["x", "y"])
    hp.Boolean("c")
    return kt.oracles.GridSearch(objective="loss", hyperparameters=hp, seed=0)


def _hyperband():
    bayes = pytest.importorskip("tunecore_bayes")
    return bayes.Hyperband(objective="loss", hyperparameters=_space(), max_epochs=9, factor=3, seed=1)


@pytest.mark.parametrize("make_oracle", [_random, _grid, _hyperband], ids=["random", "grid", "hyperband"])
def test_drivers_continue_each_other_as_parallel_workers_of_one_driver_would(make_oracle):
    # Three drivers in lockstep try what one oracle with three trials in flight tries.
    alone = _lockstep(make_oracle, 1, 100)
    log = SharedLog()
    oracle = make_oracle()
    oracle.open(_storage(log))
    for _ in range(100):  # one driver, three trials at a time
        trials = [t for t in (oracle.ask("t") for _ in range(3)) if t.status == TrialStatus.RUNNING]
        if not trials:
            break
        for trial in trials:
            _run(oracle, trial)
    parallel = [(t.trial_id, t.hyperparameters.values, t.status) for t in oracle.trials.values()]
    shared = _lockstep(make_oracle, 3, 100)
    assert shared == parallel
    assert sorted(map(str, (v for _, v, _ in shared))) == sorted(map(str, (v for _, v, _ in alone)))


def test_grid_split_over_drivers_runs_every_configuration_once():
    log, runs = SharedLog(), collections.Counter()
    drivers = [Driver(_grid(), _storage(log), runs, delay=0.002) for _ in range(3)]
    _in_threads(drivers)
    search = _reader(log, _grid)
    values = [tuple(sorted(t.hyperparameters.values.items())) for t in search.trials.values()]
    assert len(values) == 12 == len(set(values))
    assert set(runs.values()) == {1}


def test_hyperband_brackets_continue_in_another_driver():
    bayes = pytest.importorskip("tunecore_bayes")

    def hyperband():
        return bayes.Hyperband(objective="loss", hyperparameters=_space(), max_epochs=9, factor=3, seed=1)

    alone = _lockstep(hyperband, 1, 400)
    shared = _lockstep(hyperband, 1, 7)  # one driver runs 7 trials...
    assert shared == alone[:7]
    log = SharedLog()
    _lockstep(hyperband, 1, 7, seed_log=log)
    continued = _lockstep(hyperband, 1, 400, seed_log=log)  # ...another continues its brackets
    assert continued == alone


def _search_storage(kind, tmp_path, name):
    """Makes the storage of the search ``name``, each call a new connection to it: a shared log or SQLite."""
    if kind == "memory":
        log = SharedLog()
        return lambda: _storage(log)
    pytest.importorskip("sqlalchemy")
    from tunecore.storage import SQLStorage

    return lambda: SQLStorage(f"sqlite:///{tmp_path}/runs.db", name)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize(
    "options", [{}, {"pending": "believer"}, {"taboo": "ball", "exploration": "wide"}],
    ids=["default", "believer", "ball_wide"],
)
@pytest.mark.parametrize("space", [_space, _conditional_space], ids=["plain", "conditional"])
def test_bayesian_optimization_sees_other_drivers_running_trials_as_pending(options, kind, space, tmp_path):
    pytest.importorskip("tunecore_bayes")

    # Whether a suggestion continues a batch is read from the trials all drivers share: two drivers
    # suggest exactly what one driver's batches of two do, the default pending="auto" included.
    def bayesian():
        return kt.oracles.create(
            "bayesian", objective="loss", hyperparameters=space(), max_trials=8, num_initial_points=2, seed=2,
            **options,
        )

    oracle = bayesian()
    oracle.open(_search_storage(kind, tmp_path, "alone")())
    for _ in range(10):  # one driver, two trials at a time
        for trial in [t for t in (oracle.ask("t") for _ in range(2)) if t.status == TrialStatus.RUNNING]:
            _run(oracle, trial)
    parallel = [t.hyperparameters.values for t in oracle.trials.values()]
    two_drivers = _lockstep(bayesian, 2, 10, storage=_search_storage(kind, tmp_path, "shared"))  # one trial each
    shared = [values for _, values, _ in two_drivers]
    assert shared == parallel and len(shared) == 8
    assert shared[1::2] != shared[0::2]


@pytest.mark.parametrize("pareto", [False, True], ids=["constrained", "pareto"])
def test_pareto_and_constrained_bayesian_drivers_suggest_as_one_driver_does(pareto):
    pytest.importorskip("tunecore_bayes")

    # Their GPs warm-start from the last fit's parameters, which every driver must see.
    def run(oracle, trial):
        x = trial.hyperparameters.values["x"]
        oracle.tell(trial.trial_id, {"loss": _loss(trial.hyperparameters.values), "g": 0.3 - x, "size": abs(x)})

    objectives = {"objective": kt.Pareto([kt.Objective("loss", "min"), kt.Objective("size", "min")])} if pareto \
        else {"objective": "loss", "constraints": [kt.Constraint("g", max=0.0)]}

    def bayesian():
        return kt.oracles.create("bayesian", hyperparameters=_space(), max_trials=12, num_initial_points=2,
                                 seed=2, **objectives)

    oracle = bayesian()
    oracle.open(_storage(SharedLog()))
    while trials := [t for t in (oracle.ask("t") for _ in range(2)) if t.status == TrialStatus.RUNNING]:
        for trial in trials:  # one driver, two trials at a time
            run(oracle, trial)
    drivers = [bayesian() for _ in range(2)]
    log = SharedLog()
    for driver in drivers:
        driver.open(_storage(log))
    while started := [(d, t) for d, t in ((d, d.ask("t")) for d in drivers) if t.status == TrialStatus.RUNNING]:
        for driver, trial in started:  # two drivers, one trial each
            run(driver, trial)
    assert [t.hyperparameters.values for t in drivers[0].trials.values()] == \
        [t.hyperparameters.values for t in oracle.trials.values()]


def test_bayesian_drivers_learn_from_failed_trials_as_one_driver_does():
    pytest.importorskip("tunecore_bayes")

    # A FAILED trial is an observation (tunecore_bayes.failures) read from the shared trials: two
    # drivers in lockstep suggest what one driver's batches of two do, a failure ending a batch included.
    def bayesian():
        return kt.oracles.create("bayesian", objective="loss", hyperparameters=_space(), max_trials=12,
                                 num_initial_points=2, seed=2, max_consecutive_failed_trials=None)

    def run(oracle, trial):
        if trial.hyperparameters.values["x"] > 0.3:
            oracle.tell(trial.trial_id, None, status=TrialStatus.FAILED, message="diverged")
        else:
            _run(oracle, trial)

    oracle = bayesian()
    oracle.open(_storage(SharedLog()))
    for _ in range(10):
        for trial in [t for t in (oracle.ask("t") for _ in range(2)) if t.status == TrialStatus.RUNNING]:
            run(oracle, trial)
    parallel = [(t.hyperparameters.values, t.status) for t in oracle.trials.values()]
    log = SharedLog()
    oracles = []
    for _ in range(2):
        oracles.append(bayesian())
        oracles[-1].open(_storage(log))
    for _ in range(10):
        started = [(o, t) for o, t in ((o, o.ask("t")) for o in oracles) if t.status == TrialStatus.RUNNING]
        for o, trial in started:
            run(o, trial)
    shared = [(t.hyperparameters.values, t.status) for t in _reader(log, bayesian).trials.values()]
    assert shared == parallel and len(shared) == 12
    assert any(status == TrialStatus.FAILED for _, status in shared)


def test_another_drivers_rescore_follow_up_optimises_on_the_recorded_fit():
    pytest.importorskip("tunecore_bayes")

    # The points that follow_up="rescore" re-scores stay in the process that made the batch's last
    # suggestion: another driver's follow-up optimises the acquisition on the recorded fit, as
    # follow_up="optimize" does, rather than fitting the GP again.
    def bayesian(follow_up):
        return lambda: kt.oracles.create(
            "bayesian", objective="loss", hyperparameters=_space(), max_trials=8, num_initial_points=2, seed=2,
            follow_up=follow_up,
        )

    optimized = [values for _, values, _ in _lockstep(bayesian("optimize"), 2, 10)]
    rescored = [values for _, values, _ in _lockstep(bayesian("rescore"), 2, 10)]
    assert rescored == optimized and len(rescored) == 8


def test_every_driver_and_a_resumed_search_see_the_same_order_of_ends():
    log = SharedLog()
    first, second = _random(), _random()
    first.open(_storage(log))
    second.open(_storage(log))
    a = first.ask("first")
    b = second.ask("second")
    second.tell(b.trial_id, 1.0)
    c = first.ask("first")  # after the other driver's trial ended
    first.tell(a.trial_id, 2.0)
    second.ask("second")  # catches up
    for oracle in (first, second, _reader(log)):
        assert [t.trial_id for t in oracle.ended_since(a.trial_id)] == [b.trial_id, a.trial_id]
        assert [t.trial_id for t in oracle.ended_since(c.trial_id)] == [a.trial_id]


def test_ended_since_refuses_a_trial_that_does_not_exist():
    oracle = _reader(SharedLog())
    oracle.tell(oracle.ask("t").trial_id, 1.0)
    for unknown in ("nope", 0):  # a typo, an index where the id is a string
        with pytest.raises(TrialStateError, match=f"There is no trial {unknown!r}; known: \\['00'\\]"):
            oracle.ended_since(unknown)


def test_a_pruner_compares_trials_across_drivers():
    log = SharedLog()
    slow = _random(pruner="median")
    slow.open(_storage(log))
    late = slow.ask("slow")  # starts before the other driver's trials end
    fast = _random()
    fast.open(_storage(log))
    for _ in range(5):
        trial = fast.ask("fast")
        for step in range(4):
            fast.report(trial.trial_id, step, loss=0.1)
        fast.tell(trial.trial_id)
    assert slow.report(late.trial_id, 0, loss=5.0) == TrialStatus.STOPPED
    ended = slow.tell(late.trial_id)
    assert ended.status == TrialStatus.STOPPED and "median" in ended.message.lower()


def test_a_trial_of_a_dead_driver_runs_again_and_the_search_completes():
    log, runs = SharedLog(), collections.Counter()
    dead = _random(max_trials=4)
    dead.open(_storage(log, heartbeat_interval=0.02, grace_period=0.3))
    orphan = dead.ask("dead")
    dead.close()  # its heart stops: as if the process were killed
    survivor = Driver(_random(max_trials=4, max_retries_per_trial=1),
                      _storage(log, heartbeat_interval=0.02, grace_period=0.3), runs, tuner_id="survivor")
    survivor.search(verbose=0)

    trials = survivor.oracle.trials
    assert len(trials) == 4 and all(t.status == TrialStatus.COMPLETED for t in trials.values())
    again = trials[orphan.trial_id]
    assert again.attempts == 2 and again.tuner_id == "survivor" and runs[orphan.trial_id] == 1

    # The dead driver comes back and tells its trial: that run is dropped, nothing changes.
    dead.tell(orphan.trial_id, 123.0)
    search = _reader(log)
    assert search.trials[orphan.trial_id].status == TrialStatus.COMPLETED
    assert search.trials[orphan.trial_id].score == pytest.approx(_loss(orphan.hyperparameters.values))
    ends = [e for e in log.events if e["event"] == "end" and e["trial_id"] == orphan.trial_id]
    assert [e["status"] for e in ends] == ["FAILED", "COMPLETED"]
    assert "gave no sign of life" in ends[0]["message"] and ends[0]["retry"] is True


def test_without_retries_a_dead_drivers_trial_ends_failed_and_is_not_run_again():
    log, runs = SharedLog(), collections.Counter()
    dead = _random(max_trials=3)
    dead.open(_storage(log, heartbeat_interval=0.02, grace_period=0.2))
    orphan = dead.ask("dead")
    dead.close()
    survivor = Driver(_random(max_trials=3), _storage(log, heartbeat_interval=0.02, grace_period=0.2), runs)
    survivor.search(verbose=0)
    trials = survivor.oracle.trials
    assert trials[orphan.trial_id].status == TrialStatus.FAILED and orphan.trial_id not in runs
    assert sorted(t.status for t in trials.values()) == ["COMPLETED", "COMPLETED", "FAILED"]


def test_a_living_driver_keeps_its_trial_with_heartbeats():
    log = SharedLog()
    runner = _random(max_trials=2)
    runner.open(_storage(log, heartbeat_interval=0.02, grace_period=0.15))
    trial = runner.ask("runner")
    other = _random(max_trials=2, max_retries_per_trial=3)
    other.open(_storage(log, heartbeat_interval=0.02, grace_period=0.15))
    for _ in range(20):  # far longer than the grace period: the heartbeat keeps it alive
        assert other.ask("other").status in (TrialStatus.RUNNING, TrialStatus.IDLE)
        time.sleep(0.02)
    assert runner.tell(trial.trial_id, 0.5).status == TrialStatus.COMPLETED
    assert other.trials[trial.trial_id].status == TrialStatus.RUNNING  # until it reads the end
    assert other.ask("other").status == TrialStatus.IDLE  # its own second trial still runs
    assert other.trials[trial.trial_id].status == TrialStatus.COMPLETED
    assert [e["event"] for e in log.events].count("end") == 1


def test_a_driver_that_finds_nothing_to_start_waits_for_the_others():
    log, runs = SharedLog(), collections.Counter()
    first = Driver(_random(max_trials=3), _storage(log), runs, delay=0.2, tuner_id="first")
    second = Driver(_random(max_trials=3), _storage(log), runs, delay=0.0, tuner_id="second")
    _in_threads([first, second])
    assert sum(runs.values()) == 3 and set(runs.values()) == {1}


def test_timeout_bounds_the_wait_for_other_drivers():
    log = SharedLog()
    holder = _random(max_trials=1)
    holder.open(_storage(log, heartbeat_interval=0.05, grace_period=60))
    holder.ask("holder")  # runs for ever, beating
    waiter = Driver(_random(max_trials=1), _storage(log, heartbeat_interval=0.05, grace_period=60))
    waiter.search(verbose=0, timeout=0.3)  # returns: nothing to start, and it does not wait past timeout
    assert list(waiter.oracle.ongoing_trials) == ["00"]
    holder.close()


def test_stop_everywhere_stops_every_driver_of_the_search():
    log, runs = SharedLog(), collections.Counter()

    class StopAfterTwo(kt.callbacks.Callback):
        def on_trial_end(self, tuner, trial):
            if sum(runs.values()) >= 2:
                tuner.stop("enough", everywhere=True)

    stopper = Driver(_random(max_trials=10_000), _storage(log), runs, delay=0.005, tuner_id="stopper")
    others = [Driver(_random(max_trials=10_000), _storage(log), runs, delay=0.005) for _ in range(2)]
    errors = []

    def search(driver, **kwargs):
        try:
            driver.search(verbose=0, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=search, args=(d,)) for d in others]
    threads.append(threading.Thread(target=search, args=(stopper,), kwargs={"callbacks": [StopAfterTwo()]}))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert [e["reason"] for e in log.events if e["event"] == "stop"] == ["enough"]
    search = _reader(log)
    assert len(search.trials) < 50 and all(t.status == TrialStatus.COMPLETED for t in search.trials.values())


def test_a_driver_that_always_loses_the_race_gives_up_with_contention_error(monkeypatch):
    import tunecore.ledger.shared as shared

    class Busy(InMemoryStorage):
        def append_if_current(self, event, sync=False):  # another driver always appended first
            return event["event"] != "trial" and super().append_if_current(event, sync)

    monkeypatch.setattr(shared, "MAX_TRIES", 3)
    oracle = _random()
    oracle.open(Busy(log=SharedLog()))
    with pytest.raises(ContentionError, match="other drivers appended first 3 times"):
        oracle.ask("loser")


def test_one_driver_on_a_shared_storage_runs_as_on_its_own():
    alone = Driver(_random(max_trials=6), InMemoryStorage())
    alone.search(verbose=0)
    shared = Driver(_random(max_trials=6), _storage(SharedLog()))
    shared.search(verbose=0)
    assert [t.hyperparameters.values for t in shared.oracle.trials.values()] == [
        t.hyperparameters.values for t in alone.oracle.trials.values()
    ]


def test_reports_of_a_driver_taken_for_dead_are_ignored_by_every_driver_and_on_resume():
    log = SharedLog()
    paused = _random(max_trials=2)
    paused.open(_storage(log, heartbeat_interval=5.0, grace_period=0.2))  # its reports catch up seldom
    trial = paused.ask("paused")
    paused.close()  # its heart stops, as in a long pause (a frozen node), but it lives on
    time.sleep(0.3)
    other = _random(max_trials=2, max_retries_per_trial=1)
    other.open(_storage(log, heartbeat_interval=0.02, grace_period=0.2))
    again = other.ask("other")  # ends the silent trial, and runs it again
    assert again.trial_id == trial.trial_id and again.attempts == 2
    other.report(again.trial_id, 0, loss=0.5)
    assert paused.report(trial.trial_id, 1, loss=99.0) == TrialStatus.RUNNING  # it has not caught up yet
    paused.tell(trial.trial_id, 97.0)  # now it learns: the result of its run is dropped
    assert paused.report(trial.trial_id, 2, loss=98.0) == TrialStatus.STOPPED
    assert other.ask("other").status == TrialStatus.RUNNING  # catches up with the late report: ignored
    assert other.tell(again.trial_id).score == 0.5
    assert other.trials[trial.trial_id].metrics.get_history("loss") == [(0, 0.5)]

    resumed = _reader(log)  # replay keeps the second run only, and refuses nothing
    ended = resumed.trials[trial.trial_id]
    assert (ended.status, ended.score, ended.attempts) == (TrialStatus.COMPLETED, 0.5, 2)
    assert ended.metrics.get_history("loss") == [(0, 0.5)]
    assert [e["status"] for e in log.events if e["event"] == "end" and e["trial_id"] == trial.trial_id] == [
        "FAILED", "COMPLETED"
    ]


def test_a_configuration_enqueued_by_one_driver_runs_once_in_another():
    log = SharedLog()
    first, second = _random(), _random()
    first.open(_storage(log))
    second.open(_storage(log))
    assert first.enqueue({"x": 0.25, "kind": "a"})
    trial = second.ask("second")
    assert trial.hyperparameters.values == {"x": 0.25, "kind": "a"}
    second.tell(trial.trial_id, 0.0)
    assert first.ask("first").hyperparameters.values != {"x": 0.25, "kind": "a"}
    assert not first.enqueue({"x": 0.25, "kind": "a"})  # tried already, by the other driver


def test_a_driver_taken_for_dead_learns_it_at_a_report_and_stops_its_trial():
    log = SharedLog()
    paused = _random(max_trials=2)
    paused.open(_storage(log, heartbeat_interval=0.02, grace_period=0.2))
    trial = paused.ask("paused")
    paused.close()
    time.sleep(0.3)
    other = _random(max_trials=2, max_retries_per_trial=1)
    other.open(_storage(log, heartbeat_interval=0.02, grace_period=0.2))
    assert other.ask("other").trial_id == trial.trial_id
    assert paused.report(trial.trial_id, 0, loss=1.0) == TrialStatus.STOPPED
    assert not [e for e in log.events if e["event"] == "metrics"]


def test_an_oracle_waiting_with_no_trial_running_anywhere_ends_the_search(caplog):
    class Waiting(kt.oracles.RandomSearch):
        def populate_space(self, trial_id):
            return {"status": TrialStatus.IDLE}

    driver = Driver(Waiting(objective="loss", hyperparameters=_space(), max_trials=3), _storage(SharedLog()))
    _in_threads([driver])  # returns: there is nothing to wait for
    assert not driver.oracle.trials and "no trial running" in caplog.text


def test_hyperband_over_four_racing_drivers_runs_the_schedule_of_one():
    log, runs = SharedLog(), collections.Counter()
    drivers = [Driver(_hyperband(), _storage(log), runs, delay=0.003) for _ in range(4)]
    _in_threads(drivers)
    search = _reader(log, _hyperband)
    alone = _lockstep(_hyperband, 1, 400)

    def schedule(values):
        return sorted(collections.Counter(
            (v["tuner/bracket"], v["tuner/round"], v["tuner/epochs"]) for v in values
        ).items())

    assert schedule(t.hyperparameters.values for t in search.trials.values()) == schedule(v for _, v, _ in alone)
    assert set(runs.values()) == {1} and all(t.status == TrialStatus.COMPLETED for t in search.trials.values())


def test_a_database_project_with_a_late_report_loads_with_the_running_trials_of_live_drivers(tmp_path):
    pytest.importorskip("sqlalchemy")
    from tunecore.storage import SQLStorage

    url = f"sqlite:///{tmp_path}/runs.db"
    paused = _random(max_trials=3)
    paused.open(SQLStorage(url, "search", heartbeat_interval=5.0, grace_period=0.2))
    trial = paused.ask("paused")
    paused.close()
    time.sleep(0.3)
    other = _random(max_trials=3, max_retries_per_trial=1)
    other.open(SQLStorage(url, "search", heartbeat_interval=0.05, grace_period=0.2))
    again = other.ask("other")
    assert again.trial_id == trial.trial_id
    paused.report(trial.trial_id, 1, loss=99.0)  # late: another driver runs the trial now
    other.report(again.trial_id, 0, loss=0.5)

    project = kt.load(url, project_name="search")  # while the other driver's trial runs
    assert project.trials[trial.trial_id].status == TrialStatus.RUNNING
    assert project.trials[trial.trial_id].metrics.get_history("loss") == [(0, 0.5)]
    other.tell(again.trial_id)
    other.close()
    assert kt.load(url, project_name="search").trials[trial.trial_id].score == 0.5


def test_a_late_report_does_not_stop_the_driver_running_the_trial_now_from_ending_it():
    log = SharedLog()
    paused = _random(max_trials=2)
    paused.open(_storage(log, heartbeat_interval=5.0, grace_period=0.2))
    trial = paused.ask("paused")
    paused.close()
    time.sleep(0.3)

    class Racing(InMemoryStorage):
        """The paused driver's late report lands just before this driver's end."""

        raced = False

        def append_if_current(self, event, sync=False):
            if event["event"] == "end" and event["status"] == TrialStatus.COMPLETED and not self.raced:
                self.raced = True
                paused.report(trial.trial_id, 1, loss=99.0)
            return super().append_if_current(event, sync)

    other = _random(max_trials=2, max_retries_per_trial=1)
    other.open(Racing(log=log, heartbeat_interval=0.02, grace_period=0.2))
    again = other.ask("other")
    other.report(again.trial_id, 0, loss=0.5)
    ended = other.tell(again.trial_id)
    assert (ended.status, ended.score) == (TrialStatus.COMPLETED, 0.5) and not other.ledger.lost(again.trial_id)
    assert [e["status"] for e in log.events if e["event"] == "end"] == ["FAILED", "COMPLETED"]
    assert [e["metrics"]["loss"] for e in log.events if e["event"] == "metrics"] == [0.5, 99.0]


def test_a_tuner_that_is_not_searching_can_stop_every_driver():
    log, runs = SharedLog(), collections.Counter()
    driver = Driver(_random(max_trials=10_000), _storage(log), runs, delay=0.005)
    thread = threading.Thread(target=driver.search, kwargs={"verbose": 0})
    thread.start()
    deadline = time.monotonic() + 60
    while not runs and time.monotonic() < deadline:
        time.sleep(0.01)
    Driver(_random(max_trials=10_000), _storage(log)).stop("from the console", everywhere=True)
    thread.join(timeout=60)
    assert not thread.is_alive() and 0 < len(runs) < 10_000


class FailingFirst(Driver):
    """A driver whose first trial fails (the objective's failure, once)."""

    def run_trial(self, trial, *args, **kwargs):
        if not self.runs:
            self.runs[trial.trial_id] += 1
            raise kt.errors.FailedTrialError("the objective failed once")
        return super().run_trial(trial, *args, **kwargs)


@pytest.mark.parametrize("joins", ["before", "after"])
def test_dead_drivers_trials_do_not_count_as_failures_in_a_row_in_any_driver(joins):
    log = SharedLog()
    storage = dict(heartbeat_interval=0.02, grace_period=0.2)
    late = FailingFirst(_random(max_trials=6, max_consecutive_failed_trials=2), _storage(log, **storage))
    for _ in range(2):  # two drivers die mid-trial
        dead = _random(max_trials=6)
        dead.open(_storage(log, **storage))
        dead.ask("dead")
        dead.close()
    Driver(_random(max_trials=2), _storage(log, **storage)).search(verbose=0)  # ends them FAILED, no retry
    if joins == "after":  # a driver started now reads the whole history
        late = FailingFirst(_random(max_trials=6, max_consecutive_failed_trials=2), _storage(log, **storage))

    late.search(verbose=0)  # one failure of its own is not two in a row

    statuses = collections.Counter(t.status for t in late.oracle.trials.values())
    assert statuses == {"COMPLETED": 3, "FAILED": 3}, statuses  # two dead, one its own


def test_drivers_started_alike_are_told_apart_in_the_history():
    log, runs = SharedLog(), collections.Counter()
    drivers = [Driver(_random(max_trials=8), _storage(log), runs, delay=0.01) for _ in range(2)]  # no tuner_id
    _in_threads(drivers)
    ids = {d.tuner_id for d in drivers}
    assert len(ids) == 2 and "tuner0" not in ids
    assert {t.tuner_id for t in _reader(log).trials.values()} <= ids


def test_a_grid_does_not_repeat_the_configuration_another_drivers_first_trial_is_discovering():
    # A function tuner's space is unknown until its first trial declares it. The trial's
    # driver records the space before the trial ends with its values: meanwhile another
    # driver sees the space and a running trial without values. Its workers must not
    # hand out the configuration that trial is running (the space's defaults).
    log = SharedLog()
    first, second = (kt.oracles.GridSearch(objective="loss", seed=0) for _ in range(2))
    first.open(_storage(log))
    second.open(_storage(log))
    discovering = first.ask("first")
    assert discovering.hyperparameters.values == {}
    declared = kt.HyperParameters()
    declared.Choice("x", [0.0, 0.1, 0.2, 0.3])
    first.update_space(declared)  # as the tuner does at the trial's end, before telling it
    handed = [second.ask("second") for _ in range(2)]
    assert {"x": 0.0} not in [t.hyperparameters.values for t in handed if t.status == TrialStatus.RUNNING]
    discovering.hyperparameters = declared
    first.tell(discovering.trial_id, 1.0)
    values = [t.hyperparameters.values for t in second.trials.values()]
    assert len({tuple(v.items()) for v in values}) == len(values) == 2
