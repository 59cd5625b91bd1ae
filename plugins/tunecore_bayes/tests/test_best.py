"""``best="model"``: the best trial by the GP's posterior mean, not the luckiest observed score."""

import pytest

import tunecore as kt

# A smooth valley at x = 0.3 observed with small noise, and one lucky draw far from it:
# at x = 0.8 the objective is near 0.25, but it was observed at -0.03.
_NOISE = [0.01, -0.01, 0.015, -0.005, 0.0, -0.015, 0.01, 0.005, -0.01, 0.0, 0.015, -0.01, 0.005, -0.005, 0.01,
          -0.015, 0.0, 0.01, -0.01, 0.005, 0.0]
_XS = [round(0.05 * i, 2) for i in range(21)]


def _scores():
    scores = {x: (x - 0.3) ** 2 + e for x, e in zip(_XS, _NOISE)}
    scores[0.8] = -0.03
    return scores


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    return hp


def _searched(best, xs=_XS, **kwargs):
    """An oracle that evaluated ``xs`` (enqueued, in order) with :func:`_scores`."""
    oracle = kt.oracles.BayesianOptimization(objective="loss", max_trials=30, hyperparameters=_space(),
                                             seed=0, best=best, **kwargs)
    scores = _scores()
    for x in xs:
        oracle.enqueue({"x": x})
        trial = oracle.ask("w")
        oracle.tell(trial.trial_id, scores[trial.hyperparameters.values["x"]])
    return oracle


def _best_x(oracle, n=1):
    return [round(t.hyperparameters.values["x"], 2) for t in oracle.get_best_trials(n)]


def test_the_observed_best_is_the_lucky_draw_and_the_models_best_is_in_the_valley():
    assert _best_x(_searched("observed")) == [0.8]
    model = _searched("model")
    best = model.get_best_trials(3)
    assert [round(t.hyperparameters.values["x"], 2) for t in best] == pytest.approx([0.3, 0.3, 0.3], abs=0.051)
    assert 0.8 not in _best_x(model, 3)
    assert best[0].score == _scores()[best[0].hyperparameters.values["x"]]  # the score stays what was observed


def test_the_default_is_the_observed_order():
    default = kt.oracles.BayesianOptimization(objective="loss", max_trials=len(_XS), hyperparameters=_space(),
                                              seed=0)
    scores = _scores()
    for x in _XS:
        default.enqueue({"x": x})
        trial = default.ask("w")
        default.tell(trial.trial_id, scores[x])
    ranked = sorted(default.trials.values(), key=lambda t: t.score)
    assert default.get_best_trials(None) == ranked


def test_all_completed_trials_are_ranked_and_failed_ones_never():
    oracle = _searched("model")
    trial = oracle.ask("w")
    oracle.tell(trial.trial_id, status="FAILED", message="out of memory")
    best = oracle.get_best_trials(None)
    assert len(best) == len(_XS) and trial not in best


def test_a_maximised_objective_is_ranked_in_its_direction():
    oracle = kt.oracles.BayesianOptimization(objective=kt.Objective("gain", "max"), max_trials=len(_XS),
                                             hyperparameters=_space(), seed=0, best="model")
    scores = _scores()
    for x in _XS:
        oracle.enqueue({"x": x})
        trial = oracle.ask("w")
        oracle.tell(trial.trial_id, {"gain": -scores[x]})
    assert _best_x(oracle) == pytest.approx([0.3], abs=0.051)


def test_with_fewer_than_two_completed_trials_the_observed_order():
    oracle = _searched("model", xs=[0.8])
    assert _best_x(oracle) == [0.8]
    assert _searched("model", xs=[]).get_best_trials(1) == []


def test_a_resumed_search_reports_the_same_best_trials(tmp_path):
    scores = _scores()

    def objective(hp):
        return scores[round(hp.Float("x", 0.0, 1.0), 2)]

    def tuner():
        tuner = kt.FunctionTuner(objective, max_trials=len(_XS), oracle="bayesian", seed=0, best="model",
                                 directory=tmp_path, project_name="p")
        return tuner

    first = tuner()
    for x in _XS:
        first.oracle.enqueue({"x": x})
    first.search(verbose=0)
    resumed = tuner()
    ids = [[t.trial_id for t in search.oracle.get_best_trials(None)] for search in (first, resumed)]
    assert ids[0] == ids[1]
    assert resumed.get_best_hyperparameters(1)[0].values["x"] == pytest.approx(0.3, abs=0.051)


def test_best_must_be_observed_or_model():
    with pytest.raises(ValueError, match="best must be one of 'observed', 'model'; got 'mean'"):
        kt.oracles.BayesianOptimization(objective="loss", best="mean")


@pytest.mark.parametrize("options", [
    {"objective": kt.Pareto([kt.Objective("a", "min"), kt.Objective("b", "min")])},
    {"objective": "loss", "constraints": [kt.Constraint("memory", max=1.0)]},
])
def test_model_is_refused_for_a_pareto_objective_or_constraints(options):
    with pytest.raises(ValueError, match="best='model' ranks trials by one objective's GP"):
        kt.oracles.BayesianOptimization(best="model", **options)


@pytest.mark.filterwarnings("error")
def test_infinite_scores_keep_their_place_and_the_finite_ones_are_modelled():
    oracle = _searched("model")
    ends = {}
    for value in (float("inf"), float("-inf")):
        trial = oracle.ask("w")
        oracle.tell(trial.trial_id, value)
        ends[value] = trial.trial_id
    ranked = oracle.get_best_trials(None)
    assert ranked[0].trial_id == ends[float("-inf")] and ranked[-1].trial_id == ends[float("inf")]
    assert round(ranked[1].hyperparameters.values["x"], 2) != 0.8  # the lucky draw is not the best finite trial


def test_beyond_max_points_the_observed_order_follows_the_modelled_best():
    from tunecore_bayes.best import ModelRanking

    oracle = _searched("observed")
    observed = oracle.get_best_trials(None)
    ranking = ModelRanking(1e-9, "select", "max", max_points=8)
    ranked = ranking.order(observed, oracle._proposer.encoder(oracle.hyperparameters.space), lambda score: score)
    assert sorted(t.trial_id for t in ranked[:8]) == sorted(t.trial_id for t in observed[:8])
    assert ranked[8:] == observed[8:]
    assert ranked[:8] != observed[:8]  # the lucky draw, observed first, is modelled below the valley


def test_the_oracle_says_whether_it_reranks():
    assert _searched("model").reranks_best and not _searched("observed").reranks_best


def test_the_closing_report_names_the_models_best_and_the_observed_best():
    from tunecore.tuners.progress import Progress

    report = Progress(_searched("model"), verbose=0).report()
    lucky = next(t for t in _searched("model").trials.values() if t.score == -0.03).trial_id
    assert "Best trial by the model: trial" in report
    assert f"(the best observed: -0.03, trial {lucky})" in report
    assert "Best loss so far: -0.03" in Progress(_searched("observed"), verbose=0).report()


def test_no_improvement_counts_from_the_observed_best():
    from types import SimpleNamespace

    stop = kt.callbacks.NoImprovement(patience=2)
    stop.on_search_begin(SimpleNamespace(oracle=_searched("model")))  # a resumed search: trials done
    assert stop.best == -0.03  # later trials are compared by their observed scores



def test_the_results_summary_says_the_model_ranks_the_trials():
    from tunecore.tuners.summary import results_summary

    note = "Ranked by the oracle's model of the objective (best='model'); scores as observed"
    assert note in results_summary(_searched("model"))
    assert note not in results_summary(_searched("observed"))
