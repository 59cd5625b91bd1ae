"""The user's own mistakes are raised at once, not absorbed into failed trials (issue 23).

Each test is a user's scenario: a bug in the tuned function, a definition that
changed between runs, a pruner that cannot act, Ctrl-C. A bug every trial
would repeat is recorded (its trial FAILED) and then raised from ``search()``
or ``tune()`` as a ``FatalValueError`` or ``FatalTypeError``, chained to the
user's own exception so that their line is in the traceback.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
import traceback
import warnings

import pytest

import tunecore as kt
from tunecore.errors import (
    FatalTypeError,
    FatalValueError,
    InvalidSpaceError,
    ProjectError,
    RemoteTraceback,
)


def _traceback_text(exc):
    return "".join(traceback.format_exception(exc))


def _only_trial(directory):
    (trial,) = kt.load(os.path.join(directory, "untitled_project")).trials.values()
    return trial


# An invalid definition, a reserved name -----------------------------------------


def test_an_invalid_range_stops_the_search_with_the_users_line(tmp_path):
    def objective(hp):
        return hp.Float("lr", 1e-1, 1e-4)  # min above max: every trial would fail the same way

    with pytest.raises(FatalValueError, match="min_value 0.1 is greater than the max_value 0.0001") as caught:
        kt.tune(objective, max_trials=5, directory=tmp_path, verbose=0)

    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value.__cause__, InvalidSpaceError)
    assert 'return hp.Float("lr", 1e-1, 1e-4)' in _traceback_text(caught.value)
    trial = _only_trial(tmp_path)  # recorded first, not retried
    assert trial.status == kt.TrialStatus.FAILED and "InvalidSpaceError" in trial.message


def test_a_reserved_tuner_name_stops_the_search():
    tuner = kt.FunctionTuner(lambda hp: hp.Float("tuner/lr", 0, 1), max_trials=5)
    with pytest.raises(FatalValueError, match="'tuner/lr'.*reserved"):
        tuner.search(verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [kt.TrialStatus.FAILED]
    assert tuner.get_best_hyperparameters() == []  # no IndexError inside tunecore


def test_an_invalid_definition_in_a_worker_shows_the_users_line(parallel):
    def objective(hp):
        return hp.Choice("units", [])  # no values to choose from

    with pytest.raises(FatalValueError, match="units") as caught:
        kt.tune(objective, max_trials=4, verbose=0, **parallel())

    assert isinstance(caught.value.__cause__, RemoteTraceback)
    text = _traceback_text(caught.value)
    assert 'return hp.Choice("units", [])' in text and "InvalidSpaceError" in text


def test_an_ordinary_error_is_still_a_failed_trial_that_is_retried():
    calls = []

    def objective(hp):
        hp.Float("x", 0, 1)
        calls.append(1)
        raise ValueError("the data loader hiccuped")

    tuner = kt.FunctionTuner(objective, max_trials=2, max_retries_per_trial=1, max_consecutive_failed_trials=9)
    tuner.search(verbose=0)
    assert len(calls) == 4 and all(t.status == kt.TrialStatus.FAILED for t in tuner.oracle.trials.values())


# A non-callable objective, a result of the wrong shape ---------------------------


def test_tuning_a_metric_name_instead_of_a_function_says_to_pass_objective(tmp_path):
    with pytest.raises(FatalTypeError, match=r"got 'loss' of type str.*objective='loss'"):
        kt.tune("loss", max_trials=5, directory=tmp_path, verbose=0)
    assert _only_trial(tmp_path).status == kt.TrialStatus.FAILED


def test_an_empty_list_is_named_as_what_it_is():
    def objective(hp):
        hp.Float("x", 0, 1)
        return []

    with pytest.raises(FatalTypeError, match="is an empty list") as caught:
        kt.tune(objective, max_trials=3, verbose=0)
    assert "None" not in str(caught.value) and "forget to return" not in str(caught.value)


def test_metrics_without_the_objective_stop_the_search_naming_both():
    tuner = kt.FunctionTuner(lambda hp: {"loss": hp.Float("x", 0, 1)}, objective="acc", max_trials=5)
    with pytest.raises(FatalValueError, match=r"\['acc'\] was never reported; the trial reported \['loss'\]"):
        tuner.search(verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [kt.TrialStatus.FAILED]


@pytest.mark.parametrize("bug", ["empty list", "objective not returned", "raises FatalError"])
def test_the_trial_that_stopped_the_search_runs_again_once_the_bug_is_fixed(tmp_path, bug):
    def buggy(hp):
        x = hp.Choice("x", [1, 2, 3])
        if bug == "empty list":
            return []
        if bug == "objective not returned":
            return {"acc": x}
        raise kt.errors.FatalError("the data is missing")

    def fixed(hp):
        return float(hp.Choice("x", [1, 2, 3]))

    with pytest.raises(kt.errors.FatalError):
        kt.tune(buggy, oracle="grid", max_trials=5, directory=tmp_path, verbose=0)
    (stopped,) = kt.load(os.path.join(tmp_path, "untitled_project")).trials.values()
    assert stopped.status == kt.TrialStatus.FAILED  # recorded as it was

    kt.tune(fixed, oracle="grid", max_trials=5, directory=tmp_path, verbose=0)  # the same call, fixed
    trials = kt.load(os.path.join(tmp_path, "untitled_project")).trials
    assert len(trials) == 3  # the grid point that failed ran again, not skipped as tried
    assert sorted(t.hyperparameters.values["x"] for t in trials.values()) == [1, 2, 3]
    assert all(t.status == kt.TrialStatus.COMPLETED for t in trials.values())
    assert trials[stopped.trial_id].attempts == 2


# Definitions checked on resume ---------------------------------------------------


def test_a_changed_range_is_refused_on_resume_naming_old_and_new(tmp_path):
    kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=3, directory=tmp_path, verbose=0, seed=1)

    with pytest.raises(ProjectError, match=r"'x'.*min_value: '5.0'.*min_value: '0.0'"):
        kt.tune(lambda hp: hp.Float("x", 5, 6), max_trials=6, directory=tmp_path, verbose=0, seed=1)

    # Back to the project's definition: the search goes on, nothing drawn from the wrong range is kept.
    tuner = kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=6, directory=tmp_path, verbose=0, seed=1)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 6 and all(t.status == kt.TrialStatus.COMPLETED for t in trials)
    assert all(0 <= t.hyperparameters["x"] <= 1 for t in trials)


@pytest.mark.parametrize("before, after, words", [
    (lambda hp: hp.Choice("act", ["relu", "tanh", "elu", "selu"]), lambda hp: hp.Choice("act", ["relu", "gelu"]), "gelu"),
    (lambda hp: hp.Int("n", 1, 4), lambda hp: hp.Float("n", 1, 4), "Float"),
])
def test_a_changed_choice_list_or_type_is_refused_on_resume(tmp_path, before, after, words):
    def first(hp):
        before(hp)
        return 0.0

    def second(hp):
        after(hp)
        return 0.0

    kt.tune(first, max_trials=2, directory=tmp_path, verbose=0)
    with pytest.raises(ProjectError, match=words):
        kt.tune(second, max_trials=4, directory=tmp_path, verbose=0)


def test_a_definition_that_changes_between_trials_of_one_search_is_refused():
    def objective(hp, trial):
        limit = 1 if trial.trial_id == "00" else 2
        return hp.Float("x", 0, limit)

    with pytest.raises(ProjectError, match="'x'.*an earlier trial defined it"):
        kt.tune(objective, max_trials=3, verbose=0)


def test_overrides_given_to_the_oracle_are_not_refused():
    hp = kt.HyperParameters()
    hp.Fixed("x", 0.5)
    tuner = kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, hyperparameters=hp, verbose=0)
    assert [t.hyperparameters["x"] for t in tuner.oracle.trials.values()] == [0.5]  # one configuration


# A pruner that can never act ----------------------------------------------------


def _reports_loss(hp, trial):
    x = hp.Float("x", 0, 1)
    for step in range(3):
        trial.report(step, loss=x + step)
    return x


def test_a_pruner_that_never_sees_the_objective_warns_once():
    with pytest.warns(UserWarning, match=r"reported \['loss'\] but never the objective.*objective='loss'") as caught:
        kt.tune(_reports_loss, max_trials=4, pruner="median", verbose=0)
    assert len([w for w in caught if "pruner" in str(w.message)]) == 1


def test_a_pruner_that_sees_the_objective_says_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kt.tune(_reports_loss, objective="loss", max_trials=4, pruner="median", verbose=0)


# Ctrl-C and the closing line ----------------------------------------------------


def test_ctrl_c_says_in_one_line_what_was_kept_and_how_to_resume(tmp_path, capsys):
    def objective(hp):
        x = hp.Float("x", 0, 1)
        if os.path.exists(tmp_path / "interrupt") and len(os.listdir(tmp_path / "marks")) == 3:
            raise KeyboardInterrupt
        (tmp_path / "marks" / str(x)).touch()
        return x

    (tmp_path / "marks").mkdir()
    (tmp_path / "interrupt").touch()
    with pytest.raises(KeyboardInterrupt) as caught:
        kt.tune(objective, max_trials=6, directory=tmp_path / "p", verbose=1)
    assert caught.value.__suppress_context__ and caught.value.__cause__ is None
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "interrupted" in line.lower()]
    project = tmp_path / "p" / "untitled_project"
    expected = (
        f"Search interrupted: 3 ended trials kept in {project} (1 unfinished will run again); "
        "run the same call again to resume."
    )
    assert lines == [expected]
    assert "Search finished" not in err

    (tmp_path / "interrupt").unlink()
    tuner = kt.tune(objective, max_trials=6, directory=tmp_path / "p", verbose=0)
    assert [t.status for t in tuner.oracle.trials.values()] == [kt.TrialStatus.COMPLETED] * 6


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_a_real_ctrl_c_prints_one_line_and_no_traceback_of_tunecores_internals(tmp_path):
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(f"""
        import os, signal
        import tunecore as kt

        def objective(hp):
            x = hp.Float("x", 0, 1)
            if len(os.listdir({str(tmp_path)!r})) > 3:
                os.kill(os.getpid(), signal.SIGINT)
            open(os.path.join({str(tmp_path)!r}, str(x)), "w").close()
            return x

        kt.tune(objective, max_trials=8, directory={str(tmp_path / "p")!r}, verbose=0)
    """))
    done = subprocess.run([sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert done.stderr.count("Search interrupted:") == 1, done.stderr
    assert "run the same call again to resume" in done.stderr
    assert "loop.py" not in done.stderr and "Search finished" not in done.stderr
    assert done.stderr.rstrip().endswith("KeyboardInterrupt")


def test_a_search_where_no_trial_completed_says_so(capsys):
    def objective(hp):
        hp.Float("x", 0, 1)
        raise RuntimeError("the GPU is busy")

    tuner = kt.tune(objective, max_trials=2, max_consecutive_failed_trials=5, verbose=1)
    out = capsys.readouterr()
    assert "2 failed. No trial completed" in out.out + out.err
    tuner.results_summary()
    assert "No trial completed (2 failed), so there is no best trial yet." in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="process groups")
@pytest.mark.parametrize("executor", [
    "process",
    pytest.param("dask", marks=pytest.mark.skipif(
        importlib.util.find_spec("distributed") is None, reason="needs tunecore[dask]")),
])
def test_ctrl_c_on_worker_processes_is_one_line_too_and_keeps_every_ended_trial(tmp_path, executor):
    """A terminal's Ctrl-C reaches the workers as well: they leave it to the driver."""
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(f"""
        import os, time
        import tunecore as kt

        def objective(hp):
            x = hp.Float("x", 0, 1)
            open(os.path.join({str(tmp_path)!r}, "started"), "a").close()
            time.sleep(0.2)
            return x

        if __name__ == "__main__":
            kt.tune(objective, max_trials=200, directory={str(tmp_path / "p")!r}, verbose=0,
                    executor={executor!r}, max_parallel_trials=2)
    """))
    search = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, start_new_session=True)
    deadline = 600
    while not (tmp_path / "started").exists() and deadline:
        time.sleep(0.1)
        deadline -= 1
    time.sleep(1.5)
    os.killpg(search.pid, signal.SIGINT)
    _, err = search.communicate(timeout=120)

    assert err.count("Search interrupted:") == 1 and "Process " not in err, err
    assert "Traceback" in err and err.count("Traceback") == 1  # the bare KeyboardInterrupt's own
    ended = int(err.split("Search interrupted: ")[1].split(" ")[0])
    project = kt.load(tmp_path / "p" / "untitled_project")
    assert sum(t.status == kt.TrialStatus.COMPLETED for t in project.trials.values()) == ended
