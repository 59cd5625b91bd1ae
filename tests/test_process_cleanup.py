"""Killing the driver of a process-pool search leaves none of tunecore's processes behind.

The driver runs in a real subprocess, so that it can be killed with SIGKILL:
no ``finally``, no atexit handler, nothing in it gets a chance to clean up.
"""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

_DRIVER = """
import os
import sys
import time

import tunecore


def sleepy(hp, started_dir):
    hp.Float("x", 0.0, 1.0)
    open(os.path.join(started_dir, str(os.getpid())), "w").close()
    time.sleep(60)
    return 0.0


if __name__ == "__main__":
    space = tunecore.HyperParameters()
    space.Float("x", 0.0, 1.0)  # known up front, so that two trials start at once
    tunecore.tune(sleepy, sys.argv[1], max_trials=4, hyperparameters=space,
                  executor="process", max_parallel_trials=2, verbose=0)
"""

_START_TIMEOUT_S = 60.0
_EXIT_TIMEOUT_S = 5.0


def _wait_for(condition, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    return condition()


def _alive(process):
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(process):
    try:  # children of the fork server all carry its command line; the parent tells them apart
        return f"{process.pid} (child of {process.ppid()}): {' '.join(process.cmdline())[:120]}"
    except psutil.Error:
        return str(process.pid)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killing_the_driver_mid_trial_ends_every_helper_process(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER)
    started = tmp_path / "started"
    started.mkdir()
    log = open(tmp_path / "driver.log", "w")
    driver = subprocess.Popen([sys.executable, str(script), str(started)], cwd=tmp_path,
                              stdout=log, stderr=subprocess.STDOUT)
    helpers = []
    try:
        trial_pids = _wait_for(lambda: {int(name) for name in os.listdir(started)}
                               if len(os.listdir(started)) >= 2 else None, _START_TIMEOUT_S)
        assert trial_pids, f"the trials did not start:\n{(tmp_path / 'driver.log').read_text()}"
        helpers = psutil.Process(driver.pid).children(recursive=True)
        descriptions = {process.pid: _describe(process) for process in helpers}
        assert trial_pids <= set(descriptions), descriptions

        driver.send_signal(signal.SIGKILL)
        driver.wait()
        killed = time.monotonic()
        _wait_for(lambda: not any(_alive(process) for process in helpers), _EXIT_TIMEOUT_S)

        survivors = [descriptions[process.pid] for process in helpers if _alive(process)]
        assert not survivors, (
            f"{len(survivors)} of the driver's {len(helpers)} helper processes outlived it by "
            f"{time.monotonic() - killed:.1f} s:\n" + "\n".join(survivors)
        )
    finally:
        driver.kill()
        driver.wait()
        log.close()
        for process in helpers:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
