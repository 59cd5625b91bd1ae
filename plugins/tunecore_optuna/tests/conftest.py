import math

import pytest

import tunecore as kt
from tunecore.errors import FailedTrialError


class StepTuner(kt.BaseTuner):
    """A real search: a conditional space, three reported epochs per trial, one failed trial."""

    def run_trial(self, trial):
        hp = trial.hyperparameters
        lr = hp.Float("lr", 1e-4, 1e-1, sampling="log")
        units = hp.Int("units", 8, 64, step=8)
        model = hp.Choice("model", ["mlp", "linear"])
        depth = 0
        if model == "mlp":
            with hp.conditional_scope("model", "mlp"):
                depth = hp.Int("depth", 1, 4)
        if trial.trial_id == "03":
            raise FailedTrialError("diverged")
        for epoch in range(3):
            # lr decides: the loss is smallest at lr = 1e-2; the rest barely matters.
            loss = (math.log10(lr) + 2) ** 2 + 0.01 * units / 64 + 0.001 * depth + 1.0 / (epoch + 1)
            self.oracle.report(trial.trial_id, epoch, loss=loss)


def run_search(directory, max_trials=30, project_name="search"):
    tuner = StepTuner(
        kt.oracles.RandomSearch(objective="loss", max_trials=max_trials, seed=0),
        directory=directory, project_name=project_name,
    )
    tuner.search(verbose=0)
    return tuner


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    """A finished search on disk; its tuner."""
    return run_search(tmp_path_factory.mktemp("projects"))
