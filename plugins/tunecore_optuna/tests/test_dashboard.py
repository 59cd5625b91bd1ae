"""``tunecore dashboard``: optuna-dashboard on a project, live while another process searches it."""

import json
import queue
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request

import pytest
from optuna.trial import TrialState

import tunecore as kt
from tunecore import cli
from tunecore.storage import JournalStorage
from tunecore.storage.lock import ProjectLock
from tunecore.trial import TrialStatus
from tunecore_optuna.dashboard import LiveStudy

SEARCH = textwrap.dedent("""
    import sys, time
    import tunecore as kt

    def fn(hp):
        x = hp.Float("x", -1.0, 1.0)
        time.sleep(0.25)
        return (x - 0.5) ** 2

    kt.tune(fn, max_trials=int(sys.argv[2]), directory=sys.argv[1], project_name="live", seed=0, verbose=0)
""")


def test_a_live_study_follows_a_project_as_trials_run_and_end(tmp_path):
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=5, seed=0, hyperparameters=hp,
                                     max_retries_per_trial=1)
    oracle.open(JournalStorage(tmp_path / "p"))
    live = LiveStudy(tmp_path / "p")

    trial = oracle.ask("t")
    oracle.report(trial.trial_id, 0, loss=2.0)
    assert live.sync() == 1
    (running,) = live.storage.get_all_trials(live.study_id)
    assert running.state == TrialState.RUNNING and running.intermediate_values == {0: 2.0}
    assert live.sync() == 0  # the journal has not changed

    oracle.report(trial.trial_id, 1, loss=1.0)
    oracle.tell(trial.trial_id)
    live.sync()
    (ended,) = live.storage.get_all_trials(live.study_id)
    assert ended.number == running.number
    assert ended.state == TrialState.COMPLETE and ended.value == 1.0
    assert ended.intermediate_values == {0: 2.0, 1: 1.0}

    failing = oracle.ask("t")
    oracle.tell(failing.trial_id, status=TrialStatus.FAILED, message="boom")
    live.sync()
    retried = oracle.ask("t")  # the same trial, a second attempt
    assert retried.trial_id == failing.trial_id
    oracle.tell(retried.trial_id, 0.5)
    live.sync()
    states = [t.state for t in live.storage.get_all_trials(live.study_id)]
    assert states == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]
    oracle.close()


def test_an_overwritten_project_becomes_a_new_study(tmp_path):
    def fn(hp):
        return hp.Float("x", 0.0, 1.0)

    kt.tune(fn, max_trials=4, seed=0, verbose=0, directory=tmp_path, project_name="p")
    live = LiveStudy(tmp_path / "p")
    live.sync()
    first = live.study_id
    kt.tune(fn, max_trials=2, seed=1, verbose=0, directory=tmp_path, project_name="p", overwrite=True)
    live.sync()
    assert live.study_id != first
    assert len(live.storage.get_all_studies()) == 1
    assert live.storage.get_study_id_from_name("p") == live.study_id
    assert len(live.storage.get_all_trials(live.study_id)) == 2


def test_a_live_study_reads_a_project_whose_lock_is_held(search):
    lock = ProjectLock(search.project_dir)
    lock.acquire()  # as a running search holds it
    try:
        live = LiveStudy(search.project_dir)
        assert live.sync() == len(search.oracle.trials)
    finally:
        lock.release()


