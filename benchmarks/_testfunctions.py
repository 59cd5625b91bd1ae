"""Test functions with known minima, and their search spaces for every framework.

A space is a list of parameter specs, built into each framework's own API:

* ``("float", name, low, high, log)``
* ``("int", name, low, high)``
* ``("choice", name, values)``  (unordered)

A spec may end with a condition, ``when(parent, values)``: the parameter is
active only while the (earlier) parameter ``parent`` holds one of ``values``
(Keras Tuner's ``parent_name`` / ``parent_values``; define-by-run for Optuna).
``fn`` then receives the active values only.

Every ``TestFunction.fn`` takes a dict of values and returns the value to
minimise; ``minimum`` is its known global minimum on the space. Domains are the
usual ones (Surjanovic & Bingham's Virtual Library of Simulation Experiments).
"""

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class TestFunction:
    """A problem: ``trials`` is the budget its targets are read at; ``log_regret``
    False for scores on a coarse grid (a CV error), where regret 0 is common and
    the plain difference reads better than its logarithm."""

    name: str
    space: list
    fn: object
    minimum: float
    trials: int = 50
    log_regret: bool = True

    @property
    def d(self):
        return len(self.space)


def _vector(values, n):
    return np.array([values[f"x{i}"] for i in range(n)], dtype=float)


