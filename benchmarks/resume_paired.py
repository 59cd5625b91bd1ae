"""Resume time of a 10,000-trial project, this checkout against another version, interleaved.

On a shared machine a wall-time figure moves with the other jobs; running the
two versions in turns, each resume in a fresh process, and comparing their
medians (wall and the process's own CPU time) takes the load out of the
difference. Each version first writes its own project (``tunecore.tune``,
the three hyperparameters of ``project_scale.py``), then rounds alternate the
order (before, after; after, before; ...).

Usage (the other version's ``src`` folder, e.g. exported with ``git archive``)::

    mkdir -p /tmp/before && git archive <commit> src | tar -x -C /tmp/before
    .venv/bin/python benchmarks/resume_paired.py --before /tmp/before/src --rounds 11
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

_MAKE = (
    "import sys, tunecore as kt\n"
    "kt.tune(lambda hp: hp.Float('x', 0, 1) + hp.Int('n', 1, 10) + len(hp.Choice('c', ['a', 'b', 'c'])),\n"
    "        max_trials=int(sys.argv[2]), seed=0, verbose=0, directory=sys.argv[1], project_name='p')\n"
)
_RESUME = (
    "import json, os, sys, time, tunecore\n"
    "path = sys.argv[1]\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "tuner = tunecore.FunctionTuner(lambda hp: 0.0, max_trials=1, seed=0,\n"
    "                               directory=os.path.dirname(path), project_name=os.path.basename(path))\n"
    "wall, cpu = time.perf_counter() - wall, time.process_time() - cpu\n"
    "print(json.dumps({'wall': wall, 'cpu': cpu, 'trials': len(tuner.oracle.trials)}))\n"
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the other version's src folder")
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args(argv)
    envs = {"before": {**os.environ, "PYTHONPATH": os.path.abspath(args.before)}, "after": dict(os.environ)}
    envs["after"].pop("PYTHONPATH", None)
    times = {version: {"wall": [], "cpu": []} for version in envs}
    with tempfile.TemporaryDirectory() as work:
        paths = {}
        for version, env in envs.items():
            folder = os.path.join(work, version)
            subprocess.run([sys.executable, "-c", _MAKE, folder, str(args.trials)], check=True, env=env)
            paths[version] = os.path.join(folder, "p")
            size = os.path.getsize(os.path.join(paths[version], "journal.jsonl"))
            print(f"{version}: {size / args.trials:.1f} bytes/trial", flush=True)
        for round_ in range(args.rounds):
            for version in (list(envs) if round_ % 2 == 0 else list(reversed(envs))):
                out = subprocess.run([sys.executable, "-c", _RESUME, paths[version]], check=True,
                                     capture_output=True, text=True, env=envs[version])
                result = json.loads(out.stdout.strip().splitlines()[-1])
                assert result["trials"] == args.trials, result
                for key in ("wall", "cpu"):
                    times[version][key].append(result[key])
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.rounds} resumes each, interleaved; load average {os.getloadavg()[0]:.1f} at the end.\n")
    print("| version | resume wall s, median (min-max) | resume CPU s, median (min-max) |")
    print("|---|---|---|")
    for version, found in times.items():
        cells = [f"{statistics.median(v):.3f} ({min(v):.3f}-{max(v):.3f})" for v in found.values()]
        print(f"| {version} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
