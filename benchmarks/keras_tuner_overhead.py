"""tunecore's Keras tuner against Keras Tuner 1.4.8: overhead outside fit, disk, memory.

RandomSearch, 20 trials of 3 epochs of a small dense model on scikit-learn's
digits, the same search space and data for both. Each run is a fresh process
(so peak RSS is fair); runs alternate between frameworks; medians over seeds.

    python benchmarks/keras_tuner_overhead.py [--seeds 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

FRAMEWORKS = ("keras_tuner", "tunecore", "tunecore_keep3")
HERE = os.path.dirname(os.path.abspath(__file__))


def run(framework, seed):
    with tempfile.TemporaryDirectory() as directory:
        out = subprocess.run(
            [sys.executable, os.path.join(HERE, "_keras_run.py"), framework, str(seed), directory],
            check=True, capture_output=True, text=True,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    rows = {name: [] for name in FRAMEWORKS}
    for seed in range(args.seeds):
        for name in FRAMEWORKS:
            result = run(name, seed)
            rows[name].append(result)
            print(json.dumps(result), flush=True)
    print()
    print("| framework | outside fit per trial (s) | fit total (s) | wall (s) | project dir (KiB) | peak RSS (MiB) | best val_accuracy |")
    print("|---|---|---|---|---|---|---|")
    for name, results in rows.items():
        def median(key):
            return statistics.median(r[key] for r in results)
        print(
            f"| {name} | {median('outside_fit_per_trial_s'):.3f} | {median('fit_s'):.1f} | "
            f"{median('wall_s'):.1f} | {median('project_bytes') / 1024:.0f} | "
            f"{median('peak_rss_mb'):.0f} | {median('best'):.3f} |"
        )


if __name__ == "__main__":
    main()
