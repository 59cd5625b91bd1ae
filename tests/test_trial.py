import json

import tunecore as kt
from tunecore.trial import Trial, TrialStatus


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
    assert again.metrics.get_best_value("loss", "min") == 0.5


def test_reporting_a_step_again_replaces_it():
    trial = Trial(kt.HyperParameters())
    trial.metrics.update("acc", 0.1, step=0)
    trial.metrics.update("acc", 0.2, step=0)
    trial.metrics.update("acc", 0.3, step=1)
    assert trial.metrics.get_history("acc") == [(0, 0.2), (1, 0.3)]
