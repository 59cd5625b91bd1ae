import subprocess
import sys

import tunecore as kt
from tunecore.cli import main


def test_tunecore_plugins_lists_builtins(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "tunecore.oracles._plugin builtin — oracles: grid, random" in out
    assert "executors: dask, inprocess, process" in out


def test_tunecore_summary_reads_a_project_without_changing_it(tmp_path, capsys):
    tuner = kt.FunctionTuner(lambda hp: hp.Float("x", 0, 1), max_trials=4, seed=1,
                             directory=tmp_path, project_name="p")
    tuner.search(verbose=0)
    journal = (tmp_path / "p" / "journal.jsonl").read_bytes()
    best = tuner.oracle.get_best_trials(1)[0]

    assert main(["summary", str(tmp_path / "p"), "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "Showing 2 best trials" in out
    first = out.index("Trial ")
    assert out[first:].startswith(f"Trial {best.trial_id} summary")
    assert out.count(" summary\nHyperparameters") == 2
    assert (tmp_path / "p" / "journal.jsonl").read_bytes() == journal


def test_tunecore_summary_of_a_non_project_says_so(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tunecore.cli", "summary", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "is not a tunecore project" in result.stderr
