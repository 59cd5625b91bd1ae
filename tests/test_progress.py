"""The progress display: a bar in a terminal, short plain lines in a log."""

import io

import tunecore as kt
from tunecore.tuners.progress import Progress


def _accuracy(hp):
    return {"val_accuracy": hp.Float("x", 0, 1)}


def test_outside_a_terminal_a_short_line_every_tenth_of_the_search(capsys):
    tuner = kt.tune(_accuracy, objective="val_accuracy", max_trials=20, seed=0)  # verbose=1
    err = capsys.readouterr().err

    assert "\r" not in err  # no carriage-return bar in a log file or CI
    lines = [line for line in err.splitlines() if line.startswith("Search:")]
    assert len(lines) == 10  # every max(1, 20 // 10) trials
    assert lines[0].startswith("Search: 2/20 trials, 0 running, best val_accuracy=")
    best = tuner.oracle.get_best_trials(1)[0].score
    assert f"best val_accuracy={best:.6g}," in lines[-1]
    assert lines[-1].startswith("Search: 20/20 trials")


def test_the_default_objective_is_just_best(capsys):
    kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=3, seed=0)
    err = capsys.readouterr().err
    assert "default_objective" not in err
    assert ", best=" in err


def test_verbose_0_prints_nothing(capsys):
    kt.tune(_accuracy, objective="val_accuracy", max_trials=3, seed=0, verbose=0)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_in_a_terminal_the_bar_names_the_objective():
    tuner = kt.tune(_accuracy, objective="val_accuracy", max_trials=2, seed=0, verbose=0)
    terminal = _Terminal()
    progress = Progress(tuner.oracle, verbose=1, file=terminal)
    progress.update(running=1)
    progress.bar.close()
    shown = terminal.getvalue()
    assert "\r" in shown
    assert "best val_accuracy=" in shown and "running=1" in shown
