"""What pruning saves: steps spent and best score, tunecore's pruners against Optuna's, same objective.

Objectives (learning curves, one step = one epoch of training):

* ``sgd``: scikit-learn's ``SGDClassifier`` trained with ``partial_fit`` on the
  digits data scikit-learn ships (1,257 training and 540 validation images);
  tuned: ``alpha`` (log), ``eta0`` (log), ``learning_rate``, ``loss``. It
  reports the validation accuracy after each epoch.
* ``keras``: a tiny Keras MLP (one hidden layer) on generated two-class data;
  tuned: units, learning rate (log), activation. It reports ``val_accuracy``
  after each epoch.

Each search runs ``--trials`` trials of up to ``--steps`` steps. The
configurations are the same for every method of a seed, in the same order:
tunecore's ``RandomSearch`` draws them (its draws do not depend on what was
pruned), and Optuna gets the same list through ``study.enqueue_trial``. So
the pruners alone differ:

* ``none``: no pruning (the reference);
* ``tunecore_median`` / ``optuna_median``: median rule, 5 trials and 2 warm-up
  steps first (Optuna: ``MedianPruner(n_startup_trials=5, n_warmup_steps=2)``);
* ``tunecore_asha`` / ``optuna_sh``: successive halving, first rung at step 1,
  reduction factor 3 (Optuna: ``SuccessiveHalvingPruner(min_resource=1,
  reduction_factor=3)``).

For each method and seed: the steps run (all trials), and the best validation
accuracy among the trials that ran to the end (a pruned trial's partial
score does not count). The table gives medians over seeds, the step saving
against ``none`` of the same library's sampler, and the quality gap.

Run from the repository root::

    .venv/bin/python benchmarks/pruning.py --seeds 5
    .venv/bin/python benchmarks/pruning.py --objectives keras --seeds 3
"""

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from _common import markdown_table, median, silence_frameworks  # noqa: E402

silence_frameworks()

import numpy as np  # noqa: E402

import tunecore as kt  # noqa: E402
from tunecore.pruners import MedianPruner, SuccessiveHalvingPruner  # noqa: E402


# Objectives: (space sampler for each library, a training loop yielding accuracies) -------------

def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_val), y_train, y_val


_DATA = {}


def sgd_curve(params, steps):
    from sklearn.linear_model import SGDClassifier

    if "sgd" not in _DATA:
        _DATA["sgd"] = _digits()
    x_train, x_val, y_train, y_val = _DATA["sgd"]
    model = SGDClassifier(alpha=params["alpha"], eta0=params["eta0"], learning_rate=params["learning_rate"],
                          loss=params["loss"], random_state=0)
    classes = np.unique(y_train)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)
        yield float(model.score(x_val, y_val))


def sgd_space(suggest):
    return {
        "alpha": suggest("float", "alpha", 1e-6, 1e-1, True),
        "eta0": suggest("float", "eta0", 1e-4, 1.0, True),
        "learning_rate": suggest("choice", "learning_rate", ["constant", "invscaling", "adaptive"]),
        "loss": suggest("choice", "loss", ["hinge", "log_loss", "modified_huber"]),
    }


def keras_curve(params, steps):
    import keras

    if "keras" not in _DATA:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(600, 10)).astype("float32")
        y = ((x[:, 0] * x[:, 1] + np.sin(x[:, 2]) + 0.3 * rng.normal(size=600)) > 0).astype("float32")
        _DATA["keras"] = (x[:400], x[400:], y[:400], y[400:])
    x_train, x_val, y_train, y_val = _DATA["keras"]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((10,)),
        keras.layers.Dense(params["units"], activation=params["activation"]),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(keras.optimizers.Adam(params["lr"]), "binary_crossentropy", metrics=["accuracy"])
    for _ in range(steps):
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=1, batch_size=64, verbose=0)
        yield float(history.history["val_accuracy"][-1])


def keras_space(suggest):
    return {
        "units": suggest("int", "units", 2, 64, False),
        "lr": suggest("float", "lr", 1e-4, 1e-1, True),
        "activation": suggest("choice", "activation", ["relu", "tanh"]),
    }


OBJECTIVES = {"sgd": (sgd_space, sgd_curve), "keras": (keras_space, keras_curve)}


# Runners ------------------------------------------------------------------------------------------

