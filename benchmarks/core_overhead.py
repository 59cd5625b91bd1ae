"""Framework overhead per trial on an instant objective: tunecore vs Keras Tuner vs Optuna.

Every framework tunes the same three hyperparameters (a float, an int, a
choice) with random search, an objective that returns at once, and its
persistence on in a temporary directory where it has one. Since the
objective costs microseconds, the wall time of a search divided by its trials
is the framework's own cost per trial. Runs, all in one process:

* ``keras_tuner``: ``keras_tuner.engine.base_tuner.BaseTuner`` subclass whose ``run_trial``
  returns the value, ``RandomSearchOracle``, project in a temp dir.
* ``optuna_mem_random`` / ``optuna_mem_tpe``: in-memory study, RandomSampler /
  default TPESampler.
* ``optuna_sqlite_random`` / ``optuna_sqlite_tpe``: the same with
  ``storage="sqlite:///<tmp>/study.db"``.
* ``tunecore``: ``tunecore.BaseTuner`` subclass + ``RandomSearch`` oracle,
  project in a temp dir (journal, fsync per ended trial).
* ``tunecore_tune``: ``tunecore.tune(fn, ..., directory=tmp)``, the function path.
* ``tunecore_nofsync``: ``tunecore`` with ``os.fsync`` patched out, to show what
  the journal's fsync per ended trial costs on this disk.

Each framework first runs a 5-trial warm-up (imports, plugin discovery,
SQLAlchemy set-up are not per-trial costs). Per size and repeat, every
framework runs once, in an order rotated and alternately reversed between
repeats; the tables give medians over repeats. Both wall time and this
process's CPU time are reported: on a shared machine wall time carries the
other tenants' load and the disk's fsync latency, CPU time much less so.

Flatness: the objective records a timestamp per call; the mean gap between
consecutive calls over trials 901-1000 is divided by that over trials 2-100
(trial 1's gap would include the search's setup).

Usage::

    .venv/bin/python benchmarks/core_overhead.py                    # 100 and 1000 trials, 3 repeats
    .venv/bin/python benchmarks/core_overhead.py --trials 100 --repeats 1 --frameworks tunecore keras_tuner
"""

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time
import unittest.mock

import _common

_common.silence_frameworks()

FRAMEWORKS = (
    "keras_tuner",
    "optuna_mem_random",
    "optuna_mem_tpe",
    "optuna_sqlite_random",
    "optuna_sqlite_tpe",
    "tunecore",
    "tunecore_tune",
    "tunecore_nofsync",
)


objective = _common.trivial_objective
optuna_objective = _common.trivial_objective_optuna


class _Clock:
    """Wall and CPU timestamps of objective calls; asks to stop once ``cap_s`` has passed."""

    def __init__(self, cap_s):
        self.cap_s = cap_s
        self.start = (time.perf_counter(), time.process_time())
        self.stamps = []

    def tick(self):
        now = (time.perf_counter(), time.process_time())
        self.stamps.append(now)
        return self.cap_s is not None and now[0] - self.start[0] > self.cap_s


def run_keras_tuner(n_trials, workdir, seed, clock):
    import keras_tuner

    class Tuner(keras_tuner.engine.base_tuner.BaseTuner):
        def run_trial(self, trial, *args, **kwargs):
            if clock.tick():
                self.oracle.max_trials = len(self.oracle.trials)
            return objective(trial.hyperparameters)

    hp = keras_tuner.HyperParameters()
    objective(hp)
    oracle = keras_tuner.oracles.RandomSearchOracle(
        objective=keras_tuner.Objective("score", "min"),
        max_trials=n_trials,
        hyperparameters=hp,
        seed=seed,
    )
    tuner = Tuner(oracle=oracle, directory=workdir, project_name="kt", overwrite=True)
    tuner.search(verbose=0)


def _run_optuna(n_trials, workdir, seed, clock, sqlite, tpe):
    import optuna

    sampler = optuna.samplers.TPESampler(seed=seed) if tpe else optuna.samplers.RandomSampler(seed=seed)
    storage = f"sqlite:///{workdir}/study.db" if sqlite else None
    study = optuna.create_study(storage=storage, sampler=sampler, direction="minimize")

    def timed(trial):
        if clock.tick():
            study.stop()
        return optuna_objective(trial)

    study.optimize(timed, n_trials=n_trials)


def run_tunecore(n_trials, workdir, seed, clock):
    import tunecore

    class Tuner(tunecore.BaseTuner):
        def run_trial(self, trial, *args, **kwargs):
            if clock.tick():
                self.oracle.max_trials = len(self.oracle.trials)
            return objective(trial.hyperparameters)

    hp = tunecore.HyperParameters()
    objective(hp)
    oracle = tunecore.oracles.RandomSearch(
        objective=tunecore.Objective("score", "min"),
        max_trials=n_trials,
        hyperparameters=hp,
        seed=seed,
    )
    tuner = Tuner(oracle, directory=workdir, project_name="tc", overwrite=True)
    tuner.search(verbose=0)


