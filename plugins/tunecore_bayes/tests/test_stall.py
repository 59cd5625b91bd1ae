"""``stall="escape"``: a search whose expected improvement has vanished in one
basin refines the best other basin instead (opt-in; measured in
``benchmarks/RESULTS.md``, "Stalled searches")."""

import numpy as np
import pytest

import tunecore as kt
from tunecore.testing import run_trials
from tunecore_bayes.proposer import GPProposer

SHALLOW, DEEP = np.array([0.2, 0.2]), np.array([0.75, 0.75])


def _two_wells(values):
    """A shallow well (-1) at SHALLOW and a deep one (-2) at DEEP, both narrow."""
    x = np.array([values["x"], values["y"]])
    return float(-np.exp(-np.sum((x - SHALLOW) ** 2) / 0.005) - 2.0 * np.exp(-np.sum((x - DEEP) ** 2) / 0.005))


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Float("y", 0.0, 1.0)
    return hp


def _refined_shallow_well():
    """Ten random points, 120 refining the shallow well's bottom, one on the deep well's rim."""
    rng = np.random.default_rng(0)
    points = [*rng.uniform(size=(10, 2)), *(SHALLOW + 0.0003 * rng.standard_normal((120, 2))), DEEP + [0.08, 0.0]]
    values = [{"x": float(x), "y": float(y)} for x, y in points]
    return [(v, _two_wells(v)) for v in values]


def _distance(values, centre):
    return float(np.hypot(values["x"] - centre[0], values["y"] - centre[1]))


def test_a_stalled_search_refines_the_other_basin():
    observations = _refined_shallow_well()
    tried = [values for values, _ in observations]
    space = _space().space

    def suggest(stall):
        proposer = GPProposer(lengthscale_prior="select", stall=stall)
        return proposer.propose(space, observations, [], tried, np.random.default_rng(1))

    exploit, escape = suggest("exploit"), suggest("escape")
    assert _distance(exploit, SHALLOW) < 0.01  # the default keeps refining where nothing is left to gain
    assert _distance(escape, DEEP) < 0.1
    assert _two_wells(escape) < min(loss for _, loss in observations)


def test_escape_changes_nothing_before_a_stall():
    def run(stall):
        oracle = kt.oracles.BayesianOptimization(
            objective="loss", max_trials=12, hyperparameters=_space(), seed=3, stall=stall)
        return [trial.hyperparameters.values for trial in run_trials(oracle, _two_wells)]

    assert run("escape") == run("exploit")


@pytest.mark.parametrize("value", ["explore", None, True])
def test_a_bad_stall_rule_is_refused_at_construction(value):
    with pytest.raises(ValueError, match=rf"stall must be one of 'exploit', 'escape'; got {value!r}"):
        kt.oracles.BayesianOptimization(objective="loss", stall=value)
