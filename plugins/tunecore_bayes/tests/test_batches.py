"""A batch's follow-ups are told from the trials, not from the oracle's memory: a resumed search goes on as one."""

import pytest

import tunecore as kt
from tunecore.storage import JournalStorage
from tunecore.trial import TrialStatus


def _oracle(options):
    hp = kt.HyperParameters()
    hp.Float("x", -1.0, 1.0)
    hp.Float("y", -1.0, 1.0)
    return kt.oracles.BayesianOptimization(
        objective="loss", hyperparameters=hp, max_trials=12, num_initial_points=3, seed=5, **options
    )


def _tell(oracle, trial):
    values = trial.hyperparameters.values
    # Rounded, as a CV error is: tied scores, so the taboo around them is on.
    oracle.tell(trial.trial_id, round((values["x"] - 0.3) ** 2 + (values["y"] + 0.2) ** 2, 2))


def _batches(oracle, asked=()):
    """Batches of three (the first one's ``asked`` trials already running) until the search stops."""
    batch = list(asked)
    while True:
        batch += [oracle.ask("t") for _ in range(3 - len(batch))]
        batch = [trial for trial in batch if trial.status == TrialStatus.RUNNING]
        if not batch:
            return [trial.hyperparameters.values for trial in oracle.trials.values()]
        for trial in batch:
            _tell(oracle, trial)
        batch = []


@pytest.mark.parametrize(
    "options", [{}, {"pending": "believer"}, {"taboo": "ball", "exploration": "wide"}],
    ids=["default", "believer", "ball_wide"],
)
def test_a_search_resumed_within_a_batch_suggests_what_an_uninterrupted_one_would(tmp_path, options):
    whole = _batches(_oracle(options))

    interrupted = _oracle(options)
    interrupted.open(JournalStorage(tmp_path / "p"))
    for _ in range(2):
        for trial in [interrupted.ask("t") for _ in range(3)]:
            _tell(interrupted, trial)
    running = interrupted.ask("t")  # the third batch's first trial, then the process dies
    interrupted.close()

    resumed = _oracle(options)
    resumed.open(JournalStorage(tmp_path / "p"))
    again = resumed.ask("t")  # the interrupted trial runs again; the batch goes on after it
    assert again.trial_id == running.trial_id and again.attempts == 2
    assert _batches(resumed, [again]) == whole
