"""Many drivers, one database: tunecore's SQL storage against Optuna's RDB storage (issue 26).

The same script started N times on one study, every copy a driver, is how
searches are spread over a cluster with a database (a SLURM array job, a
Kubernetes Job). Here N driver processes share one search on SQLite (a file)
or PostgreSQL (a server on this machine), with:

* ``tunecore``: ``tunecore.tune(fn, max_trials=T, storage=URL, project_name=...)``
  in every driver; ``max_trials`` counts the whole search, so together they
  run T trials.
* ``optuna``: ``optuna.load_study(storage=RDBStorage(URL), sampler=RandomSampler())``
  and ``study.optimize(fn, callbacks=[MaxTrialsCallback(T)])`` in every driver,
  Optuna's own way to count trials over the whole study.

The objective is instant and the same for both (a float, an int and a choice,
``x + n``), with random search, so a driver's time is the framework's and the
database's. Each driver imports its framework and opens the study first,
says it is ready, and waits for a common start time set once all are; trials per second is T divided by the
time from that start to the last driver's end, and the per-trial overhead is
the drivers' busy time (N x that span) divided by T. Frameworks alternate per
configuration, each on a fresh database.

Then the 10,000-trial project, tunecore only, on each backend: the time one
driver takes to run it, the database's size, the time to resume it (a tuner
opening it, replaying every event) and ``tunecore.load``.

PostgreSQL: pass ``--postgres-url`` (a server where the user may create
databases) or start one with ``source .ci/postgres.sh && postgres_start``,
which exports ``TUNECORE_TEST_POSTGRES_URL``.

Usage::

    .venv/bin/python benchmarks/many_drivers.py                                  # 1, 4, 8 drivers, both backends
    .venv/bin/python benchmarks/many_drivers.py --drivers 1 --trials 300 --scale 0
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import _common

_common.silence_frameworks()


objective_tunecore = _common.trivial_objective
objective_optuna = _common.trivial_objective_optuna


# One driver (a process of its own) -------------------------------------------


def driver(framework, url, name, trials, out):
    if framework == "tunecore":
        import tunecore
        from tunecore.storage import SQLStorage

        storage = SQLStorage(url, name)
        tuner = tunecore.FunctionTuner(objective_tunecore, max_trials=trials, storage=storage, project_name=name)
        _wait(out)
        begin = time.time()
        tuner.search(verbose=0)
        end = time.time()
    else:
        import optuna
        from optuna.study import MaxTrialsCallback

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        storage = optuna.storages.RDBStorage(url, engine_kwargs=_optuna_engine_kwargs(url))
        study = optuna.load_study(study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler())
        _wait(out)
        begin = time.time()
        study.optimize(objective_optuna, callbacks=[MaxTrialsCallback(trials, states=None)],
                       catch=(), gc_after_trial=False)
        end = time.time()
    with open(out, "w") as file:
        json.dump({"begin": begin, "end": end}, file)


def _optuna_engine_kwargs(url):
    return {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}


def _wait(out):
    """Say this driver is ready (``out.ready``), then wait for the common start (``out``'s folder, ``go``)."""
    open(out + ".ready", "w").close()
    go = os.path.join(os.path.dirname(out), "go")
    while not os.path.exists(go):
        time.sleep(0.005)
    with open(go) as file:
        start_at = float(file.read() or 0)
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)


# A configuration: N drivers on a fresh database ------------------------------


def run_config(framework, backend, drivers, trials, workdir, admin_url):
    name = "bench"
    url, drop = _fresh_database(backend, workdir, admin_url)
    try:
        if framework == "optuna":
            import optuna

            optuna.logging.set_verbosity(optuna.logging.ERROR)
            optuna.create_study(study_name=name, storage=optuna.storages.RDBStorage(
                url, engine_kwargs=_optuna_engine_kwargs(url)))
        else:  # the schema and the project exist before the drivers start, as Optuna's study does
            import tunecore

            tunecore.FunctionTuner(objective_tunecore, max_trials=trials, storage=url, project_name=name)
        folder = tempfile.mkdtemp(dir=workdir)
        outs = [os.path.join(folder, f"driver{i}.json") for i in range(drivers)]
        procs = [subprocess.Popen([sys.executable, __file__, "--driver", framework, url, name, str(trials), out])
                 for out in outs]
        while not all(os.path.exists(out + ".ready") for out in outs):  # imported, study opened
            if any(proc.poll() not in (None, 0) for proc in procs):
                raise SystemExit(f"a {framework} driver failed to start on {backend}")
            time.sleep(0.01)
        start_at = time.time() + 0.2
        with open(os.path.join(folder, "go.tmp"), "w") as file:
            file.write(repr(start_at))
        os.rename(os.path.join(folder, "go.tmp"), os.path.join(folder, "go"))
        for proc in procs:
            if proc.wait() != 0:
                raise SystemExit(f"a {framework} driver failed on {backend} (exit {proc.returncode})")
        results = [json.load(open(out)) for out in outs]
        late = max(r["begin"] for r in results) - start_at
        span = max(r["end"] for r in results) - start_at
        count = _count_trials(framework, url, name)
        return {"framework": framework, "backend": backend, "drivers": drivers, "trials": count,
                "seconds": span, "trials_per_s": count / span, "overhead_ms": 1000 * drivers * span / count,
                "late_start_s": late}
    finally:
        drop()


