import json

import pytest

import tunecore as kt
from tunecore.trial import MetricsTracker, Trial, TrialStatus


def test_trial_json_round_trip_keeps_every_step():
    hp = kt.HyperParameters()
    hp.Int("units", 8, 64, step=8)
    hp.Choice("flag", [True, False])
    trial = Trial(hp, trial_id="03", status=TrialStatus.COMPLETED)
    for step, loss in enumerate([0.9, 0.5, 0.7]):
        trial.metrics.update("loss", loss, step)
    trial.score, trial.best_step, trial.message = 0.5, 1, None

    again = Trial.from_state(json.loads(json.dumps(trial.get_state())))

    assert again.get_state() == trial.get_state()
    assert again.metrics.get_history("loss") == [(0, 0.9), (1, 0.5), (2, 0.7)]
    assert again.hyperparameters.values == {"units": 8, "flag": True}
    assert again.metrics.get_best_value("loss") == 0.5


def test_metrics_follow_their_direction_as_keras_tuner_does():
    oracle = kt.oracles.RandomSearch(objective="val_accuracy", max_trials=2, seed=0)
    trial = oracle.ask()
    for step, (acc, loss) in enumerate([(0.5, 0.9), (0.9, 0.4), (0.7, 0.6)]):
        oracle.report(trial.trial_id, step, val_accuracy=acc, val_loss=loss, custom=step)
    tracker = trial.metrics
    assert tracker.get_direction("val_accuracy") == "max" and tracker.get_best_value("val_accuracy") == 0.9
    assert tracker.get_best_step("val_accuracy") == 1
    assert tracker.get_direction("val_loss") == "min" and tracker.get_best_value("val_loss") == 0.4
    assert tracker.get_direction("custom") == "min"
    assert tracker.get_statistics("val_loss")["max"] == 0.9
    assert [obs.step for obs in tracker.get_history("val_accuracy")] == [0, 1, 2]
    assert set(tracker.metrics) == {"val_accuracy", "val_loss", "custom"}
    with pytest.raises(ValueError, match="Unknown metric: nope"):
        tracker.get_best_value("nope")
    with pytest.raises(ValueError, match="already exists"):
        tracker.register("custom")


def test_a_step_reported_by_several_executions_keeps_each_and_scores_their_mean():
    tracker = MetricsTracker()
    tracker.update("loss", 1.0, step=0)
    tracker.update("loss", 2.0, step=0)
    (obs,) = tracker.get_history("loss")
    assert obs.value == [1.0, 2.0] and obs.mean() == 1.5 and tracker.get_best_value("loss") == 1.5
    again = MetricsTracker.from_config(tracker.get_config())
    assert again.get_history("loss") == tracker.get_history("loss")
