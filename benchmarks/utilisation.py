"""How busy tunecore keeps a Dask cluster: worker utilisation and trials per second, 1 to 32 workers.

A ``distributed.LocalCluster`` of W single-threaded workers (threads of this
process: the trials sleep, so they need no CPU) runs ``--rounds`` x W trials
that each sleep ``--seconds`` (1 s), with random search and with Bayesian
optimisation (``tunecore-bayes``) over a 4-D space (two floats, an int, a
choice). The space is declared up front, as a model-based search would.

Utilisation = the trials' own run time / (W x the search's wall time): the
share of the cluster that ran trials. What it loses is the driver's time to
suggest, start and record trials. The cluster is started before the timed
region (a cluster outlives a search).

Run from the repository root::

    .venv/bin/python benchmarks/utilisation.py
    .venv/bin/python benchmarks/utilisation.py --workers 32 --oracles bayesian
"""

import argparse
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from _common import markdown_table, silence_frameworks  # noqa: E402

silence_frameworks()

import distributed  # noqa: E402

import tunecore as kt  # noqa: E402
from tunecore.executors.dask import DaskExecutor  # noqa: E402


def _space():
    hps = kt.HyperParameters()
    hps.Float("x", -2.0, 2.0)
    hps.Float("lr", 1e-4, 1e-1, sampling="log")
    hps.Int("units", 8, 256)
    hps.Choice("kind", ["a", "b", "c"])
    return hps


def make_objective(seconds):
    def objective(hp):
        start = time.perf_counter()
        time.sleep(seconds)
        value = (hp["x"] - 0.5) ** 2 + (hp["units"] - 100) ** 2 / 1e4 + (hp["kind"] != "b")
        return {"loss": value, "busy": time.perf_counter() - start}
    return objective


def run(oracle, workers, rounds, seconds, seed, ask_ahead=None):
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    client = distributed.Client(cluster)
    try:
        tuner = kt.FunctionTuner(make_objective(seconds), objective="loss", max_trials=rounds * workers,
                                 oracle=oracle, hyperparameters=_space(), seed=seed)
        start = time.perf_counter()
        tuner.search(executor=DaskExecutor(client), verbose=0, ask_ahead=ask_ahead)
        wall = time.perf_counter() - start
    finally:
        client.close()
        cluster.close()
    trials = list(tuner.oracle.trials.values())
    busy = sum(t.metrics.get_last_value("busy") for t in trials if t.status == kt.TrialStatus.COMPLETED)
    return {"trials": len(trials), "wall": wall, "utilisation": busy / (workers * wall),
            "per_second": len(trials) / wall}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--oracles", nargs="+", default=["random", "bayesian"])
    parser.add_argument("--rounds", type=int, default=5, help="trials per worker")
    parser.add_argument("--seconds", type=float, default=1.0, help="each trial's sleep")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ask-ahead", type=int, default=None, help="search(ask_ahead=); default: tunecore's")
    args = parser.parse_args()

    rows = []
    for oracle in args.oracles:
        for workers in args.workers:
            result = run(oracle, workers, args.rounds, args.seconds, args.seed, args.ask_ahead)
            ideal = workers / args.seconds
            rows.append([
                oracle, workers, result["trials"], f"{result['wall']:.1f}",
                f"{100 * result['utilisation']:.0f} %", f"{result['per_second']:.2f}", f"{ideal:.0f}",
            ])
            print(rows[-1], flush=True)
    print()
    print(markdown_table(
        ["oracle", "workers", "trials", "wall s", "utilisation", "trials/s", "ideal trials/s"], rows
    ))


if __name__ == "__main__":
    main()
