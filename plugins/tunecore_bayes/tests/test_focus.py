import numpy as np

import tunecore as kt
from tunecore_bayes.proposer import GPProposer


def _observations():
    # "small" (one active input) holds every good score, falling towards its unsampled x > 0.6;
    # "big" (three) is mediocre everywhere sampled.
    small = [(0.1, 0.9), (0.2, 0.8), (0.3, 0.7), (0.4, 0.55), (0.5, 0.45), (0.6, 0.35)]
    big = [(0.2, 0.3, 0.7), (0.6, 0.8, 0.2), (0.9, 0.5, 0.5), (0.4, 0.1, 0.9), (0.1, 0.9, 0.1), (0.7, 0.2, 0.4)]
    observations = [({"kind": "small", "x": x}, loss) for x, loss in small]
    observations += [({"kind": "big", "x": x, "y": y, "z": z}, 0.6 + 0.01 * i) for i, (x, y, z) in enumerate(big)]
    return observations


def test_a_conditional_space_refines_the_branch_its_best_scores_came_from(small_big_space):
    hp, observations = small_big_space, _observations()
    tried = [values for values, _ in observations]

    def suggestions(branches):
        return [GPProposer(branches=branches).propose(hp.space, observations, [], tried, np.random.default_rng(seed))
                for seed in range(8)]

    focus = suggestions("focus")
    # The best quarter all took "small": it is drawn with probability 4/5, and then searched
    # within 0.1 of its three best observations (x = 0.4, 0.5, 0.6). Where "big" is drawn,
    # nothing near its observations improves on "small": that search is the joint one.
    near = [values for values in focus if values["kind"] == "small" and 0.3 <= values["x"] <= 0.7 + 1e-9]
    assert len(near) >= 5
    # Searched jointly, the expected improvement extrapolates the slope to the unsampled end.
    joint = suggestions("joint")
    assert all(values["kind"] == "small" and values["x"] > 0.75 for values in joint)


def test_a_branch_refined_to_the_end_is_left_for_the_whole_space(small_big_space):
    # "small" holds every good score, sampled every 0.02 around its minimum (x = 0.5): near its
    # three best nothing is left to improve, so the focused search gives way to the joint one.
    observations = [({"kind": "small", "x": x}, (x - 0.5) ** 2) for x in np.round(np.linspace(0.3, 0.7, 21), 3)]
    observations += [({"kind": "big", "x": x, "y": y, "z": z}, 0.3 + 0.01 * i)
                     for i, (x, y, z) in enumerate([(0.2, 0.3, 0.7), (0.6, 0.8, 0.2), (0.9, 0.5, 0.5)])]
    tried = [values for values, _ in observations]

    def suggestions(branches):
        return [GPProposer(branches=branches).propose(small_big_space.space, observations, [], tried,
                                                      np.random.default_rng(seed)) for seed in range(4)]

    focus = suggestions("focus")
    assert not any(values["kind"] == "small" and 0.3 <= values["x"] <= 0.7 for values in focus)
    assert [values["kind"] for values in focus] == [values["kind"] for values in suggestions("joint")]


def test_a_space_without_conditions_is_searched_alike_under_both():
    hp = kt.HyperParameters()
    hp.Choice("kind", ["a", "b", "c"], ordered=False)
    hp.Float("x", 0.0, 1.0)
    observations = [({"kind": kind, "x": x}, (x - 0.3) ** 2 + (kind == "b")) for kind, x in
                    [("a", 0.1), ("b", 0.5), ("c", 0.9), ("a", 0.7), ("b", 0.2), ("c", 0.4)]]
    tried = [values for values, _ in observations]

    def propose(branches):
        return GPProposer(branches=branches).propose(hp.space, observations, [], tried, np.random.default_rng(3))

    assert propose("focus") == propose("joint")


def test_the_oracle_focuses_on_a_branch_by_default(small_big_space):
    oracle = kt.oracles.BayesianOptimization(objective="loss", max_trials=5, hyperparameters=small_big_space)
    assert oracle._proposer.branches == "focus"