def run_tunecore_tune(n_trials, workdir, seed, clock):
    import tunecore

    def fn(hp):
        clock.tick()
        return objective(hp)

    tunecore.tune(
        fn, max_trials=n_trials, directory=workdir, project_name="tune", overwrite=True,
        seed=seed, verbose=0,
    )


def run_tunecore_nofsync(n_trials, workdir, seed, clock):
    with unittest.mock.patch("os.fsync"):
        run_tunecore(n_trials, workdir, seed, clock)


RUNNERS = {
    "keras_tuner": run_keras_tuner,
    "optuna_mem_random": lambda *a: _run_optuna(*a, sqlite=False, tpe=False),
    "optuna_mem_tpe": lambda *a: _run_optuna(*a, sqlite=False, tpe=True),
    "optuna_sqlite_random": lambda *a: _run_optuna(*a, sqlite=True, tpe=False),
    "optuna_sqlite_tpe": lambda *a: _run_optuna(*a, sqlite=True, tpe=True),
    "tunecore": run_tunecore,
    "tunecore_tune": run_tunecore_tune,
    "tunecore_nofsync": run_tunecore_nofsync,
}


def measure(name, n_trials, seed, cap_s):
    """One search: wall and CPU ms per trial, trials run, and the flatness ratios."""
    workdir = tempfile.mkdtemp(prefix=f"overhead_{name}_")
    gc.collect()
    clock = _Clock(cap_s)
    try:
        with _common.quiet():
            RUNNERS[name](n_trials, workdir, seed, clock)
    finally:
        end = (time.perf_counter(), time.process_time())
        shutil.rmtree(workdir, ignore_errors=True)
    done = max(len(clock.stamps), 1)
    result = {"done": len(clock.stamps), "load": os.getloadavg()[0]}
    for i, key in ((0, ""), (1, "_cpu")):
        result["ms" + key] = 1000 * (end[i] - clock.start[i]) / done
        stamps = [s[i] for s in clock.stamps]
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]  # gaps[k]: trial k + 2
        result["flat" + key] = (
            (sum(gaps[899:999]) / 100) / (sum(gaps[0:99]) / 99) if len(stamps) >= 1000 else None
        )
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frameworks", nargs="+", default=list(FRAMEWORKS), choices=FRAMEWORKS)
    parser.add_argument("--cap-seconds", type=float, default=60.0,
                        help="stop a search after this long (Optuna+SQLite on a busy disk)")
    parser.add_argument("--json", help="also write the raw runs here")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    for name in args.frameworks:  # imports, plugin discovery, SQLAlchemy set-up: not per trial
        measure(name, 5, seed=0, cap_s=None)
    runs = []
    for n_trials in args.trials:
        for repeat in range(args.repeats):
            k = repeat % len(args.frameworks)
            order = args.frameworks[k:] + args.frameworks[:k]
            if repeat % 2:
                order.reverse()
            for name in order:
                result = measure(name, n_trials, seed=repeat, cap_s=args.cap_seconds)
                runs.append({"framework": name, "trials": n_trials, "repeat": repeat, **result})
                print(f"  {name:22s} n={n_trials:5d} repeat={repeat} {result}",
                      file=sys.stderr, flush=True)
    print(report(runs, args))
    print(f"\nTotal benchmark time: {time.perf_counter() - started:.0f}s", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)


def report(runs, args):
    rows = []
    for n_trials in args.trials:
        for name in args.frameworks:
            mine = [r for r in runs if r["framework"] == name and r["trials"] == n_trials]
            row = [name, n_trials]
            for key in ("ms", "ms_cpu"):
                ratios = [
                    r[key] / kt[key]
                    for r in mine
                    for kt in runs
                    if kt["framework"] == "keras_tuner" and kt["trials"] == n_trials
                    and kt["repeat"] == r["repeat"]
                ]
                values = [r[key] for r in mine]
                row += [
                    f"{_common.median(values):.3f} ({min(values):.3f}–{max(values):.3f})",
                    f"{_common.median(ratios):.3f}" if ratios else "–",
                ]
            for key in ("flat", "flat_cpu"):
                flat = _common.median([r[key] for r in mine])
                row.append(f"{flat:.2f}" if flat is not None else "–")
            row.append("/".join(str(d) for d in sorted({r["done"] for r in mine})))
            rows.append(row)
    header = ["framework", "trials", "wall ms/trial (range)", "× KT (wall)",
              "CPU ms/trial (range)", "× KT (CPU)", "flatness (wall)", "flatness (CPU)",
              "trials run"]
    loads = [r["load"] for r in runs]
    return (f"Medians over {args.repeats} repeats; Python {sys.version.split()[0]}; "
            f"{os.cpu_count()} CPUs, 1-minute load average {min(loads):.1f}–{max(loads):.1f} "
            "during the runs.\n\n"
            + _common.markdown_table(header, rows))


if __name__ == "__main__":
    main()