def test_the_command_without_the_plugin_says_how_to_install_it(search, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tunecore_optuna.dashboard", None)  # as if not installed
    assert cli.main(["dashboard", search.project_dir]) == 1
    assert "pip install 'tunecore[optuna]'" in capsys.readouterr().err


def test_the_command_refuses_a_folder_without_a_project(tmp_path, capsys):
    assert cli.main(["dashboard", str(tmp_path)]) == 1
    assert "is not a tunecore project" in capsys.readouterr().err


def test_a_busy_port_is_refused_with_the_fix(search, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert cli.main(["dashboard", search.project_dir, "--port", str(taken.getsockname()[1])]) == 1
    assert "Choose another --port" in capsys.readouterr().err


@pytest.fixture(scope="module")
def live_dashboard(tmp_path_factory):
    """A search running in one process and ``tunecore dashboard`` on it in another: its URL."""
    root = tmp_path_factory.mktemp("live")
    script = root / "search.py"
    script.write_text(SEARCH)
    search = subprocess.Popen([sys.executable, str(script), str(root), "200"])  # stopped at teardown
    project = root / "live"
    board = None
    try:
        def started():
            assert search.poll() is None, "the search process failed"
            return (project / "journal.jsonl").exists()

        _wait_for(started, "the search to start")
        board = subprocess.Popen(
            [sys.executable, "-m", "tunecore.cli", "dashboard", str(project), "--port", "0"],
            stdout=subprocess.PIPE, text=True,
        )
        yield _url_printed_by(board), search
    finally:
        for process in (board, search):
            if process is not None:
                process.terminate()
                process.wait(10)


def test_the_dashboard_shows_trials_as_the_search_records_them(live_dashboard):
    url, search = live_dashboard
    base = url.rsplit("/dashboard", 1)[0]
    studies = _wait_for(lambda: _get(f"{base}/api/studies")["study_summaries"], "the study to be listed")
    assert [s["study_name"] for s in studies] == ["live"]
    detail = f"{base}/api/studies/{studies[0]['study_id']}"
    first = _wait_for(lambda: len(_get(detail)["trials"]), "a trial")
    later = _wait_for(lambda: (n := len(_get(detail)["trials"])) > first and n, "more trials")
    assert later > first
    assert search.poll() is None, "the search should still be running: the dashboard did not block it"
    trials = _get(detail)["trials"]
    assert {t["state"] for t in trials} <= {"Running", "Complete"}
    assert all(list(t["params"][0].values())[0] == "x" for t in trials if t["params"])


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/studies"), ("DELETE", "/api/studies/0"), ("PUT", "/api/studies/0/note"),
    ("POST", "/api/trials/0/tell"), ("POST", "/api/trials/0/user-attrs"),
])
def test_the_dashboard_refuses_every_change(live_dashboard, method, path):
    url, _ = live_dashboard
    base = url.rsplit("/dashboard", 1)[0]
    _wait_for(lambda: _get(f"{base}/api/studies")["study_summaries"], "the study to be listed")
    request = urllib.request.Request(f"{base}{path}", data=b"{}", method=method,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 405
    assert "read-only" in json.load(refused.value)["reason"]
    assert [s["study_name"] for s in _get(f"{base}/api/studies")["study_summaries"]] == ["live"]


@pytest.mark.slow
def test_ctrl_c_stops_the_dashboard_cleanly(search):
    board = subprocess.Popen(
        [sys.executable, "-m", "tunecore.cli", "dashboard", search.project_dir, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _url_printed_by(board)
        board.send_signal(signal.SIGINT)
        assert board.wait(30) == 0
        assert "Traceback" not in board.stderr.read()
    finally:
        if board.poll() is None:
            board.kill()
            board.wait()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Debian's `chromium` is not installed (apt-get install chromium): no screenshot")
def test_a_browser_shows_the_study(live_dashboard, tmp_path):
    url, _ = live_dashboard
    base = url.rsplit("/dashboard", 1)[0]
    study_id = _wait_for(lambda: _get(f"{base}/api/studies")["study_summaries"], "the study")[0]["study_id"]
    page = f"{base}/dashboard/studies/{study_id}"
    browser = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--window-size=1280,900", "--virtual-time-budget=8000", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*browser, "--dump-dom", page], capture_output=True, text=True, timeout=90).stdout
    assert "live" in dom and "History" in dom
    shot = tmp_path / "dashboard.png"
    subprocess.run([*browser, f"--screenshot={shot}", page], capture_output=True, timeout=90)
    matplotlib_image = pytest.importorskip("matplotlib.image")

    pixels = matplotlib_image.imread(shot)[..., :3]
    assert pixels.std() > 0.05, "the screenshot is blank"


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _wait_for(check, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except OSError:  # the server is not listening yet
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _url_printed_by(process, timeout=30.0):
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                raise AssertionError(f"tunecore dashboard exited with {process.returncode}")
            continue
        for word in line.split():
            if word.startswith("http://"):
                return word
    raise AssertionError("tunecore dashboard printed no URL")
