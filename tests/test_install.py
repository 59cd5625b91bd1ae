"""tunecore installed the way users install it: from wheels, in clean environments, outside the checkout.

Once per session the wheelhouse is built with the documented command
(``scripts/build_wheelhouse.py``), and the plugin template's wheel beside it.
Each install line of the README then gets a fresh virtual environment in a
temporary folder, ``pip install --find-links WHEELHOUSE 'tunecore[...]'`` with
dependencies resolved as a user's pip resolves them (the pip cache makes a
rerun fast), and runs from a folder outside the checkout: ``tunecore plugins``,
a small real search, and for ``[all]`` every after-the-search feature the docs
promise. Every script first checks that tunecore is imported from the
environment, never from ``src/``.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
VERSION = "0.2.0"
DISTRIBUTIONS = ["tunecore", "tunecore_bayes", "tunecore_keras", "tunecore_optuna", "tunecore_sklearn"]
_TIMEOUT = 900  # one pip install of [all] on a loaded 2-core machine, with room to spare

# Prepended to every script: tunecore and its plugins come from the environment.
_FROM_THE_ENVIRONMENT = """
import sys, importlib.util
for _name in ("tunecore", "tunecore_bayes", "tunecore_sklearn", "tunecore_keras", "tunecore_optuna"):
    _spec = importlib.util.find_spec(_name)
    assert _spec is None or _spec.origin.startswith(sys.prefix), (_name, _spec.origin, sys.prefix)
