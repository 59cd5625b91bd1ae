"""A 10,000-trial search on disk: per-trial cost over time, bytes, memory and resume time.

Both frameworks tune the same three hyperparameters (a float, an int, a
choice) with random search and an instant objective, persisting every trial:

* ``tunecore``: ``tunecore.tune(fn, max_trials=n, directory=tmp)`` (the journal).
* ``optuna_journal``: ``optuna.create_study(storage=JournalStorage(JournalFileBackend(tmp)))``
  with ``RandomSampler``: Optuna's append-only file storage, the closest to ours.

Each search runs in a fresh child process, so that its peak RSS
(``ru_maxrss``) is its own. Reported per run:

* ms/trial over the whole search, and **flatness**: the mean gap between
  consecutive objective calls over the last 1,000 trials divided by that over
  the first 1,000 (trial 1's gap, which includes the set-up, is left out);
* bytes per trial of the project on disk;
* peak RSS of the searching process;
* **resume**: in another fresh process, the time to open the finished project
  ready to search on (``tunecore.FunctionTuner(..., directory=...)``;
  ``optuna.load_study``), and for tunecore also ``tunecore.load`` (read-only).
  Imports are done before the clock starts. Its CPU time (the process's own,
  which other jobs on a shared machine inflate far less than wall time) is
  given too; ``--resumes N`` times N resumes per search and keeps the medians.

Usage::

    .venv/bin/python benchmarks/project_scale.py                 # 10,000 trials, 3 repeats
    .venv/bin/python benchmarks/project_scale.py --trials 2000 --repeats 1
    .venv/bin/python benchmarks/project_scale.py --repeats 1 --resumes 5
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import _common

FRAMEWORKS = ("tunecore", "optuna_journal")


def _objective(hp, clock):
    clock.append(time.perf_counter())
    x = hp.Float("x", 0.0, 1.0)
    n = hp.Int("n", 1, 10)
    hp.Choice("c", ["a", "b", "c"])
    return x + n


def search_tunecore(n, workdir):
    import tunecore

    clock = []
    tunecore.tune(lambda hp: _objective(hp, clock), max_trials=n, seed=0, verbose=0,
                  directory=workdir, project_name="p")
    return clock, os.path.join(workdir, "p")


def search_optuna(n, workdir):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    path = os.path.join(workdir, "study.log")
    study = optuna.create_study(
        study_name="p", storage=JournalStorage(JournalFileBackend(path)),
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    clock = []

    def objective(trial):
        clock.append(time.perf_counter())
        x = trial.suggest_float("x", 0.0, 1.0)
        n = trial.suggest_int("n", 1, 10)
        trial.suggest_categorical("c", ["a", "b", "c"])
        return x + n

    study.optimize(objective, n_trials=n)
    return clock, path


def resume_tunecore(path):
    import tunecore

    start, cpu = time.perf_counter(), time.process_time()
    tuner = tunecore.FunctionTuner(lambda hp: 0.0, max_trials=1, seed=0,
                                   directory=os.path.dirname(path), project_name=os.path.basename(path))
    opened, cpu = time.perf_counter() - start, time.process_time() - cpu
    trials = len(tuner.oracle.trials)
    start = time.perf_counter()
    tunecore.load(path)
    return {"resume_s": opened, "resume_cpu_s": cpu, "load_s": time.perf_counter() - start, "trials": trials}


def resume_optuna(path):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    start, cpu = time.perf_counter(), time.process_time()
    study = optuna.load_study(study_name="p", storage=JournalStorage(JournalFileBackend(path)))
    trials = len(study.trials)
    return {"resume_s": time.perf_counter() - start, "resume_cpu_s": time.process_time() - cpu,
            "load_s": None, "trials": trials}


def _size(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def child_search(framework, n, workdir):
    _common.silence_frameworks()
    search = search_tunecore if framework == "tunecore" else search_optuna
    start = time.perf_counter()
    clock, path = search(n, workdir)
    seconds = time.perf_counter() - start
    gaps = [b - a for a, b in zip(clock, clock[1:])]
    window = min(1000, len(gaps) // 2)
    first, last = gaps[1:window + 1], gaps[-window:]
    return {
        "path": path,
        "ms_per_trial": 1000 * seconds / n,
        "flatness": (sum(last) / len(last)) / (sum(first) / len(first)),
        "bytes_per_trial": _size(path) / n,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_resume(framework, path):
    _common.silence_frameworks()
    if framework == "tunecore":
        import tunecore  # noqa: F401  (imports are not part of the resume)

        return resume_tunecore(path)
    import optuna  # noqa: F401

    return resume_optuna(path)


def _child(*args):
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frameworks", nargs="+", default=list(FRAMEWORKS), choices=FRAMEWORKS)
    parser.add_argument("--resumes", type=int, default=1,
                        help="resumes timed per search, each in a fresh process (the median is kept)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, framework, *rest = args.child
        result = child_search(framework, int(rest[0]), rest[1]) if kind == "search" else child_resume(framework, rest[0])
        print(json.dumps(result))
        return

    rows = {framework: [] for framework in args.frameworks}
    for repeat in range(args.repeats):
        order = args.frameworks if repeat % 2 == 0 else list(reversed(args.frameworks))
        for framework in order:
            with tempfile.TemporaryDirectory() as workdir:
                result = _child("search", framework, args.trials, workdir)
                path = result.pop("path")
                resumes = [_child("resume", framework, path) for _ in range(args.resumes)]
                result.update({key: _common.median([r[key] for r in resumes]) for key in resumes[0]},
                              trials=resumes[0]["trials"])
            print(f"  {framework:15s} repeat={repeat} {result}", flush=True)
            rows[framework].append(result)

    keys = ("ms_per_trial", "flatness", "bytes_per_trial", "peak_rss_mb", "resume_s", "resume_cpu_s", "load_s")
    table = []
    for framework, results in rows.items():
        medians = {key: _common.median([r[key] for r in results]) for key in keys}
        table.append([framework, args.trials] + [
            "–" if medians[key] is None else f"{medians[key]:.3f}" for key in keys
        ] + [results[0]["trials"]])
    print()
    print(f"Medians over {args.repeats} repeats; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end.")
    print()
    print(_common.markdown_table(
        ["framework", "trials", "ms/trial", "flatness (last 1k / first 1k)", "bytes/trial",
         "peak RSS MB", "resume s", "resume CPU s", "tunecore.load s", "trials resumed"],
        table,
    ))


if __name__ == "__main__":
    main()
