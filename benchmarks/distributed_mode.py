"""Keras Tuner's distributed mode: Keras Tuner's gRPC chief against tunecore's Dask chief.

The same script runs as a chief and W workers with Keras Tuner's variables
(``KERASTUNER_TUNER_ID``, ``KERASTUNER_ORACLE_IP``, ``KERASTUNER_ORACLE_PORT``),
once with ``import keras_tuner`` and once with ``import tunecore``: a
``BaseTuner`` whose ``run_trial`` sleeps ``--seconds`` (the work) and returns
a random score, ``RandomSearchOracle(max_trials=--trials)``,
``max_retries_per_trial=1``.

Measured per run, from the workers' own clocks: the search's wall time (first
worker entering ``search()`` to last worker leaving it; process start-up and
imports are outside it), the trials completed, and the utilisation
``trials x seconds / (workers x wall)``. Keras Tuner's chief never returns (its
constructor serves until killed), so the harness ends it once every worker is
done. ``--fault`` kills one worker in its first trial: whether the search
still completes every trial.

Run from the repository root::

    .venv/bin/python benchmarks/distributed_mode.py --repeats 3
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

from _common import markdown_table, median

SCRIPT = textwrap.dedent("""
    import json, os, random, sys, time
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    library, directory, trials, seconds, die = sys.argv[1:6]
    if library == "keras_tuner":
        import keras_tuner as kt
        BaseTuner = kt.engine.base_tuner.BaseTuner
    else:
        import tunecore as kt
        BaseTuner = kt.BaseTuner
    me = os.environ["KERASTUNER_TUNER_ID"]
    ran = []

    class Sleepy(BaseTuner):
        def run_trial(self, trial, **kwargs):  # Keras Tuner passes verbose
            if me == die and not ran:
                os._exit(3)
            ran.append(trial.trial_id)
            time.sleep(float(seconds))
            return {"score": random.random()}

    tuner = Sleepy(
        kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=int(trials),
                                      max_retries_per_trial=1),
        hypermodel=lambda hp: hp.Float("x", 0, 1), directory=directory, project_name="p", overwrite=True,
    )
    start = time.time()
    tuner.search(verbose=0)
    print("RESULT " + json.dumps({"id": me, "start": start, "end": time.time(), "ran": len(ran)}), flush=True)
""")


def _port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(library, workers, trials, seconds, fault):
    with tempfile.TemporaryDirectory() as directory:
        script = os.path.join(directory, "search.py")
        with open(script, "w") as f:
            f.write(SCRIPT)
        port = str(_port())
        die = "tuner0" if fault else ""

        def start(tuner_id):
            env = {**os.environ, "KERASTUNER_TUNER_ID": tuner_id, "KERASTUNER_ORACLE_IP": "127.0.0.1",
                   "KERASTUNER_ORACLE_PORT": port}
            return subprocess.Popen(
                [sys.executable, script, library, directory, str(trials), str(seconds), die],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )

        chief = start("chief")
        time.sleep(1.0)
        tuners = [start(f"tuner{i}") for i in range(workers)]
        results = []
        for process in tuners:
            try:
                output, _ = process.communicate(timeout=600)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            results += [json.loads(line[7:]) for line in output.splitlines() if line.startswith("RESULT ")]
        try:
            chief.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # Keras Tuner's chief serves until killed
            chief.kill()
            chief.communicate()
    if not results:
        return {"wall": None, "completed": 0, "utilisation": None}
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    completed = sum(r["ran"] for r in results)
    return {"wall": wall, "completed": completed, "utilisation": completed * seconds / (workers * wall)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    args = parser.parse_args()
    rows = []
    for fault in (False, True):
        for workers in args.workers:
            for library in ("keras_tuner", "tunecore"):
                runs = [run(library, workers, args.trials, args.seconds, fault) for _ in range(args.repeats)]
                wall = median([r["wall"] for r in runs])
                utilisation = median([r["utilisation"] for r in runs])
                rows.append([
                    "one worker killed" if fault else "-", workers, library,
                    "-" if wall is None else f"{wall:.2f}",
                    "-" if utilisation is None else f"{utilisation:.0%}",
                    "/".join(str(r["completed"]) for r in runs),
                ])
    print(f"{args.trials} trials of {args.seconds:g} s, chief + W workers on 127.0.0.1, medians of {args.repeats}")
    print(markdown_table(["fault", "W", "library", "search wall (s)", "utilisation", "trials run (per repeat)"], rows))


if __name__ == "__main__":
    main()