def branin(values):
    x, y = values["x0"], values["x1"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_HARTMANN_A = np.array([
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
])
_HARTMANN_P = 1e-4 * np.array([
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
])


def hartmann6(values):
    x = _vector(values, 6)
    return float(-_HARTMANN_ALPHA @ np.exp(-np.sum(_HARTMANN_A * (x - _HARTMANN_P) ** 2, axis=1)))


def rosenbrock(values):
    x = _vector(values, 4)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def ackley(values):
    x = _vector(values, 5)
    d = len(x)
    return float(
        -20.0 * math.exp(-0.2 * math.sqrt(np.sum(x**2) / d))
        - math.exp(np.sum(np.cos(2 * math.pi * x)) / d) + 20.0 + math.e
    )


def levy(values):
    w = 1.0 + (_vector(values, 4) - 1.0) / 4.0
    middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    last = (w[-1] - 1) ** 2 * (1 + np.sin(2 * math.pi * w[-1]) ** 2)
    return float(np.sin(math.pi * w[0]) ** 2 + middle + last)


# Mixed: each activation has its own best learning rate and its own floor, so
# the categorical interacts with the log-scaled float. Minimum 0 at
# ("tanh", lr=1e-2, units=41).
_MIXED_BEST_LOG_LR = {"relu": -3.0, "tanh": -2.0, "gelu": -4.0}
_MIXED_FLOOR = {"relu": 0.3, "tanh": 0.0, "gelu": 0.6}


def mixed(values):
    act = values["act"]
    dlr = math.log10(values["lr"]) - _MIXED_BEST_LOG_LR[act]
    du = (values["units"] - 41) / 20.0
    return _MIXED_FLOOR[act] + dlr**2 + du**2 + 0.5 * dlr * du + 0.2 * (1 - math.cos(3 * math.pi * dlr))


# Ellipsoid: a rotated quadratic, condition number 100, off-centre minimum 0.
# Noise-free and smooth: what it measures is how close a method gets (precision).
_ELLIPSOID_CENTRE = np.array([1.3, -0.7, 2.1, -2.6])
_ELLIPSOID_Q = np.linalg.qr(np.random.default_rng(12).standard_normal((4, 4)))[0]
_ELLIPSOID_A = _ELLIPSOID_Q @ np.diag(np.logspace(0, 2, 4)) @ _ELLIPSOID_Q.T


def ellipsoid(values):
    z = _vector(values, 4) - _ELLIPSOID_CENTRE
    return float(z @ _ELLIPSOID_A @ z)


# Shekel (m = 10): ten narrow wells of different depths on [0, 10]^4.
_SHEKEL_BETA = 0.1 * np.array([1, 2, 2, 4, 4, 6, 3, 7, 5, 5], dtype=float)
_SHEKEL_C = np.array([
    [4, 1, 8, 6, 3, 2, 5, 8, 6, 7],
    [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
    [4, 1, 8, 6, 3, 2, 5, 8, 6, 7],
    [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
], dtype=float)


def shekel(values):
    x = _vector(values, 4)
    return float(-np.sum(1.0 / (np.sum((x[:, None] - _SHEKEL_C) ** 2, axis=0) + _SHEKEL_BETA)))


def levy10(values):
    w = 1.0 + (_vector(values, 10) - 1.0) / 4.0
    middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    last = (w[-1] - 1) ** 2 * (1 + np.sin(2 * math.pi * w[-1]) ** 2)
    return float(np.sin(math.pi * w[0]) ** 2 + middle + last)


# A real cross-validated search with tied scores: an SVC on 180 digits
# (scikit-learn ships them), 3-fold CV error (a multiple of 1/180), kernel choice
# (gamma does nothing for "linear", and whole regions of C and gamma tie).
# Minimum: 5/180, the best of a 25 x 25 (C, gamma) log-grid per kernel (6/180)
# and of every benchmark run so far (Optuna TPE and GP runs reached 5/180).
_SVC_DATA = {}


def svc_digits(values):
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    if not _SVC_DATA:
        X, y = load_digits(return_X_y=True)
        keep = np.random.default_rng(0).permutation(len(X))[:180]
        _SVC_DATA.update(X=X[keep] / 16.0, y=y[keep], cv=StratifiedKFold(3, shuffle=True, random_state=0))
    model = SVC(kernel=values["kernel"], C=values["C"], gamma=values["gamma"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        accuracy = cross_val_score(model, _SVC_DATA["X"], _SVC_DATA["y"], cv=_SVC_DATA["cv"]).mean()
    return float(round(1.0 - accuracy, 12))



# Michalewicz (m = 10): steep narrow valleys on [0, pi]^d whose width shrinks
# with the coordinate index; a length scale of the box misses them.
def michalewicz(values):
    x = _vector(values, 5)
    i = np.arange(1, len(x) + 1)
    return float(-np.sum(np.sin(x) * np.sin(i * x**2 / math.pi) ** 20))


def shekel7(values):
    x = _vector(values, 4)
    m = 7
    return float(-np.sum(1.0 / (np.sum((x[:, None] - _SHEKEL_C[:, :m]) ** 2, axis=0) + _SHEKEL_BETA[:m])))


def styblinski_tang(values):
    x = _vector(values, 8)
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def rosenbrock20(values):
    x = _vector(values, 20)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


# Branin embedded in 25 dimensions: only x7 and x19 matter (low effective
# dimension, as in Wang et al., REMBO, 2016); both on [0, 1], mapped onto
# Branin's box.
_BRANIN25_ACTIVE = ("x7", "x19")


def branin25(values):
    u, v = (values[name] for name in _BRANIN25_ACTIVE)
    return branin({"x0": -5.0 + 15.0 * u, "x1": 15.0 * v})


_SKLEARN_DATA = {}


def _digits(n):
    if n not in _SKLEARN_DATA:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import StratifiedKFold

        X, y = load_digits(return_X_y=True)
        keep = np.random.default_rng(1).permutation(len(X))[:n]
        _SKLEARN_DATA[n] = (X[keep] / 16.0, y[keep], StratifiedKFold(3, shuffle=True, random_state=1))
    return _SKLEARN_DATA[n]


def _cv_error(model, n):
    import warnings

    from sklearn.model_selection import cross_val_score

    X, y, cv = _digits(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        accuracy = cross_val_score(model, X, y, cv=cv).mean()
    return float(round(1.0 - accuracy, 12))


# A real SVC search with a conditional space: gamma exists for the rbf, poly and
# sigmoid kernels only, degree and coef0 for poly only (so the linear kernel has
# one hyperparameter, poly four). 3-fold CV error on 240 digits.
def svc_conditional(values):
    from sklearn.svm import SVC

    kernel = values["kernel"]
    kwargs = {"C": values["C"]}
    if kernel != "linear":
        kwargs["gamma"] = values["gamma"]
    if kernel == "poly":
        kwargs.update(degree=values["degree"], coef0=values["coef0"])
    return _cv_error(SVC(kernel=kernel, **kwargs), 240)


# A real pipeline search: an optional scaler, then one of three models, each with
# its own hyperparameters (active only when the model is chosen). 3-fold CV
# error on 300 digits.
def pipeline_choice(values):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    model = values["model"]
    if model == "logreg":
        estimator = LogisticRegression(C=values["lr_C"], max_iter=200)
    elif model == "knn":
        estimator = KNeighborsClassifier(n_neighbors=values["knn_k"], weights=values["knn_weights"],
                                         p=values["knn_p"])
    else:
        estimator = DecisionTreeClassifier(max_depth=values["tree_depth"], min_samples_leaf=values["tree_leaf"],
                                           random_state=0)
    scaler = {"none": None, "standard": StandardScaler(), "minmax": MinMaxScaler()}[values["scaler"]]
    return _cv_error(make_pipeline(scaler, estimator) if scaler is not None else estimator, 300)


def when(parent, values):
    """The condition that ends a conditional spec (see the module docstring)."""
    return ("when", parent, tuple(values))


def condition(spec):
    """``(parent, values)`` of a conditional spec, or None."""
    last = spec[-1]
    return (last[1], last[2]) if isinstance(last, tuple) and last and last[0] == "when" else None


def is_active(spec, values):
    """Whether ``spec`` is active given the values chosen so far."""
    cond = condition(spec)
    return cond is None or (cond[0] in values and values[cond[0]] in cond[1])


def _box(n, low, high):
    return [("float", f"x{i}", low, high, False) for i in range(n)]


FUNCTIONS = {
    f.name: f
    for f in [
        TestFunction("branin", [("float", "x0", -5.0, 10.0, False), ("float", "x1", 0.0, 15.0, False)],
                     branin, 0.397887357729739),
        TestFunction("hartmann6", _box(6, 0.0, 1.0), hartmann6, -3.322368011391339),
        TestFunction("rosenbrock4", _box(4, -5.0, 10.0), rosenbrock, 0.0),
        TestFunction("ackley5", _box(5, -32.768, 32.768), ackley, 0.0),
        TestFunction("levy4", _box(4, -10.0, 10.0), levy, 0.0),
        TestFunction("mixed", [
            ("float", "lr", 1e-5, 1e-1, True),
            ("int", "units", 1, 64),
            ("choice", "act", ["relu", "tanh", "gelu"]),
        ], mixed, 0.0),
        TestFunction("ellipsoid4", _box(4, -5.0, 5.0), ellipsoid, 0.0),
        TestFunction("shekel4", _box(4, 0.0, 10.0), shekel, -10.536443153483),
        TestFunction("svc_digits", [
            ("float", "C", 1e-2, 1e4, True),
            ("float", "gamma", 1e-5, 1e1, True),
            ("choice", "kernel", ["linear", "rbf", "poly", "sigmoid"]),
        ], svc_digits, 5 / 180, log_regret=False),
        TestFunction("levy10", _box(10, -10.0, 10.0), levy10, 0.0, trials=100),
        # issue 24: narrow wells, 20-25 dimensions, conditional scikit-learn searches
        TestFunction("michalewicz5", _box(5, 0.0, math.pi), michalewicz, -4.687658179),
        TestFunction("shekel7", _box(4, 0.0, 10.0), shekel7, -10.4029405668),
        TestFunction("styblinski8", _box(8, -5.0, 5.0), styblinski_tang, -39.16616570377142 * 8),
        TestFunction("rosenbrock20", _box(20, -5.0, 10.0), rosenbrock20, 0.0, trials=100),
        TestFunction("branin25", _box(25, 0.0, 1.0), branin25, 0.397887357729739, trials=100),
        TestFunction("svc_conditional", [
            ("choice", "kernel", ["linear", "rbf", "poly"]),
            ("float", "C", 1e-3, 1e4, True),
            ("float", "gamma", 1e-5, 1e1, True, when("kernel", ["rbf", "poly"])),
            ("int", "degree", 2, 5, when("kernel", ["poly"])),
            ("float", "coef0", 0.0, 2.0, False, when("kernel", ["poly"])),
        ], svc_conditional, 0.0, log_regret=False),
        TestFunction("pipeline_choice", [
            ("choice", "scaler", ["none", "standard", "minmax"]),
            ("choice", "model", ["logreg", "knn", "tree"]),
            ("float", "lr_C", 1e-4, 1e3, True, when("model", ["logreg"])),
            ("int", "knn_k", 1, 40, when("model", ["knn"])),
            ("choice", "knn_weights", ["uniform", "distance"], when("model", ["knn"])),
            ("int", "knn_p", 1, 2, when("model", ["knn"])),
            ("int", "tree_depth", 1, 30, when("model", ["tree"])),
            ("int", "tree_leaf", 1, 30, when("model", ["tree"])),
        ], pipeline_choice, 0.0, log_regret=False),
    ]
}

# Synthetic conditional problems (issue 24, cond37): is a branch-focused search
# trapped? Every input on [0, 1], global minimum 0. Not in FUNCTIONS (the default
# "all problems"): name them with ``bayes_regret.py --functions``.
_CORNER = np.array([0.97, 0.03, 0.97])
_LOCAL_WELL, _FAR_WELL = np.array([0.45, 0.55, 0.5, 0.45]), np.array([0.92, 0.08, 0.9, 0.95])


def _mean_square(values, names, centre):
    return float(np.mean((np.array([values[n] for n in names]) - centre) ** 2))


def _branin_unit(values, a, b):
    return branin({"x0": -5.0 + 15.0 * values[a], "x1": 15.0 * values[b]}) - 0.397887357729739


def cond_corner(values):
    """Four branches on their own inputs; ``c``'s minimum (0) is in a corner and its
    random points are worse than ``d``'s floor (0.2): better only once refined."""
    kind = values["kind"]
    if kind == "a":
        return _branin_unit(values, "a0", "a1") + 0.3
    if kind == "b":
        return _branin_unit(values, "b0", "b1") + 0.6
    if kind == "c":
        return 3.0 * _mean_square(values, ["c0", "c1", "c2"], _CORNER)
    return 0.2 + 2.0 * _mean_square(values, ["d0", "d1", "d2"], np.array([0.35, 0.6, 0.45]))


def cond_levy(values):
    """Three branches sharing ``x0``: Branin + 0.4, Levy 4-D (0; many basins),
    Rosenbrock 3-D / 10 + 0.2."""
    kind = values["kind"]
    if kind == "a":
        return _branin_unit(values, "x0", "x1") + 0.4
    if kind == "b":
        return levy({f"x{i}": -10.0 + 20.0 * values[f"x{i}"] for i in range(4)})
    z = -2.0 + 4.0 * np.array([values["x0"], values["y0"], values["y1"]])
    return float(np.sum(100.0 * (z[1:] - z[:-1] ** 2) ** 2 + (1.0 - z[:-1]) ** 2)) / 10.0 + 0.2


def _two_wells(x):
    return (1.0 - 0.7 * math.exp(-np.sum((x - _LOCAL_WELL) ** 2) / 0.18)
            - math.exp(-np.sum((x - _FAR_WELL) ** 2) / 0.18))


_TWO_WELLS_MIN = -0.0063547498544  # at (0.91694, 0.08306, 0.89739, 0.94674)


def cond_twowell(values):
    """Two branches sharing ``x0``, ``x1``: a bowl (0.5) and a 4-D branch with a broad
    well (0.31) near the centre and the deeper one (0) 0.48 (RMS) away from it."""
    if values["kind"] == "a":
        return 0.5 + 2.0 * _mean_square(values, ["x0", "x1"], np.array([0.3, 0.7]))
    return _two_wells(np.array([values[f"x{i}"] for i in range(4)])) - _TWO_WELLS_MIN


def _branches(kinds, inputs):
    """A choice ``kind`` and unit floats, each active under the options it names."""
    return [("choice", "kind", kinds)] + [("float", name, 0.0, 1.0, False, when("kind", on)) for name, on in inputs]


CONDITIONAL = {
    f.name: f
    for f in [
        TestFunction("cond_corner", _branches(["a", "b", "c", "d"], [
            ("a0", ["a"]), ("a1", ["a"]), ("b0", ["b"]), ("b1", ["b"]),
            *((f"c{i}", ["c"]) for i in range(3)), *((f"d{i}", ["d"]) for i in range(3))]), cond_corner, 0.0),
        TestFunction("cond_levy", _branches(["a", "b", "c"], [
            ("x0", ["a", "b", "c"]), ("x1", ["a", "b"]), ("x2", ["b"]), ("x3", ["b"]),
            ("y0", ["c"]), ("y1", ["c"])]), cond_levy, 0.0),
        TestFunction("cond_twowell", _branches(["a", "b"], [
            ("x0", ["a", "b"]), ("x1", ["a", "b"]), ("x2", ["b"]), ("x3", ["b"])]), cond_twowell, 0.0),
    ]
}
PROBLEMS = {**FUNCTIONS, **CONDITIONAL}

ORIGINAL = ("branin", "hartmann6", "rosenbrock4", "ackley5", "levy4", "mixed")
ISSUE24 = ("michalewicz5", "shekel7", "styblinski8", "rosenbrock20", "branin25", "svc_conditional",
           "pipeline_choice")


def keras_hyperparameters(space, module):
    """Declares ``space`` on ``module.HyperParameters()`` (tunecore or keras_tuner)."""
    hp = module.HyperParameters()
    for spec in space:
        kind, name = spec[0], spec[1]
        cond = condition(spec)
        parent = {} if cond is None else {"parent_name": cond[0], "parent_values": list(cond[1])}
        if kind == "float":
            hp.Float(name, spec[2], spec[3], sampling="log" if spec[4] else "linear", **parent)
        elif kind == "int":
            hp.Int(name, spec[2], spec[3], **parent)
        else:
            hp.Choice(name, spec[2], ordered=False, **parent)
    return hp


def optuna_study(sampler_name, seed):
    """A quiet Optuna study minimising with ``"gp"`` (GPSampler, torch on one thread) or
    ``"tpe"`` (TPESampler), seeded."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler_name == "gp":
        import torch

        torch.set_num_threads(1)
        sampler = optuna.samplers.GPSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    return optuna.create_study(sampler=sampler, direction="minimize")


def optuna_distributions(space):
    """The space as a dict of Optuna distributions, for ``study.ask`` (conditions
    are applied by ``optuna_suggest``)."""
    import optuna.distributions as dist

    out = {}
    for spec in space:
        kind, name = spec[0], spec[1]
        if kind == "float":
            out[name] = dist.FloatDistribution(spec[2], spec[3], log=spec[4])
        elif kind == "int":
            out[name] = dist.IntDistribution(spec[2], spec[3])
        else:
            out[name] = dist.CategoricalDistribution(spec[2])
    return out


def optuna_suggest(trial, space):
    """Samples ``space`` define-by-run on an Optuna trial (only active parameters)."""
    values = {}
    for spec in space:
        kind, name = spec[0], spec[1]
        if not is_active(spec, values):
            continue
        if kind == "float":
            values[name] = trial.suggest_float(name, spec[2], spec[3], log=spec[4])
        elif kind == "int":
            values[name] = trial.suggest_int(name, spec[2], spec[3])
        else:
            values[name] = trial.suggest_categorical(name, spec[2])
    return values
