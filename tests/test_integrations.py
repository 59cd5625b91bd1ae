"""TensorBoard HParams and MLflow, as search callbacks, read back from what they wrote."""

import glob
import importlib.util
import json
import subprocess
import sys

import pytest

import tunecore as kt
from tunecore.errors import MissingDependencyError
from tunecore.integrations import MLflowCallback, TensorBoardHParams


def _model(hp, trial):
    """A conditional space with every kind of hyperparameter; depth 3 fails."""
    model = hp.Choice("model", ["linear", "tree"])
    with hp.conditional_scope("model", ["linear"]):
        lr = hp.Float("lr", 1e-4, 1e-1, sampling="log")
    with hp.conditional_scope("model", ["tree"]):
        depth = hp.Int("depth", 1, 4)
    units = hp.Int("units", 8, 32, step=8)
    hp.Boolean("shuffle")
    if model == "tree" and depth == 3:
        raise ValueError("depth 3 is unlucky")
    loss = lr if model == "linear" else depth / 10
    for step in range(3):
        trial.report(step, loss=loss + (2 - step), units=units)
    return loss


# MLflow -----------------------------------------------------------------------------

needs_mlflow = pytest.mark.skipif(
    importlib.util.find_spec("mlflow") is None or importlib.util.find_spec("sqlalchemy") is None,
    reason="needs tunecore[mlflow] (mlflow-skinny) and sqlalchemy + alembic for a sqlite:/// store",
)


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory):
    """A real sqlite:/// tracking store (created once: its migrations take seconds), MLflow kept offline.

    Each test logs to an experiment of its own.
    """
    folder = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        patch.setenv("DO_NOT_TRACK", "true")
        patch.chdir(folder)  # MLflow's default artifact folder is relative
        yield f"sqlite:///{folder / 'mlflow.db'}"


def _read_back(uri, experiment_name):
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(experiment_name)
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = {r.data.tags["tunecore.trial_id"]: r for r in runs if r not in parents}
    return client, parents, children


@needs_mlflow
def test_mlflow_parent_run_and_a_child_run_per_trial(mlflow_store):
    callback = MLflowCallback(tracking_uri=mlflow_store, experiment_name="search")
    tuner = kt.tune(_model, objective="loss", max_trials=8, seed=2, verbose=0,
                    project_name="study", callbacks=[callback])
    trials = tuner.oracle.trials

    client, parents, children = _read_back(mlflow_store, "search")
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.run_id == callback.parent_run_id and parent.info.run_name == "study"
    assert parent.info.status == "FINISHED"
    assert parent.data.params["objective"] == "loss" and parent.data.params["direction"] == "min"
    best = tuner.oracle.get_best_trials(1)[0]
    assert parent.data.metrics["best_score"] == pytest.approx(best.score)
    assert parent.data.tags["tunecore.best_trial_id"] == best.trial_id

    assert set(children) == set(trials)
    for trial_id, run in children.items():
        trial = trials[trial_id]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.tags["tunecore.status"] == trial.status
        # Hyperparameters as params; an inactive conditional one is absent.
        assert run.data.params == {k: str(v) for k, v in trial.hyperparameters.values.items()}
        assert ("lr" in run.data.params) == (trial.hyperparameters["model"] == "linear")
        if trial.status == "COMPLETED":
            assert run.info.status == "FINISHED"
            assert run.data.metrics["score"] == pytest.approx(trial.score)
            history = client.get_metric_history(run.info.run_id, "loss")
            assert sorted(m.step for m in history) == [0, 1, 2]
            assert sorted(m.value for m in history) == pytest.approx(
                sorted(v for _, v in trial.metrics.get_history("loss")))
        else:
            assert run.info.status == "FAILED"
            assert "depth 3 is unlucky" in run.data.tags["tunecore.message"]
            assert "score" not in run.data.metrics
    assert any(t.status == "FAILED" for t in trials.values())


def _steps(hp, trial):
    x = hp.Float("x", 0, 1)
    for step in range(3):
        trial.report(step, loss=x + step)
    return x


@needs_mlflow
@pytest.mark.slow
def test_mlflow_gets_the_reports_of_trials_run_in_workers(mlflow_store):
    callback = MLflowCallback(tracking_uri=mlflow_store, experiment_name="workers")
    tuner = kt.tune(_steps, objective="loss", max_trials=3, seed=0, verbose=0,
                    executor="process", max_parallel_trials=2, callbacks=[callback])

    client, _, children = _read_back(mlflow_store, "workers")
    assert set(children) == set(tuner.oracle.trials)
    for trial_id, run in children.items():
        x = tuner.oracle.trials[trial_id].hyperparameters["x"]
        history = client.get_metric_history(run.info.run_id, "loss")
        assert sorted(m.step for m in history) == [0, 1, 2]
        assert sorted(m.value for m in history) == pytest.approx([x, x + 1, x + 2])


