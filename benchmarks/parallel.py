"""Speed-up of parallel trials: serial vs local process pool vs Dask, and Optuna's n_jobs.

20 trials of two objectives, each taking 0.2 s when run alone: one sleeps
(I/O-bound), one burns CPU in pure Python (its loop is calibrated at start to
take 0.2 s of CPU time in this process). The search space is declared up front,
as a model-based search would; otherwise a FunctionTuner runs its first trial
alone to discover the space. Every setup runs both, side by side in one run,
``--repeats`` times; the table shows medians and the speed-up over the serial
run of the same library.

Timed: the whole ``tuner.search()`` (or ``study.optimize()``) call. The process
pool starts its worker processes inside ``search()``, so its start-up is
included; the Dask cluster is started before the timed region (a cluster is
meant to outlive a search) and its start-up is reported on its own line.

Run from the repository root::

    .venv/bin/python benchmarks/parallel.py --repeats 3
"""

import argparse
import os
import statistics
import time

import tunecore as kt

N_TRIALS = 20
TRIAL_SECONDS = 0.2
WORKERS = 2


def sleep_objective(hp, n):
    x = hp.Float("x", 0.0, 1.0)
    time.sleep(TRIAL_SECONDS)
    return (x - 0.3) ** 2


def cpu_objective(hp, n):
    x = hp.Float("x", 0.0, 1.0)
    _burn(n)
    return (x - 0.3) ** 2


def noop_objective(hp, n):
    return hp.Float("x", 0.0, 1.0)


def _burn(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def calibrate():
    """Loop iterations that take TRIAL_SECONDS of CPU time in this process.

    CPU time, not wall time: on a shared machine the wall time of the loop
    depends on what else runs; the work per trial must not.
    """
    n = 200_000
    while True:
        start = time.process_time()
        _burn(n)
        elapsed = time.process_time() - start
        if elapsed > 0.05:
            return int(n * TRIAL_SECONDS / elapsed)
        n *= 2


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    return hp


def time_tunecore(objective, n, seed, **search_kwargs):
    tuner = kt.FunctionTuner(objective, max_trials=N_TRIALS, seed=seed, hyperparameters=_space())
    start = time.perf_counter()
    tuner.search(n, verbose=0, **search_kwargs)
    elapsed = time.perf_counter() - start
    done = sum(t.status == kt.TrialStatus.COMPLETED for t in tuner.oracle.trials.values())
    assert done == N_TRIALS, f"{done} of {N_TRIALS} trials completed"
    return elapsed


def time_optuna(objective, n, seed, n_jobs):
    import optuna

    def optuna_objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        if objective is sleep_objective:
            time.sleep(TRIAL_SECONDS)
        else:
            _burn(n)
        return (x - 0.3) ** 2

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    start = time.perf_counter()
    study.optimize(optuna_objective, n_trials=N_TRIALS, n_jobs=n_jobs)
    return time.perf_counter() - start


def start_dask():
    import distributed

    start = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1,
                                       processes=True, dashboard_address=":0")
    client = distributed.Client(cluster)
    client.wait_for_workers(WORKERS)
    return cluster, client, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import logging

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("tunecore").setLevel(logging.WARNING)
    from tunecore.executors.dask import DaskExecutor

    n = calibrate()
    load_before = os.getloadavg()
    objectives = {"sleep 0.2 s": sleep_objective, "CPU 0.2 s": cpu_objective}
    times = {}
    dask_startup = "Dask LocalCluster (2 worker processes), started before the search"
    pool_startup = "process pool: a 2-trial search of a no-op objective (start-up included)"
    startup = {dask_startup: [], pool_startup: []}

    def record(setup, objective_name, seconds):
        times.setdefault((setup, objective_name), []).append(seconds)

    for repeat in range(args.repeats):
        cluster, client, seconds = start_dask()
        startup[dask_startup].append(seconds)
        tuner = kt.FunctionTuner(noop_objective, max_trials=2, seed=repeat,
                                 hyperparameters=_space())
        start = time.perf_counter()
        tuner.search(n, executor="process", max_parallel_trials=WORKERS, verbose=0)
        startup[pool_startup].append(time.perf_counter() - start)
        for name, objective in objectives.items():
            record("tunecore serial", name, time_tunecore(objective, n, repeat))
            record("tunecore process pool, 2 workers", name,
                   time_tunecore(objective, n, repeat, executor="process",
                                 max_parallel_trials=WORKERS))
            record("tunecore Dask, 2 workers", name,
                   time_tunecore(objective, n, repeat, executor=DaskExecutor(client)))
            record("Optuna n_jobs=1", name, time_optuna(objective, n, repeat, 1))
            record("Optuna n_jobs=2", name, time_optuna(objective, n, repeat, 2))
        client.close()
        cluster.close()
        print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)

    baseline = {"tunecore": "tunecore serial", "Optuna": "Optuna n_jobs=1"}
    lines = [
        f"{N_TRIALS} trials of {TRIAL_SECONDS} s, {WORKERS} workers, {os.cpu_count()} CPUs, "
        f"median of {args.repeats} repeats (CPU loop: {n:,} iterations). "
        f"Load average before/after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f}.",
        "",
        "| setup | objective | median s | min s | max s | speed-up vs serial |",
        "|---|---|---|---|---|---|",
    ]
    setups = dict.fromkeys(setup for setup, _ in times)
    for name in objectives:
        for setup in setups:
            runs = times[(setup, name)]
            base = statistics.median(times[(baseline[setup.split()[0]], name)])
            median = statistics.median(runs)
            lines.append(
                f"| {setup} | {name} | {median:.2f} | {min(runs):.2f} | {max(runs):.2f} "
                f"| {base / median:.2f}x |"
            )
    lines += ["", "Start-up:"]
    for what, runs in startup.items():
        lines.append(f"- {what}: median {statistics.median(runs):.2f} s "
                     f"({', '.join(f'{s:.2f}' for s in runs)}).")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
