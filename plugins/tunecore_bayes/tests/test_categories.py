"""Unordered choices in the acquisition's search (``categories``), through the public API."""

import math

import numpy as np
import pytest

import tunecore as kt
from tunecore.testing import run_trials
from tunecore_bayes.encoding import SpaceEncoder


def _svc_space():
    """An SVC-like space: gamma exists for two of three kernels, degree for one."""
    hp = kt.HyperParameters()
    hp.Choice("kernel", ["linear", "rbf", "poly"])
    hp.Float("C", 1e-3, 1e3, sampling="log")
    with hp.conditional_scope("kernel", ["rbf", "poly"]):
        hp.Float("gamma", 1e-4, 1e1, sampling="log")
    with hp.conditional_scope("kernel", ["poly"]):
        hp.Int("degree", 2, 5)
    return hp


def _svc_loss(values):
    """Best under rbf at gamma = 1e-2, C = 10; the linear kernel ignores gamma."""
    c = math.log10(values["C"]) - 1.0
    if values["kernel"] == "linear":
        return 0.3 + 0.05 * c**2
    gamma = math.log10(values["gamma"]) + 2.0
    base = 0.0 if values["kernel"] == "rbf" else 0.1 + 0.02 * abs(values["degree"] - 3)
    return base + 0.05 * c**2 + 0.1 * gamma**2


def _branin(values):
    x, y = values["x"], values["y"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


@pytest.mark.slow
def test_category_search_changes_nothing_on_a_space_without_unordered_choices():
    def run(categories):
        hp = kt.HyperParameters()
        hp.Float("x", -5.0, 10.0)
        hp.Float("y", 0.0, 15.0)
        hp.Int("n", 1, 9)
        hp.Choice("s", [1, 2, 4, 8], ordered=True)
        oracle = kt.oracles.BayesianOptimization(
            objective="loss", max_trials=10, hyperparameters=hp, seed=3, categories=categories)
        return [t.hyperparameters.values for t in run_trials(oracle, lambda v: _branin(v) + v["n"] + v["s"])]

    relaxed = run("relax")
    assert all(run(categories) == relaxed for categories in ("hold", "enumerate", "split", "branch"))


def test_category_variants_try_every_option_and_switch_branches_consistently():
    encoder = SpaceEncoder(_svc_space().space)
    linear = encoder.encode({"kernel": "linear", "C": 1.0})

    variants = encoder.category_variants(linear[None, :])

    decoded = [encoder.decode(row, _svc_space().space) for row in variants]
    assert [v["kernel"] for v in decoded] == ["linear", "rbf", "poly"]
    assert all(v["C"] == pytest.approx(1.0) for v in decoded)
    # A branch switched on gets its children; one switched off loses them.
    assert set(decoded[0]) == {"kernel", "C"}
    assert set(decoded[1]) == {"kernel", "C", "gamma"}
    assert set(decoded[2]) == {"kernel", "C", "gamma", "degree"}
    np.testing.assert_array_equal(encoder.round(variants), variants)


def test_free_columns_are_the_active_numeric_ones():
    encoder = SpaceEncoder(_svc_space().space)
    rows = np.stack([
        encoder.encode({"kernel": "linear", "C": 1.0}),
        encoder.encode({"kernel": "poly", "C": 1.0, "gamma": 0.1, "degree": 3}),
    ])

    free = encoder.free_columns(rows)

    # Columns: the kernel's one-hot block (3), C, gamma, degree.
    assert free.tolist() == [
        [False, False, False, True, False, False],
        [False, False, False, True, True, True],
    ]


@pytest.mark.slow
@pytest.mark.parametrize("categories", ["hold", "enumerate", "split", "branch"])
def test_a_search_that_holds_categories_finds_the_best_branch(categories):
    oracle = kt.oracles.BayesianOptimization(
        objective="loss", max_trials=25, hyperparameters=_svc_space(), seed=0, categories=categories)

    ended = run_trials(oracle, _svc_loss)

    best = min(ended, key=lambda t: t.score)
    assert best.hyperparameters["kernel"] == "rbf" and best.score < 0.05
    values = [t.hyperparameters.values for t in ended]
    assert len({tuple(sorted(v.items())) for v in values}) == len(values)


@pytest.mark.parametrize("categories", ["split", "branch"])
def test_a_search_resumed_from_its_json_state_suggests_what_it_would_have(categories):
    import json

    from tunecore_bayes.proposer import GPProposer

    space = _svc_space().space
    oracle = kt.oracles.BayesianOptimization(objective="loss", max_trials=16, hyperparameters=_svc_space(), seed=1)
    observations = [(t.hyperparameters.values, t.score) for t in run_trials(oracle, _svc_loss)]
    tried = [values for values, _ in observations]

    running = GPProposer(lengthscale_prior="select", categories=categories)
    running.propose(space, observations[:12], [], tried[:12], np.random.default_rng(1))
    resumed = GPProposer(lengthscale_prior="select", categories=categories)
    resumed.set_state(json.loads(json.dumps(running.get_state())))
    suggestions = [
        proposer.propose(space, observations, [], tried, np.random.default_rng(2)) for proposer in (running, resumed)
    ]
    assert suggestions[0] == suggestions[1]