def test_mlflow_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'tunecore\[mlflow\]'"):
        kt.tune(_steps, objective="loss", max_trials=1, verbose=0, callbacks=[MLflowCallback()])


# TensorBoard ------------------------------------------------------------------------

needs_tensorboard = pytest.mark.skipif(
    importlib.util.find_spec("tensorboard") is None, reason="needs tunecore[tensorboard]"
)


def _tensorboard_scenario(logdir):
    """Search with TensorBoardHParams and read the event files back with EventAccumulator.

    Run in a fresh process where TensorFlow cannot be imported: neither the
    callback nor the reading needs it.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import api_pb2, metadata
    from tensorboard.util import tensor_util

    tuner = kt.tune(_model, objective="loss", max_trials=8, seed=2, verbose=0,
                    callbacks=[TensorBoardHParams(logdir)])
    root = EventAccumulator(logdir)
    root.Reload()
    experiment = metadata.parse_experiment_plugin_data(
        root.PluginTagToContent("hparams")[metadata.EXPERIMENT_TAG])
    found = {
        "hparams": {
            info.name: {
                "description": info.description,
                "interval": [info.domain_interval.min_value, info.domain_interval.max_value]
                if info.HasField("domain_interval") else None,
                "discrete": [json.loads(_json(v)) for v in info.domain_discrete.values]
                if info.HasField("domain_discrete") else None,
            }
            for info in experiment.hparam_infos
        },
        "metrics": [info.name.tag for info in experiment.metric_infos],
        "trials": {},
    }
    for trial_id, trial in tuner.oracle.trials.items():
        run = EventAccumulator(f"{logdir}/{trial_id}", size_guidance={"tensors": 0})
        run.Reload()
        content = run.PluginTagToContent("hparams")
        start = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
        end = metadata.parse_session_end_info_plugin_data(content[metadata.SESSION_END_INFO_TAG])
        scalars = {
            tag: [(e.step, tensor_util.make_ndarray(e.tensor_proto).item()) for e in run.Tensors(tag)]
            for tag in run.Tags()["tensors"] if not tag.startswith("_hparams_")
        }
        found["trials"][trial_id] = {
            "values": {name: json.loads(_json(v)) for name, v in start.hparams.items()},
            "expected_values": dict(trial.hyperparameters.values),
            "status": trial.status,
            "end_status": api_pb2.Status.Name(end.status),
            "score": trial.score,
            "scalars": scalars,
        }
    found["experiment_files"] = len(glob.glob(f"{logdir}/*tfevents*"))
    found["tensorflow_imported"] = "tensorflow" in sys.modules and sys.modules["tensorflow"] is not None
    return found


def _json(value):
    from google.protobuf import json_format

    return json_format.MessageToJson(value)


@needs_tensorboard
def test_tensorboard_hparams_declares_the_space_and_the_score_without_tensorflow(tmp_path):
    code = (
        "import json, runpy, sys; sys.modules['tensorflow'] = None; "
        f"found = runpy.run_path({__file__!r})['_tensorboard_scenario']({str(tmp_path / 'tb')!r}); "
        "print(json.dumps(found))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert not found["tensorflow_imported"]
    assert found["experiment_files"] == 1

    hparams = found["hparams"]
    assert list(hparams) == ["model", "lr", "depth", "units", "shuffle"]
    assert hparams["model"]["discrete"] == ["linear", "tree"]
    assert hparams["lr"]["interval"] == [1e-4, 1e-1]  # a float interval, its declared bounds
    assert "log scale" in hparams["lr"]["description"]
    assert hparams["depth"]["interval"] == [1, 4]  # an integer range, not the values seen
    assert hparams["depth"]["description"].startswith("Int in [1, 4]")
    assert hparams["units"]["discrete"] == [8, 16, 24, 32]  # a stepped Int: its grid
    assert hparams["shuffle"]["discrete"] == [False, True]
    assert found["metrics"][0] == "tunecore/score"
    assert set(found["metrics"][1:]) == {"loss", "units"}

    statuses = set()
    for trial in found["trials"].values():
        assert trial["values"] == pytest.approx(trial["expected_values"])
        statuses.add(trial["status"])
        if trial["status"] == "COMPLETED":
            assert trial["end_status"] == "STATUS_SUCCESS"
            assert trial["scalars"]["tunecore/score"] == [[2, pytest.approx(trial["score"])]]
            assert [step for step, _ in trial["scalars"]["loss"]] == [0, 1, 2]
        else:
            assert trial["end_status"] == "STATUS_FAILURE"
            assert "tunecore/score" not in trial["scalars"]
    assert statuses == {"COMPLETED", "FAILED"}


def test_tensorboard_missing_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'tunecore\[tensorboard\]'"):
        kt.tune(_steps, objective="loss", max_trials=1, verbose=0,
                callbacks=[TensorBoardHParams(tmp_path)])
