"""The trials as a table: ``tunecore.load(path).trials_dataframe()`` and ``tunecore.results``."""

import math
import sys
import time

import pytest

import tunecore as kt
from tunecore import results
from tunecore.errors import MissingDependencyError

pd = pytest.importorskip("pandas", reason="the table needs pandas: pip install 'tunecore[pandas]'")


def _model(hp, trial):
    """A conditional space: ``lr`` only for the linear model, ``depth`` only for the tree."""
    model = hp.Choice("model", ["linear", "tree"])
    with hp.conditional_scope("model", ["linear"]):
        lr = hp.Float("lr", 1e-4, 1e-1, sampling="log")
    with hp.conditional_scope("model", ["tree"]):
        depth = hp.Int("depth", 1, 4)
    if model == "tree" and depth == 3:
        raise ValueError("depth 3 is unlucky")
    loss = lr if model == "linear" else depth / 10
    for step in range(3):  # the loss goes down, the accuracy peaks at step 1
        time.sleep(0.002)
        trial.report(step, loss=loss + (2 - step), accuracy=[0.5, 0.9, 0.7][step])
    return {"loss": loss, "accuracy": 0.7}


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    directory = tmp_path_factory.mktemp("results")
    tuner = kt.tune(_model, objective="loss", max_trials=12, seed=2, directory=directory,
                    project_name="p", verbose=0)
    return tuner, directory / "p"


def test_one_row_per_trial_with_the_documented_columns(searched):
    tuner, path = searched
    df = kt.load(path).trials_dataframe()

    assert list(df.columns) == [
        "trial_id", "status", "score", "best_step",
        "params_model", "params_lr", "params_depth",
        "loss_best", "loss_last", "accuracy_best", "accuracy_last",
        "started_at", "ended_at", "duration_s", "attempts", "tuner_id", "message",
    ]
    assert list(df.trial_id) == list(tuner.oracle.trials)
    for row, trial in zip(df.itertuples(), tuner.oracle.trials.values()):
        assert row.status == trial.status
        assert row.tuner_id == trial.tuner_id and row.attempts == 1
        if trial.score is None:
            assert math.isnan(row.score)
        else:
            assert row.score == trial.score and row.best_step == trial.best_step


def test_inactive_conditional_hyperparameters_are_empty(searched):
    df = kt.load(searched[1]).trials_dataframe()
    linear, tree = df[df.params_model == "linear"], df[df.params_model == "tree"]
    assert len(linear) and len(tree)
    assert linear.params_lr.notna().all() and linear.params_depth.isna().all()
    assert tree.params_depth.notna().all() and tree.params_lr.isna().all()
    assert df.params_depth.dtype == "Int64"  # an Int stays an integer beside empty cells
    assert df.params_lr.dtype == "float64"


def test_a_failed_trial_has_its_message_and_no_score(searched):
    df = kt.load(searched[1]).trials_dataframe()
    failed = df[df.status == "FAILED"]
    assert len(failed) >= 1
    assert (failed.params_depth == 3).all()
    assert failed.score.isna().all() and failed.best_step.isna().all()
    assert failed.message.str.contains("depth 3 is unlucky").all()
    assert df[df.status == "COMPLETED"].message.isna().all()


def test_metrics_best_and_last_and_timing(searched):
    df = kt.load(searched[1]).trials_dataframe()
    done = df[df.status == "COMPLETED"]
    assert (done.loss_best == done.score).all()  # the objective's best is the score
    assert (done.loss_last == done.score).all()  # the returned loss, at the last step
    assert (done.accuracy_best == 0.9).all() and (done.accuracy_last == 0.7).all()
    assert str(df.started_at.dt.tz) == "UTC" and str(df.ended_at.dt.tz) == "UTC"
    assert (df.ended_at >= df.started_at).all()
    assert (done.duration_s > 0).all()
    expected = (df.ended_at - df.started_at).dt.total_seconds()
    assert (df.duration_s - expected).abs().max() < 1e-3


def test_the_oracle_and_the_loaded_project_give_the_same_table(searched):
    tuner, path = searched
    live = results.trials_dataframe(tuner.oracle)
    loaded = kt.load(path).trials_dataframe()
    pd.testing.assert_frame_equal(live, loaded)
    if hasattr(tuner, "results_dataframe"):
        pd.testing.assert_frame_equal(tuner.results_dataframe(), loaded)


def test_csv_round_trip(searched, tmp_path):
    df = kt.load(searched[1]).trials_dataframe()
    df.to_csv(tmp_path / "trials.csv", index=False)
    back = pd.read_csv(tmp_path / "trials.csv", dtype={"trial_id": str},
                       parse_dates=["started_at", "ended_at"])
    assert list(back.columns) == list(df.columns)
    assert list(back.trial_id) == list(df.trial_id)
    assert back.params_depth.isna().tolist() == df.params_depth.isna().tolist()
    pd.testing.assert_series_equal(back.score, df.score)
    pd.testing.assert_series_equal(back.params_lr, df.params_lr)
    assert (back.started_at == df.started_at).all()
    assert back.duration_s.tolist() == df.duration_s.tolist()


def test_parquet_round_trip_keeps_the_types(searched, tmp_path):
    pytest.importorskip("pyarrow", reason="Parquet needs pyarrow: pip install 'tunecore[parquet]'")
    df = kt.load(searched[1]).trials_dataframe()
    df.to_parquet(tmp_path / "trials.parquet", index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "trials.parquet"), df)


def test_a_search_without_trials_gives_the_columns_and_no_row():
    tuner = kt.FunctionTuner(lambda hp: hp.Float("x", 0, 1), max_trials=1,
                             hyperparameters=_space())
    df = results.trials_dataframe(tuner.oracle)
    assert len(df) == 0
    assert list(df.columns) == [*results.LEADING_COLUMNS, "params_x", *results.TRAILING_COLUMNS]


def _space():
    hp = kt.HyperParameters()
    hp.Float("x", 0, 1)
    return hp


def test_without_pandas_the_error_names_the_extra(searched, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # what `import pandas` meets when it is missing
    with pytest.raises(MissingDependencyError, match=r"pip install 'tunecore\[pandas\]'"):
        kt.load(searched[1]).trials_dataframe()