def run_tunecore(objective, pruner, seed, trials, steps):
    space, curve = OBJECTIVES[objective]

    def fn(hp, trial):
        def suggest(kind, name, *args):
            if kind == "float":
                low, high, log = args
                return hp.Float(name, low, high, sampling="log" if log else "linear")
            if kind == "int":
                low, high, _ = args
                return hp.Int(name, low, high)
            return hp.Choice(name, args[0])

        accuracy = None
        for step, accuracy in enumerate(curve(space(suggest), steps)):
            trial.report(step, val_accuracy=accuracy)
        return {"val_accuracy": accuracy}

    hps = kt.HyperParameters()
    space(lambda kind, name, *args: _declare(hps, kind, name, *args))
    pruners = {
        "none": None,
        "median": MedianPruner(warmup_steps=2, min_trials=5),
        "asha": SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    }
    tuner = kt.tune(fn, objective="val_accuracy", max_trials=trials, seed=seed, verbose=0,
                    hyperparameters=hps, pruner=pruners[pruner])
    done = [t for t in tuner.oracle.trials.values() if t.status == kt.TrialStatus.COMPLETED]
    spent = sum(len(t.metrics.get_history("val_accuracy")) for t in tuner.oracle.trials.values())
    best = max((t.metrics.get_last_value("val_accuracy") for t in done), default=None)
    return spent, best


def _declare(hps, kind, name, *args):
    if kind == "float":
        low, high, log = args
        return hps.Float(name, low, high, sampling="log" if log else "linear")
    if kind == "int":
        return hps.Int(name, args[0], args[1])
    return hps.Choice(name, args[0])


def configurations(objective, seed, trials):
    """The configurations tunecore's random search tries for ``seed``, in order."""
    space, _ = OBJECTIVES[objective]
    hps = kt.HyperParameters()
    space(lambda kind, name, *args: _declare(hps, kind, name, *args))
    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=trials, seed=seed, hyperparameters=hps)
    values = []
    for _ in range(trials):
        trial = oracle.ask()
        values.append(dict(trial.hyperparameters.values))
        oracle.tell(trial.trial_id, 0.0)
    return values


def run_optuna(objective, pruner, seed, trials, steps):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space, curve = OBJECTIVES[objective]
    pruners = {
        "none": optuna.pruners.NopPruner(),
        "median": optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2),
        "sh": optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    }
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed),
                                pruner=pruners[pruner])
    for params in configurations(objective, seed, trials):
        study.enqueue_trial(params)
    spent = 0

    def fn(trial):
        nonlocal spent

        def suggest(kind, name, *args):
            if kind == "float":
                low, high, log = args
                return trial.suggest_float(name, low, high, log=log)
            if kind == "int":
                return trial.suggest_int(name, args[0], args[1])
            return trial.suggest_categorical(name, args[0])

        accuracy = None
        for step, accuracy in enumerate(curve(space(suggest), steps)):
            spent += 1
            trial.report(accuracy, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return accuracy

    study.optimize(fn, n_trials=trials)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return spent, max((t.value for t in done), default=None)


METHODS = {
    "tunecore_none": (run_tunecore, "none"),
    "tunecore_median": (run_tunecore, "median"),
    "tunecore_asha": (run_tunecore, "asha"),
    "optuna_none": (run_optuna, "none"),
    "optuna_median": (run_optuna, "median"),
    "optuna_sh": (run_optuna, "sh"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objectives", nargs="+", default=["sgd", "keras"], choices=sorted(OBJECTIVES))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()

    for objective in args.objectives:
        results = {}
        for method in args.methods:
            runner, pruner = METHODS[method]
            results[method] = [runner(objective, pruner, seed, args.trials, args.steps) for seed in range(args.seeds)]
            print(f"  {objective} {method}: {results[method]}", flush=True)
        rows = []
        for method in args.methods:
            reference = results.get(method.split("_")[0] + "_none")
            steps = median([s for s, _ in results[method]])
            best = median([b for _, b in results[method]])
            saved = gap = "-"
            if reference:
                ref_steps = median([s for s, _ in reference])
                ref_best = median([b for _, b in reference])
                saved = f"{100 * (1 - steps / ref_steps):.0f} %"
                gap = f"{100 * (best - ref_best) / ref_best:+.1f} %"
            rows.append([method, f"{steps:.0f}", saved, f"{best:.4f}", gap])
        print()
        print(f"### {objective}: {args.trials} trials x {args.steps} steps, {args.seeds} seeds (medians)")
        print()
        print(markdown_table(["method", "steps", "steps saved", "best val accuracy", "vs unpruned"], rows))
        print()


if __name__ == "__main__":
    main()
