"""Review of issue 23 as landed: the command line, tried as an attacker would (reading never writes)."""

import importlib.util
import os
import subprocess
import sys

import pytest

import tunecore as kt

HAS_PANDAS = importlib.util.find_spec("pandas") is not None


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="where the system cannot say which file stdout is")
@pytest.mark.parametrize("command", ["summary", "export"])
def test_a_standard_output_that_is_another_name_of_the_journal_is_refused(tmp_path, command):
    if command == "export" and not HAS_PANDAS:
        pytest.skip("export needs pandas")
    kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, directory=tmp_path, project_name="p", verbose=0)
    journal = tmp_path / "p" / "journal.jsonl"
    before = journal.read_bytes()
    other_name = tmp_path / "outside.txt"
    os.link(journal, other_name)  # tunecore export p >> outside.txt, where outside.txt is the journal
    with open(other_name, "ab") as appended:
        result = subprocess.run([sys.executable, "-m", "tunecore.cli", command, str(tmp_path / "p")],
                                stdout=appended, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("tunecore: Refusing to write to standard output") and result.stderr.count("\n") == 1
    assert "hard link" in result.stderr
    assert journal.read_bytes() == before
    kt.load(tmp_path / "p")  # still opens


def test_an_ordinary_file_as_standard_output_is_written(tmp_path):
    kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, directory=tmp_path, project_name="p", verbose=0)
    with open(tmp_path / "summary.txt", "ab") as out:
        result = subprocess.run([sys.executable, "-m", "tunecore.cli", "summary", str(tmp_path / "p")],
                                stdout=out, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "Results summary" in (tmp_path / "summary.txt").read_text()
