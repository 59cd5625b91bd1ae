"""Holes found by the adversarial review of the third session's options (issue 24,
review32), each through the public API: a careless user's combination of options
is refused at construction, and ``categories="split"`` does not lose an option."""

import pytest

import tunecore as kt
from tunecore.testing import run_trials


def _space():
    hp = kt.HyperParameters()
    hp.Choice("c", ["a", "b", "c", "d"])
    hp.Float("x", 0.0, 1.0)
    return hp


def _best_on_d(values):
    return (values["x"] - 0.3) ** 2 + (0.0 if values["c"] == "d" else 1.0)


def test_split_tries_an_option_it_has_no_result_for():
    """A GP per option has nothing to say about an option without results: with a
    short initial design (or failed trials) "split" used to never try it again."""
    oracle = kt.oracles.BayesianOptimization(
        objective="loss", max_trials=12, hyperparameters=_space(), seed=0, categories="split", num_initial_points=2)

    ended = run_trials(oracle, _best_on_d)

    assert {trial.hyperparameters["c"] for trial in ended} == {"a", "b", "c", "d"}
    assert min(trial.score for trial in ended) < 0.5


def test_split_tries_an_option_again_whose_trials_all_failed():
    calls = []

    def fails_on_d_at_first(values):
        calls.append(values["c"])
        return float("nan") if values["c"] == "d" and len(calls) <= 8 else _best_on_d(values)

    oracle = kt.oracles.BayesianOptimization(
        objective="loss", max_trials=20, hyperparameters=_space(), seed=0, categories="split",
        max_consecutive_failed_trials=None)

    ended = run_trials(oracle, fails_on_d_at_first)

    assert min(trial.score for trial in ended if trial.score is not None) < 0.5


def test_escape_needs_expected_improvement():
    with pytest.raises(ValueError, match=r"stall='escape' .* needs acquisition='ei'; got acquisition='ucb'"):
        kt.oracles.BayesianOptimization(objective="loss", stall="escape", acquisition="ucb")


def test_escape_is_refused_under_split():
    with pytest.raises(ValueError, match=r"stall='escape' .* categories='split'"):
        kt.oracles.BayesianOptimization(objective="loss", stall="escape", categories="split")


def test_model_based_hyperband_refuses_the_same_combinations():
    from tunecore_bayes.hyperband import ModelProposer

    with pytest.raises(ValueError, match=r"stall='escape' .* needs acquisition='ei'"):
        ModelProposer(stall="escape", acquisition="ucb")


def test_split_tries_an_unseen_option_where_it_failed_before_elsewhere():
    """The unseen option's first suggestion is the best observation's values; if that was
    tried (and failed), the next best observation's, never a repeat."""
    import numpy as np

    from tunecore_bayes.proposer import GPProposer

    space = _space().space
    observations = [({"c": c, "x": x}, (x - 0.3) ** 2 + 1.0) for c, x in zip("abc", (0.25, 0.6, 0.9))]
    failed = {"c": "d", "x": 0.25}
    tried = [values for values, _ in observations] + [failed]

    suggestion = GPProposer(categories="split").propose(space, observations, [], tried, np.random.default_rng(0))

    assert suggestion == {"c": "d", "x": pytest.approx(0.6)}


def test_split_suggests_an_unseen_option_with_its_conditional_children():
    import numpy as np

    from tunecore_bayes.proposer import GPProposer

    hp = kt.HyperParameters()
    hp.Choice("kernel", ["linear", "poly"])
    hp.Float("C", 0.0, 1.0)
    with hp.conditional_scope("kernel", ["poly"]):
        hp.Int("degree", 2, 5)
    observations = [({"kernel": "linear", "C": c}, c) for c in (0.2, 0.6, 0.8)]

    suggestion = GPProposer(categories="split").propose(
        hp.space, observations, [], [values for values, _ in observations], np.random.default_rng(0))

    assert suggestion["kernel"] == "poly" and 2 <= suggestion["degree"] <= 5
    assert suggestion["C"] == pytest.approx(0.2)


@pytest.mark.parametrize(("option", "value"), [("pending", "fantasy"), ("follow_up", "rescore")])
def test_options_that_split_would_ignore_are_refused(option, value):
    """Under "split" each option's GP is fitted at every suggestion and running trials
    are imputed per branch: a batch EI over all of them and a re-score of the last
    optimisation's candidates never ran (silently the believer, a full suggestion)."""
    with pytest.raises(ValueError, match=rf"{option}='{value}' .* categories='split'"):
        kt.oracles.BayesianOptimization(objective="loss", categories="split", **{option: value})