def _count_trials(framework, url, name):
    if framework == "optuna":
        import optuna

        return len(optuna.load_study(study_name=name, storage=url).trials)
    import tunecore

    return len(tunecore.load(url, project_name=name).trials)


def _fresh_database(backend, workdir, admin_url):
    """``(url, drop)``: a new empty database on ``backend``."""
    if backend == "sqlite":
        path = os.path.join(workdir, f"{uuid.uuid4().hex[:8]}.db")

        def drop():
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
        return f"sqlite:///{path}", drop
    import sqlalchemy

    server = sqlalchemy.engine.make_url(admin_url).set(drivername="postgresql+psycopg")
    db = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {db}")

    def drop():
        admin.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        admin.dispose()
    return server.set(database=db).render_as_string(hide_password=False), drop


# The 10,000-trial project ----------------------------------------------------


def scale(backend, trials, workdir, admin_url):
    import tunecore

    url, drop = _fresh_database(backend, workdir, admin_url)
    try:
        begin = time.perf_counter()
        tunecore.tune(objective_tunecore, max_trials=trials, storage=url, project_name="big", verbose=0)
        run = time.perf_counter() - begin
        size = _size(backend, url)
        begin = time.perf_counter()
        tuner = tunecore.FunctionTuner(objective_tunecore, max_trials=trials, storage=url, project_name="big")
        resume = time.perf_counter() - begin
        assert len(tuner.oracle.trials) == trials
        tuner.oracle.close()
        begin = time.perf_counter()
        project = tunecore.load(url, project_name="big")
        load = time.perf_counter() - begin
        assert len(project.trials) == trials
        return {"backend": backend, "trials": trials, "run_s": run, "trials_per_s": trials / run,
                "size_mb": size / 1e6, "bytes_per_trial": size / trials, "resume_s": resume, "load_s": load}
    finally:
        drop()


def _size(backend, url):
    import sqlalchemy

    if backend == "sqlite":
        path = url[len("sqlite:///"):]
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        return os.path.getsize(path)
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        size = conn.exec_driver_sql(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "WHERE c.relname LIKE 'tunecore_%%' AND c.relkind = 'r'").scalar()
    engine.dispose()
    return int(size)


# Main ------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--driver", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--drivers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--trials", type=int, default=400, help="trials per search, all drivers together")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--frameworks", nargs="+", default=["tunecore", "optuna"])
    parser.add_argument("--scale", type=int, default=10000, help="trials of the large project (0: skip)")
    parser.add_argument("--postgres-url", default=os.environ.get("TUNECORE_TEST_POSTGRES_URL"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if args.driver:
        framework, url, name, trials, out = args.driver
        return driver(framework, url, name, int(trials), out)
    if "postgresql" in args.backends and not args.postgres_url:
        raise SystemExit("PostgreSQL: pass --postgres-url or `source .ci/postgres.sh && postgres_start`")
    rows, scaled = [], []
    with tempfile.TemporaryDirectory() as workdir:
        for backend in args.backends:
            for drivers in args.drivers:
                for framework in args.frameworks:
                    row = run_config(framework, backend, drivers, args.trials, workdir, args.postgres_url)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        if args.scale:
            for backend in args.backends:
                scaled.append(scale(backend, args.scale, workdir, args.postgres_url))
                print(json.dumps(scaled[-1]), flush=True)
    print()
    print(_common.markdown_table(
        ["backend", "drivers", "framework", "trials", "seconds", "trials/s", "overhead ms/trial"],
        [[r["backend"], r["drivers"], r["framework"], r["trials"], f"{r['seconds']:.2f}",
          f"{r['trials_per_s']:.0f}", f"{r['overhead_ms']:.2f}"] for r in rows]))
    if scaled:
        print()
        print(_common.markdown_table(
            ["backend", "trials", "run s", "trials/s", "size MB", "bytes/trial", "resume s", "load s"],
            [[s["backend"], s["trials"], f"{s['run_s']:.1f}", f"{s['trials_per_s']:.0f}", f"{s['size_mb']:.2f}",
              f"{s['bytes_per_trial']:.0f}", f"{s['resume_s']:.2f}", f"{s['load_s']:.2f}"] for s in scaled]))
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"rows": rows, "scale": scaled}, file, indent=1)


if __name__ == "__main__":
    main()
