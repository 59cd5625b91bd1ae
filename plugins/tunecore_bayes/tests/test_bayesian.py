"""The Gaussian-process BayesianOptimization oracle, through the public API."""

import math

import numpy as np
import scipy.stats.qmc
import pytest

import tunecore as kt
from tunecore.testing import OracleConformance, run_trials
from tunecore.trial import TrialStatus


def _bo(**kwargs):
    return kt.oracles.BayesianOptimization(**kwargs)


class TestBayesianConformance(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: _bo(num_initial_points=3, **kwargs)


def _branin(values):
    x, y = values["x"], values["y"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def _branin_space():
    hp = kt.HyperParameters()
    hp.Float("x", -5.0, 10.0)
    hp.Float("y", 0.0, 15.0)
    return hp


def test_resolves_by_name_and_keras_tuner_names():
    cls = kt.oracles.get("bayesian")
    assert kt.oracles.BayesianOptimization is cls
    assert kt.oracles.BayesianOptimizationOracle is cls


@pytest.mark.slow
def test_gp_proposer_is_documented_in_proposer_and_still_imports_from_bayesian():
    from tunecore_bayes import bayesian, proposer

    assert bayesian.GPProposer is proposer.GPProposer


def test_beats_random_search_on_branin():
    def best(oracle):
        return min(t.score for t in run_trials(oracle, _branin))

    bo = [best(_bo(objective="loss", max_trials=25, hyperparameters=_branin_space(), seed=s)) for s in range(3)]
    rs = [best(kt.oracles.RandomSearch(objective="loss", max_trials=25, hyperparameters=_branin_space(), seed=s))
          for s in range(3)]
    assert np.median(bo) < 0.6  # the optimum is 0.398
    assert np.median(bo) < np.median(rs)


def test_no_duplicates_on_a_three_value_choice():
    hp = kt.HyperParameters()
    hp.Choice("c", ["a", "b", "c"])
    oracle = _bo(objective="loss", max_trials=10, hyperparameters=hp, seed=0)
    ended = run_trials(oracle, lambda v: {"a": 1.0, "b": 0.5, "c": 2.0}[v["c"]])
    assert sorted(t.hyperparameters["c"] for t in ended) == ["a", "b", "c"]
    assert oracle.create_trial("t").status == TrialStatus.STOPPED


def test_seeded_run_is_reproducible():
    def run():
        oracle = _bo(objective="loss", max_trials=8, hyperparameters=_branin_space(), seed=5)
        return [t.hyperparameters.values for t in run_trials(oracle, _branin)]

    assert run() == run()


def test_integers_and_steps_are_suggested_on_their_grid():
    hp = kt.HyperParameters()
    hp.Int("units", 16, 256, step=16)
    hp.Float("dropout", 0.0, 0.5, step=0.1)
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    oracle = _bo(objective="loss", max_trials=12, hyperparameters=hp, seed=1)
    ended = run_trials(oracle, lambda v: abs(v["units"] - 100) / 100 + v["dropout"] + abs(math.log10(v["lr"]) + 2.5))
    for trial in ended:
        values = trial.hyperparameters.values
        assert values["units"] % 16 == 0
        assert round(values["dropout"] * 10) == pytest.approx(values["dropout"] * 10)


def test_running_trials_make_parallel_suggestions_spread_out():
    oracle = _bo(objective="loss", max_trials=20, hyperparameters=_branin_space(), seed=2, num_initial_points=4)
    run_trials(oracle, _branin, n=8)
    batch = [oracle.create_trial(f"worker{i}") for i in range(4)]
    points = np.array([[t.hyperparameters["x"] / 15, t.hyperparameters["y"] / 15] for t in batch])
    distances = [np.linalg.norm(points[i] - points[j]) for i in range(4) for j in range(i)]
    assert min(distances) > 1e-3
    assert len({tuple(t.hyperparameters.values.items()) for t in batch}) == 4


def test_conditional_dimensions_do_not_break_the_model():
    hp = kt.HyperParameters()
    hp.Choice("model", ["linear", "tree", "knn"])
    with hp.conditional_scope("model", "linear"):
        hp.Float("alpha", 1e-3, 10.0, sampling="log")
    with hp.conditional_scope("model", "tree"):
        hp.Int("depth", 1, 10)

    def loss(v):
        if v["model"] == "linear":
            return abs(math.log10(v["alpha"]))
        if v["model"] == "tree":
            return abs(v["depth"] - 7) / 3
        return 2.0

    oracle = _bo(objective="loss", max_trials=20, hyperparameters=hp, seed=0)
    ended = run_trials(oracle, loss)
    for trial in ended:
        keys = set(trial.hyperparameters.values)
        assert keys == {"model", {"linear": "alpha", "tree": "depth"}.get(trial.hyperparameters["model"], "model")}
    assert min(t.score for t in ended) < 0.2


def _model_choice_space():
    hp = kt.HyperParameters()
    hp.Choice("model", ["linear", "tree", "knn"])
    with hp.conditional_scope("model", "linear"):
        hp.Float("alpha", 1e-3, 10.0, sampling="log")
    with hp.conditional_scope("model", ["tree", "knn"]):
        hp.Int("depth", 1, 10)
        hp.Float("leaf", 0.0, 1.0)
    return hp


def test_activity_inputs_say_which_conditional_hyperparameters_are_active():
    from tunecore_bayes.encoding import SpaceEncoder

    encoder = SpaceEncoder(_model_choice_space().space, activity=True)
    linear = encoder.encode({"model": "linear", "alpha": 0.1})
    tree = encoder.encode({"model": "tree", "depth": 3, "leaf": 0.2})

    # One activity column per set of conditions, after the value columns.
    assert (encoder.d_values, encoder.d) == (6, 8)
    assert list(linear[6:]) == [1.0, 0.0] and list(tree[6:]) == [0.0, 1.0]
    # Points the acquisition proposes are made consistent by rounding.
    rounded = encoder.round(np.random.default_rng(0).random((20, encoder.d)))
    assert all((row[6:] == [row[0], 1 - row[0]]).all() for row in rounded)


def test_activity_inputs_change_nothing_on_a_space_without_conditions():
    runs = [
        run_trials(_bo(objective="loss", max_trials=12, hyperparameters=_branin_space(), seed=3, activity=activity),
                   _branin)
        for activity in (False, True)
    ]
    assert [t.hyperparameters.values for t in runs[0]] == [t.hyperparameters.values for t in runs[1]]


def test_activity_inputs_are_the_default_on_a_conditional_space():
    def loss(v):
        return abs(math.log10(v["alpha"])) if v["model"] == "linear" else abs(v["depth"] - 7) / 3 + v["leaf"]

    runs = [
        [t.hyperparameters.values for t in run_trials(
            _bo(objective="loss", max_trials=12, hyperparameters=_model_choice_space(), seed=0, **options), loss)]
        for options in ({}, {"activity": True}, {"activity": False})
    ]
    assert runs[0] == runs[1] != runs[2]


def test_activity_inputs_find_the_best_branch():
    def loss(v):
        if v["model"] == "linear":
            return abs(math.log10(v["alpha"]))
        if v["model"] == "tree":
            return abs(v["depth"] - 7) / 3 + v["leaf"]
        return 2.0

    oracle = _bo(objective="loss", max_trials=20, hyperparameters=_model_choice_space(), seed=0, activity=True)
    assert min(t.score for t in run_trials(oracle, loss)) < 0.2


def test_resume_refits_and_takes_new_settings(tmp_path):
    def tuner(max_trials, beta):
        oracle = _bo(objective="loss", max_trials=max_trials, beta=beta, seed=3, acquisition="ucb",
                     hyperparameters=_branin_space())
        return kt.FunctionTuner(lambda hp: _branin(hp.values), oracle=oracle, directory=tmp_path, project_name="bo")

    first = tuner(6, 2.6)
    first.search(verbose=0)
    second = tuner(9, 0.5)
    assert second.oracle.beta == 0.5 and len(second.oracle.trials) == 6
    second.search(verbose=0)
    assert len(second.oracle.trials) == 9
    assert all(t.status == TrialStatus.COMPLETED for t in second.oracle.trials.values())


def _plateau_space(options):
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Float("y", 0.0, 1.0)
    hp.Choice("kind", options, ordered=False)
    return hp


def test_initial_design_tries_every_option_of_a_choice():
    options = [f"k{i}" for i in range(7)]
    oracle = _bo(objective="loss", max_trials=30, hyperparameters=_plateau_space(options), seed=4)
    # Every option but "k6" ties: without k6 in the design nothing points at it.
    ended = run_trials(oracle, lambda v: 0.0 if v["kind"] == "k6" else 0.5, n=7)
    assert sorted(t.hyperparameters["kind"] for t in ended) == options


def _cv_like(values):
    """A CV error on a 1/50 grid: kernel "a" is a plateau of tied scores, "b" hides a better basin."""
    if values["kind"] == "a":
        return 0.3
    r2 = (values["x"] - 0.7) ** 2 + (values["y"] - 0.2) ** 2
    return math.ceil(50 * min(1.0, 4.0 * r2)) / 50


@pytest.mark.slow
def test_tied_scores_on_a_plateau_make_the_search_explore():
    for seed in (1, 2):
        oracle = _bo(objective="loss", max_trials=25, hyperparameters=_plateau_space(["a", "b"]), seed=seed)
        scores = [t.score for t in run_trials(oracle, _cv_like)]
        ties_with_incumbent = sum(scores[i] == min(scores[:i]) for i in range(1, len(scores)))
        assert min(scores) < 0.3
        assert ties_with_incumbent <= 5


def test_the_taboo_around_ties_is_measured_in_the_active_inputs_only(small_big_space):
    from tunecore_bayes.proposer import GPProposer

    hp = small_big_space
    # Under "small" only x is active: a plateau of ties at x <= 0.5, a basin near 0.8.
    small = [(0.1, 0.2), (0.3, 0.2), (0.5, 0.2), (0.7, 0.06), (0.78, 0.03), (0.9, 0.05), (1.0, 0.15)]
    big = [(0.2, 0.3, 0.7, 0.5), (0.6, 0.8, 0.2, 0.55), (0.9, 0.5, 0.5, 0.6), (0.4, 0.1, 0.9, 0.65)]
    observations = [({"kind": "small", "x": x}, loss) for x, loss in small]
    observations += [({"kind": "big", "x": x, "y": y, "z": z}, loss) for x, y, z, loss in big]
    tried = [values for values, _ in observations]

    values = GPProposer().propose(hp.space, observations, [], tried, np.random.default_rng(0))

    # Counting the inactive y and z would stretch the radius to 0.25 * sqrt(3) in x
    # and cover the basin (the suggestion then left for "big").
    assert values["kind"] == "small" and 0.75 < values["x"] < 0.9


def test_taboo_span_avoids_ties_only_along_the_directions_they_span():
    from tunecore_bayes.proposer import GPProposer

    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Float("y", 0.0, 1.0)
    # Three ties along x at y = 0.5 say the score is flat along x, and nothing about y:
    # the better score 0.18 above them is refined, not left.
    points = [(0.3, 0.5, 0.2), (0.5, 0.5, 0.2), (0.7, 0.5, 0.2), (0.5, 0.68, 0.1), (0.1, 0.7, 0.5),
              (0.9, 0.7, 0.55), (0.1, 0.1, 0.6), (0.9, 0.1, 0.7), (0.1, 0.9, 0.65), (0.9, 0.9, 0.75), (0.5, 0.2, 0.5)]
    observations = [({"x": x, "y": y}, loss) for x, y, loss in points]
    tried = [values for values, _ in observations]

    span = GPProposer(taboo="span").propose(hp.space, observations, [], tried, np.random.default_rng(0))
    ball = GPProposer().propose(hp.space, observations, [], tried, np.random.default_rng(0))

    assert abs(span["x"] - 0.5) < 0.15 and 0.55 < span["y"] < 0.8
    # The default's ball of the taboo's radius around each tie covers the better point: the suggestion leaves.
    assert ball["y"] > 0.84


def test_taboo_span_ends_where_a_better_score_was_seen():
    from tunecore_bayes.proposer import GPProposer

    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Float("y", 0.0, 1.0)

    def loss(x, y):  # a well of radius 0.25 around (0.56, 0.5) in a plateau of tied scores
        return min(((x - 0.56) ** 2 + (y - 0.5) ** 2) / 0.0625, 1.0)

    # The tie at (0.83, 0.5) lies just outside the well; its ball reaches past the well's minimum.
    points = [(0.5, 0.5), (0.4, 0.5), (0.5, 0.6), (0.53, 0.41), (0.6, 0.65), (0.83, 0.5), (0.2, 0.9), (0.1, 0.1),
              (0.9, 0.9), (0.9, 0.1), (0.2, 0.4), (0.5, 0.05), (0.55, 0.95), (0.05, 0.6)]
    observations = [({"x": x, "y": y}, loss(x, y)) for x, y in points]
    tried = [values for values, _ in observations]

    values = GPProposer(taboo="span").propose(hp.space, observations, [], tried, np.random.default_rng(0))

    # Nearer to the well's observations than to the tie: refined, not left at the ball's edge (x < 0.48).
    assert abs(values["x"] - 0.56) < 0.03 and abs(values["y"] - 0.5) < 0.03


def test_the_oracle_takes_the_taboo_s_shape_and_follows_the_span_by_default():
    runs = [
        [t.hyperparameters.values for t in run_trials(
            _bo(objective="loss", max_trials=20, hyperparameters=_plateau_space(["a", "b"]), seed=3, **options),
            _cv_like)]
        for options in ({}, {"taboo": "span"}, {"taboo": "ball"})
    ]
    assert runs[0] == runs[1] != runs[2]


def test_taboo_span_reaches_a_discrete_input_s_next_value():
    from tunecore_bayes.encoding import SpaceEncoder
    from tunecore_bayes.ties import Taboo

    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    hp.Float("y", 0.0, 1.0)
    hp.Int("k", 1, 4)
    encoder = SpaceEncoder(hp.space)
    # Two ties along x, at y = 0.5 and k = 2: nothing is known across y or k.
    observed = [{"x": 0.4, "y": 0.5, "k": 2}, {"x": 0.6, "y": 0.5, "k": 2}, {"x": 0.9, "y": 0.9, "k": 4}]
    taboo = Taboo.around_ties(encoder, encoder.encode_many(observed), np.array([0.2, 0.2, 0.1]), 0.25, "span")

    across_y, across_k = encoder.encode_many([{"x": 0.5, "y": 0.75, "k": 2}, {"x": 0.5, "y": 0.5, "k": 3}])

    # y is open a quarter of its range away; k's span is 0 or a whole step, so its next value stays taboo.
    assert taboo(np.stack([across_y, across_k])).tolist() == [False, True]


@pytest.mark.slow
def test_noise_free_quadratic_is_solved_to_high_precision():
    oracle = _bo(objective="loss", max_trials=30, hyperparameters=_branin_space(), seed=1)
    ended = run_trials(oracle, lambda v: (v["x"] - 1.234) ** 2 + 2 * (v["y"] - 5.678) ** 2)
    assert min(t.score for t in ended) < 1e-6


def test_a_thousand_observations_still_give_a_new_suggestion():
    from tunecore_bayes.proposer import GPProposer

    space = _plateau_space(["a", "b", "c"])
    rng = np.random.default_rng(0)
    points = rng.random((1000, 2))
    observations = [
        ({"x": x, "y": y, "kind": "abc"[i % 3]}, (x - 0.3) ** 2 + (y - 0.6) ** 2 + i % 3)
        for i, (x, y) in enumerate(points)
    ]
    proposer = GPProposer(max_points=128)
    tried = [values for values, _ in observations]
    values = proposer.propose(space.space, observations, tried[-8:], tried, rng)
    assert values is not None and values not in tried
    assert values["kind"] == "a"
    assert abs(values["x"] - 0.3) < 0.1 and abs(values["y"] - 0.6) < 0.1


def test_a_large_search_refits_its_hyperparameters_on_the_same_subset():
    from tunecore_bayes.proposer import GPProposer

    space = _plateau_space(["a", "b", "c"])
    rng = np.random.default_rng(0)
    points = rng.random((100, 2))
    observations = [
        ({"x": x, "y": y, "kind": "abc"[i % 3]}, np.sin(5 * x) + y**2 + i % 3) for i, (x, y) in enumerate(points)
    ]
    tried = [values for values, _ in observations]
    proposer = GPProposer(max_points=64)  # hyperparameters fitted to 32 of the 100 points

    for _ in range(2):  # the first fit picks its nearest points before length scales are known
        proposer.propose(space.space, observations, [], tried, rng)
    first = proposer.params.to_vector()
    proposer.propose(space.space, observations, [], tried, rng)

    # The random part of the subset is not redrawn: the refit starts at its own optimum.
    np.testing.assert_allclose(proposer.params.to_vector(), first, atol=1e-3)


@pytest.mark.slow
def test_alpha_is_the_floor_of_the_learned_noise():
    noisy = np.random.default_rng(1)
    oracle = _bo(objective="loss", max_trials=30, hyperparameters=_branin_space(), seed=1, alpha=1e-3)
    run_trials(oracle, lambda v: _branin(v) + noisy.normal(0.0, 20.0))
    noise = math.exp(oracle._proposer.params.log_noise)
    assert noise >= 1e-3 * (1 - 1e-9)
    assert noise > 1e-2  # learned, well above the floor, for a noisy objective


def test_a_batch_asked_without_new_results_spreads_out_and_stays_near_the_model_optimum():
    oracle = _bo(objective="loss", max_trials=40, hyperparameters=_branin_space(), seed=0, num_initial_points=6)
    for _ in range(12):
        trial = oracle.ask()
        oracle.tell(trial.trial_id, _branin(trial.hyperparameters.values))
    batch = [oracle.ask() for _ in range(8)]  # eight workers freed at once: one optimisation, then follow-ups
    points = [(t.hyperparameters["x"], t.hyperparameters["y"]) for t in batch]
    assert all(t.status == TrialStatus.RUNNING for t in batch)
    assert len(set(points)) == 8
    gaps = [math.dist(a, b) for i, a in enumerate(points) for b in points[i + 1:]]
    assert min(gaps) > 1e-3  # the believer pushes each next suggestion away from the pending ones
    best = min(_branin(t.hyperparameters.values) for t in oracle.trials.values() if t.status == TrialStatus.COMPLETED)
    assert np.median([_branin(t.hyperparameters.values) for t in batch]) < 10 * best + 5


def test_dim_scaled_prior_oracle_beats_random_search_on_branin():
    tuned = run_trials(
        _bo(objective="loss", max_trials=25, hyperparameters=_branin_space(), seed=0, lengthscale_prior="dim_scaled"),
        _branin,
    )
    assert min(t.score for t in tuned) < 0.5


def test_unknown_pending_strategy_is_rejected():
    with pytest.raises(ValueError, match="pending must be one of 'believer', 'fantasy', 'kriging', 'penalize', 'auto'; "
                                         "got 'liar'"):
        _bo(objective="loss", pending="liar")


def _asked(oracle, objective, n_trials, running, size=1):
    """Values asked by ``oracle`` with ``running`` trials in flight, freed ``size`` at a time."""
    in_flight, asked = [], []
    while len(asked) < n_trials:
        while len(in_flight) < running and len(asked) < n_trials:
            trial = oracle.ask()
            in_flight.append(trial)
            asked.append(dict(trial.hyperparameters.values))
        for trial in in_flight[:size]:
            oracle.tell(trial.trial_id, objective(trial.hyperparameters.values))
        in_flight = in_flight[size:]
    return asked


def _bowl_by_kind(values):
    return (values["x"] - 0.3) ** 2 + (values["y"] - 0.6) ** 2 + (0.1 if values["kind"] == "a" else 0.0)


@pytest.mark.parametrize("categories", ["relax", pytest.param("split", marks=pytest.mark.slow)])
@pytest.mark.parametrize("size, same_as", [(1, "kriging"), (4, "believer")])
def test_default_pending_rule_is_kriging_for_asynchronous_workers_and_the_believer_for_batches(
    size, same_as, categories
):
    # Workers freed one at a time: each ask follows a new result (issue 24: the
    # kriging believer descends faster there). Freed four at once: three asks of
    # every four come with no new result, where the believer is kept.
    space, objective = (_branin_space(), _branin) if categories == "relax" else (_plateau_space(["a", "b"]), _bowl_by_kind)

    def asked(**options):
        oracle = _bo(objective="loss", max_trials=12, hyperparameters=space, seed=3, num_initial_points=4,
                     categories=categories, **options)
        return _asked(oracle, objective, 12, running=4, size=size)

    default = asked()
    assert default == asked(pending=same_as)
    assert default != asked(pending="believer" if same_as == "kriging" else "kriging")


def test_unknown_follow_up_is_rejected():
    with pytest.raises(ValueError, match="follow_up must be one of 'optimize', 'rescore'; got 'reuse'"):
        _bo(objective="loss", follow_up="reuse")


@pytest.mark.parametrize("pending, follow_up", [
    ("fantasy", "optimize"), ("believer", "rescore"), ("kriging", "rescore"), ("kriging", "optimize"),
    ("penalize", "rescore"), ("penalize", "optimize"),
])
def test_batches_of_every_pending_strategy_are_distinct_and_stay_near_the_model_optimum(pending, follow_up):
    oracle = _bo(objective="loss", max_trials=40, hyperparameters=_branin_space(), seed=0, num_initial_points=6,
                 pending=pending, follow_up=follow_up)
    for _ in range(12):
        trial = oracle.ask()
        oracle.tell(trial.trial_id, _branin(trial.hyperparameters.values))
    batch = [oracle.ask() for _ in range(8)]  # eight workers freed at once
    points = [(t.hyperparameters["x"], t.hyperparameters["y"]) for t in batch]
    assert all(t.status == TrialStatus.RUNNING for t in batch)
    assert len(set(points)) == 8
    best = min(_branin(t.hyperparameters.values) for t in oracle.trials.values() if t.status == TrialStatus.COMPLETED)
    assert np.median([_branin(t.hyperparameters.values) for t in batch]) < 10 * best + 5


def test_an_asynchronous_search_with_local_penalisation_beats_its_initial_design():
    oracle = _bo(objective="loss", max_trials=30, hyperparameters=_branin_space(), seed=2, pending="penalize")
    running, told = [], []
    while len(told) < 30:
        while len(running) < 4 and len(told) + len(running) < 30:
            running.append(oracle.ask())
        trial = running.pop(0)
        told.append(_branin(trial.hyperparameters.values))
        oracle.tell(trial.trial_id, told[-1])
    assert min(told) < min(told[:6])
    assert min(told) < 1.0  # the optimum is 0.398


def _recording_fits(monkeypatch):
    """Every optimised GP fit of the proposers, as (lengthscale_prior, selected_prior, n)."""
    from tunecore_bayes import proposer

    fits = []

    class Recording(proposer.GaussianProcess):
        def fit(self, X, y, warm_start=None, optimize=True):
            super().fit(X, y, warm_start, optimize)
            if optimize:
                fits.append((self.lengthscale_prior, self.selected_prior, len(y)))
            return self

    monkeypatch.setattr(proposer, "GaussianProcess", Recording)
    return fits


def _well_loss(point):
    """A smooth bowl at (0.7, 0.7) and a well 0.03 wide and 2 deep at (0.37, 0.37)."""
    point = np.asarray(point)
    return float(np.sum((point - 0.7) ** 2) - 2.0 * np.exp(-0.5 * np.sum((point - 0.37) ** 2) / 0.03**2))


def test_select_compares_its_priors_on_a_schedule_and_fits_the_kept_one_between(monkeypatch):
    from tunecore_bayes.proposer import GPProposer

    fits = _recording_fits(monkeypatch)
    hp = kt.HyperParameters()
    hp.Float("x0", 0.0, 1.0)
    hp.Float("x1", 0.0, 1.0)
    points = np.vstack([
        scipy.stats.qmc.Sobol(2, seed=0).random(32)[:24],  # best loss -0.023
        np.clip(0.37 + 0.03 * np.random.default_rng(1).standard_normal((6, 2)), 0.0, 1.0),  # in the well
    ])
    observations = [({"x0": float(a), "x1": float(b)}, _well_loss((a, b))) for a, b in points]
    proposer = GPProposer(lengthscale_prior="select")

    def propose(n):
        seen = observations[:n]
        proposer.propose(hp.space, seen, [], [values for values, _ in seen], np.random.default_rng(0))
        return fits[-1]

    assert propose(20) == ("select", "optuna", 20)  # the first suggestion compares all priors
    assert propose(22) == ("optuna", "optuna", 22)  # 10 % more: the kept prior alone
    assert propose(24) == ("select", "optuna", 24)  # 20 % more than at the last comparison
    # The well is touched (-1.15, far below what the rest predicts): all priors again.
    assert propose(25) == ("select", "optuna", 25)
    # Better losses that the well's first point lets the kept fit predict: the kept prior alone ...
    assert [propose(n)[0] for n in (26, 27, 28, 29)] == ["optuna"] * 4
    # ... until 20 % more than at the last comparison: the short length scales win.
    assert propose(30) == ("select", "unit_lognormal", 30)
    assert propose(30)[0] == "unit_lognormal"

    resumed = GPProposer(lengthscale_prior="select")
    resumed.set_state(proposer.get_state())
    resumed.propose(hp.space, observations, [], [values for values, _ in observations], np.random.default_rng(0))
    assert fits[-1] == ("unit_lognormal", "unit_lognormal", 30)
    resumed.set_state(proposer.get_state()["params"])  # the parameters alone, as stored up to 0.2
    resumed.propose(hp.space, observations, [], [values for values, _ in observations], np.random.default_rng(0))
    assert fits[-1][0] == "select"


def test_refit_growth_fits_the_hyperparameters_once_the_observations_grew_by_it(monkeypatch):
    from tunecore_bayes.proposer import GPProposer

    fits = _recording_fits(monkeypatch)
    hp = kt.HyperParameters()
    hp.Float("x0", 0.0, 1.0)
    hp.Float("x1", 0.0, 1.0)
    points = scipy.stats.qmc.Sobol(2, seed=0).random(32)
    observations = [({"x0": float(a), "x1": float(b)}, _well_loss((a, b))) for a, b in points]
    proposer = GPProposer(refit_growth=0.1)

    def propose(proposer, n):
        seen = observations[:n]
        before = len(fits)
        suggestion = proposer.propose(hp.space, seen, [], [values for values, _ in seen], np.random.default_rng(n))
        return len(fits) > before, suggestion

    # Fitted at 20, then again once 10 % more were observed: at 22, at 25 (≥ 24.2).
    assert [propose(proposer, n)[0] for n in (20, 21, 22, 23, 24, 25)] == [True, False, True, False, False, True]
    params = proposer.params
    assert propose(proposer, 26)[0] is False and proposer.params is params  # the last fit, conditioned on 26

    resumed = GPProposer(refit_growth=0.1)
    resumed.set_state(proposer.get_state())
    assert propose(resumed, 27) == propose(proposer, 27)  # the schedule survives a resume: no fit at 27
    assert propose(GPProposer(), 27)[0] is True  # refit_growth=0: a fit at every suggestion