"""


@dataclass
class Env:
    """A virtual environment and a working folder outside the checkout."""

    path: Path
    work: Path
    find_links: tuple[Path, ...]

    def environ(self, **extra: str) -> dict[str, str]:
        """The environment variables of an activated virtual environment, nothing pointing into the checkout."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "TUNECORE_DISABLE_PLUGIN_AUTOLOAD")}
        env.update(PATH=f"{self.path / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(self.path),
                   PIP_NO_INPUT="1", MPLBACKEND="Agg", MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
                   **extra)
        return env

    def run(self, *args: str, **environ: str) -> str:
        """Run a command of the environment in its working folder; its stdout (fails on a non-zero exit)."""
        result = subprocess.run(args, cwd=self.work, env=self.environ(**environ), capture_output=True, text=True,
                                timeout=_TIMEOUT)
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def python(self, code: str, **environ: str) -> str:
        """Run a script with the environment's Python; its stdout."""
        return self.run(str(self.path / "bin" / "python"), "-c", _FROM_THE_ENVIRONMENT + textwrap.dedent(code),
                        **environ)

    def install(self, *requirements: str) -> None:
        """``pip install`` with the wheelhouses as extra places to look."""
        links = [f"--find-links={folder}" for folder in self.find_links]
        self.run(str(self.path / "bin" / "python"), "-m", "pip", "install", "-q", *links, *requirements)

    def plugins(self) -> dict[str, str]:
        """``tunecore plugins`` as ``{plugin name: the rest of its line}``."""
        lines = self.run("tunecore", "plugins").splitlines()
        return dict(line.split(" ", 1) for line in lines)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory):
    """The five distributions, built with the documented command."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run([sys.executable, "scripts/build_wheelhouse.py", str(folder)], cwd=ROOT, check=True,
                   capture_output=True, timeout=_TIMEOUT)
    return folder


@pytest.fixture(scope="session")
def template_wheels(tmp_path_factory):
    """The plugin template, built as its own distribution."""
    folder = tmp_path_factory.mktemp("template-wheels")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(folder),
                    str(ROOT / "examples" / "plugin-template")], check=True, capture_output=True, timeout=_TIMEOUT)
    return folder


@pytest.fixture(scope="session")
def make_env(tmp_path_factory, wheelhouse, template_wheels):
    """``make_env(name, *requirements)``: a fresh environment with ``requirements`` installed by pip."""
    def make(name, *requirements):
        root = tmp_path_factory.mktemp(name)
        env = Env(root / "venv", root / "work", (wheelhouse, template_wheels))
        env.work.mkdir()
        subprocess.run([sys.executable, "-m", "venv", str(env.path)], check=True, timeout=_TIMEOUT)
        env.install(*requirements)
        return env

    return make


def test_every_distribution_builds_a_wheel_and_an_sdist_that_pass_twine_check(wheelhouse):
    names = sorted(path.name for path in wheelhouse.iterdir())
    assert names == sorted([f"{d}-{VERSION}-py3-none-any.whl" for d in DISTRIBUTIONS]
                           + [f"{d}-{VERSION}.tar.gz" for d in DISTRIBUTIONS])
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, wheelhouse.iterdir())],
                            capture_output=True, text=True, timeout=_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_bare_core(make_env):
    env = make_env("core", "tunecore")
    assert env.run("tunecore", "--version").split() == ["tunecore", VERSION]
    assert all(line.startswith("builtin") for line in env.plugins().values())
    env.python("""
        import tunecore as kt
        from tunecore.errors import PluginNotFoundError

        tuner = kt.tune(lambda hp: (hp.Float("x", -5.0, 5.0) - 1.0) ** 2, max_trials=5, seed=0, verbose=0,
                        directory="results", project_name="core")
        assert len(tuner.oracle.trials) == 5
        try:
            kt.oracles.get("bayesian")
        except PluginNotFoundError as exc:
            assert "pip install 'tunecore[bayes]'" in str(exc), exc
        else:
            raise AssertionError("bayesian found without tunecore-bayes")
    """)
    assert "best" in env.run("tunecore", "summary", "results/core").lower()


def test_bayes(make_env):
    env = make_env("bayes", "tunecore[bayes]")
    assert re.match(rf"{VERSION} — oracles: .*bayesian", env.plugins()["bayes"])
    env.python("""
        import tunecore as kt

        tuner = kt.tune(lambda hp: (hp.Float("x", -5.0, 5.0) - 1.0) ** 2, oracle="bayesian", max_trials=8,
                        seed=0, verbose=0)
        assert type(tuner.oracle).__module__.startswith("tunecore_bayes")
        assert tuner.oracle.get_best_trials(1)[0].score < 1.0
    """)


def test_sklearn(make_env):
    env = make_env("sklearn", "tunecore[sklearn]")
    assert "tuners: " in env.plugins()["sklearn"]
    env.python("""
        import tunecore as kt
        from sklearn.datasets import load_iris
        from sklearn.tree import DecisionTreeClassifier

        def build(hp):
            return DecisionTreeClassifier(max_depth=hp.Int("max_depth", 1, 4), random_state=0)

        oracle = kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=3, seed=0)
        tuner = kt.tuners.Sklearn(oracle=oracle, hypermodel=build, directory="results", project_name="sk")
        tuner.search(*load_iris(return_X_y=True))
        assert tuner.get_best_models(1)[0].predict([[5.0, 3.5, 1.5, 0.2]]).shape == (1,)
    """)


def test_keras_on_jax_without_tensorflow(make_env):
    env = make_env("keras-jax", "tunecore[keras,jax]")
    assert "tuners: " in env.plugins()["keras"]
    env.python("""
        import importlib.util
        import numpy as np
        import keras
        import tunecore as kt

        assert keras.backend.backend() == "jax"
        assert importlib.util.find_spec("tensorflow") is None and importlib.util.find_spec("torch") is None

        def build(hp):
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(hp.Int("units", 4, 8, step=4),
                                      activation="relu"), keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-2, sampling="log")), loss="mse")
            return model

        x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
        y = x.sum(axis=1, keepdims=True)
        tuner = kt.RandomSearch(build, objective="val_loss", max_trials=2, seed=0, directory="results",
                                project_name="jax")
        tuner.search(x, y, validation_split=0.25, epochs=2, verbose=0)
        assert len(tuner.oracle.trials) == 2
        assert tuner.get_best_models(1)[0].predict(x[:3], verbose=0).shape == (3, 1)
    """, KERAS_BACKEND="jax")


@pytest.fixture(scope="module")
def all_env(make_env):
    """``tunecore[all]``, and a search whose project the after-the-search tests read."""
    env = make_env("all", "tunecore[all]")
    env.python("""
        import tunecore as kt
        from tunecore.integrations import MLflowCallback, TensorBoardHParams

        def loss(hp, trial):
            x, kind = hp.Float("x", -5.0, 5.0), hp.Choice("kind", ["a", "b"])
            for step in range(3):
                trial.report(step, loss=(x - 1.0) ** 2 + (kind == "a") + 1.0 / (step + 1))
            return (x - 1.0) ** 2 + (kind == "a")

        kt.tune(loss, objective="loss", oracle="bayesian", max_trials=8, seed=0, verbose=0,
                directory="results", project_name="demo",
                callbacks=[MLflowCallback("sqlite:///mlflow.db", "demo"), TensorBoardHParams("logs/hparams")])
    """)
    return env


def test_all_installs_every_plugin_and_import_stays_light(all_env):
    plugins = all_env.plugins()
    assert {"bayes", "sklearn", "keras", "optuna"} <= set(plugins)
    assert all(line.startswith(VERSION) for name, line in plugins.items() if name in ("bayes", "keras"))
    versions = all_env.run("tunecore", "--version").splitlines()
    assert versions[0] == f"tunecore {VERSION}"
    assert {f"tunecore-{p} {VERSION}" for p in ("bayes", "keras", "optuna", "sklearn")} <= {
        line.replace("_", "-") for line in versions[1:]}
    loaded = json.loads(all_env.python("""
        import json, sys
        import tunecore as kt
        kt.plugins.get_plugin_manager()          # discovery imports every plugin's hook module
        assert "bayesian" in kt.oracles.available()
        heavy = {"tensorflow", "keras", "jax", "torch", "sklearn", "scipy", "optuna", "pandas", "mlflow",
                 "distributed", "dask", "matplotlib", "plotly", "tensorboard", "sqlalchemy", "alembic",
                 "psycopg"}
        print(json.dumps(sorted(heavy & {name.partition(".")[0] for name in sys.modules})))
    """))
    assert loaded == []


def test_all_has_a_keras_plugin_and_no_backend(all_env):
    all_env.python("""
        import importlib.util
        assert importlib.util.find_spec("keras") is not None
        assert all(importlib.util.find_spec(b) is None for b in ("tensorflow", "jax", "torch"))
    """)


def test_all_runs_a_search_on_dask(all_env):
    all_env.python("""
        import tunecore as kt

        if __name__ == "__main__":
            tuner = kt.tune(lambda hp: hp.Float("x", 0.0, 1.0), max_trials=4, executor="dask",
                            max_parallel_trials=2, seed=0, verbose=0)
            assert sum(t.status == "COMPLETED" for t in tuner.oracle.trials.values()) == 4
    """)


def test_all_keeps_a_search_in_a_database(all_env):
    """The wheel carries the schema's migrations: a new SQLite database is created and read back."""
    all_env.python("""
        import tunecore as kt

        kt.tune(lambda hp: hp.Float("x", 0.0, 1.0), max_trials=3, seed=0, verbose=0,
                storage="sqlite:///runs.db", project_name="db")
        assert len(kt.load("sqlite:///runs.db", project_name="db").trials) == 3
    """)


