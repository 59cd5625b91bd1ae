"""One RandomSearch run for keras_tuner_overhead.py, in its own process.

Usage: python _keras_run.py {tunecore,keras_tuner,tunecore_keep3} SEED DIRECTORY
Prints one JSON line: wall time, time inside model.fit, project size, peak RSS.
"""

import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

TRIALS, EPOCHS = 20, 3


def main(framework, seed, directory):
    if framework == "keras_tuner":
        import keras_tuner as kt
    else:
        import tunecore as kt
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    fit_seconds = []

    class HyperModel(kt.HyperModel):
        def build(self, hp):
            model = keras.Sequential([keras.Input((64,))])
            for i in range(hp.Int("layers", 1, 2)):
                model.add(keras.layers.Dense(hp.Int(f"units_{i}", 16, 128, step=16), activation="relu"))
            model.add(keras.layers.Dense(10, activation="softmax"))
            model.compile(
                optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-4, 1e-2, sampling="log")),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
            return model

        def fit(self, hp, model, *args, **kwargs):
            start = time.perf_counter()
            history = model.fit(*args, **kwargs)
            fit_seconds.append(time.perf_counter() - start)
            return history

    extra = {"keep_best_checkpoints": 3} if framework == "tunecore_keep3" else {}
    tuner = kt.RandomSearch(
        HyperModel(), objective="val_accuracy", max_trials=TRIALS, seed=seed,
        directory=directory, project_name="bench", overwrite=True, **extra,
    )
    start = time.perf_counter()
    tuner.search(x, y, epochs=EPOCHS, validation_split=0.2, batch_size=64, verbose=0)
    wall = time.perf_counter() - start
    project = os.path.join(directory, "bench")
    size = sum(
        os.path.getsize(os.path.join(root, name)) for root, _, files in os.walk(project) for name in files
    )
    print(json.dumps({
        "framework": framework,
        "seed": seed,
        "trials": len(fit_seconds),
        "wall_s": wall,
        "fit_s": sum(fit_seconds),
        "outside_fit_per_trial_s": (wall - sum(fit_seconds)) / len(fit_seconds),
        "project_bytes": size,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "best": float(tuner.oracle.get_best_trials(1)[0].score),
    }))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