def test_all_results_table_and_parquet_export(all_env):
    all_env.python("""
        import tunecore as kt
        df = kt.load("results/demo").trials_dataframe()
        assert len(df) == 8 and {"params_x", "params_kind", "loss_best"} <= set(df.columns)
    """)
    all_env.run("tunecore", "export", "results/demo", "-o", "trials.parquet")
    all_env.python("""
        import pandas
        assert len(pandas.read_parquet("trials.parquet")) == 8
    """)


def test_all_plots_with_plotly_and_matplotlib_and_importances(all_env):
    all_env.python("""
        import tunecore.importance
        import tunecore.visualization as vis

        figure = vis.plot_optimization_history("results/demo")
        assert type(figure).__module__.startswith("plotly")
        figure.write_html("history.html")
        axes = vis.plot_intermediate_values("results/demo", backend="matplotlib")
        axes.figure.savefig("intermediate.png")
        with open("intermediate.png", "rb") as f:
            assert f.read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
        assert set(tunecore.importance.get_param_importances("results/demo")) == {"x", "kind"}
    """)


_CHROME = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
                if shutil.which(name)), None)


@pytest.mark.skipif(_CHROME is None, reason="plotly's PNG export (kaleido 1) drives a Chrome or Chromium "
                                            "installed on the machine: apt-get install chromium")
def test_all_exports_a_plotly_figure_as_png(all_env):
    all_env.python("""
        import tunecore.visualization as vis
        vis.plot_optimization_history("results/demo").write_image("history.png")
        with open("history.png", "rb") as f:
            assert f.read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
    """)


def test_all_mlflow_on_sqlite(all_env):
    runs = json.loads(all_env.python("""
        import json, mlflow
        client = mlflow.MlflowClient(tracking_uri="sqlite:///mlflow.db")
        runs = client.search_runs([client.get_experiment_by_name("demo").experiment_id])
        print(json.dumps([r.data.tags.get("mlflow.parentRunId") is None for r in runs]))
    """))
    assert sorted(runs) == [False] * 8 + [True]


def test_all_tensorboard_hparams(all_env):
    all_env.python("""
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        from tensorboard.plugins.hparams import metadata

        root = EventAccumulator("logs/hparams")
        root.Reload()
        experiment = metadata.parse_experiment_plugin_data(
            root.PluginTagToContent("hparams")[metadata.EXPERIMENT_TAG])
        assert {info.name for info in experiment.hparam_infos} == {"x", "kind"}
    """)


def test_all_dashboard_starts_and_answers_on_localhost(all_env):
    command = [str(all_env.path / "bin" / "tunecore"), "dashboard", "results/demo", "--port", "0"]
    server = subprocess.Popen(command, cwd=all_env.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=all_env.environ())
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(server.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        url = None
        for _ in range(600):  # at most a minute for the first line
            url = next((m[0] for line in lines if (m := re.search(r"http://127\.0\.0\.1:\d+/\S*", line))), None)
            if url or server.poll() is not None:
                break
            threading.Event().wait(0.1)
        assert url, f"the dashboard printed no address:\n{''.join(lines)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_plugin_template_installed_beside_the_core(make_env):
    env = make_env("template", "tunecore", "tunecore-plugin-template[test]")
    assert re.match(r"0\.1\.0 — oracles: local_search", env.plugins()["plugin-template"])
    env.python("""
        import tunecore as kt
        from tunecore_plugin_template.oracle import LocalSearch
        assert kt.oracles.get("local_search") is LocalSearch
    """)
    shutil.copytree(ROOT / "examples" / "plugin-template" / "tests", env.work / "tests")
    env.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
