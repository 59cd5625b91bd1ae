"""Optuna's plots and importances on a tunecore search, from ``tunecore.visualization``."""

import importlib
import sys

import numpy as np
import pytest

import tunecore as kt
import tunecore.importance
import tunecore.visualization
import tunecore_optuna.visualization
from tunecore.errors import InvalidArgumentError, MissingDependencyError

PLOTS = [
    "plot_optimization_history", "plot_param_importances", "plot_parallel_coordinate", "plot_slice",
    "plot_contour", "plot_intermediate_values",
]


def test_without_the_plugin_the_core_says_how_to_install_it(monkeypatch):
    for module in ("visualization", "importance"):
        monkeypatch.setitem(sys.modules, f"tunecore_optuna.{module}", None)  # as if not installed
        monkeypatch.delitem(sys.modules, f"tunecore.{module}")
        with pytest.raises(MissingDependencyError, match=r"pip install 'tunecore\[optuna\]'"):
            importlib.import_module(f"tunecore.{module}")


def test_core_forwards_to_the_plugin():
    for name in PLOTS:
        assert getattr(tunecore.visualization, name) is getattr(tunecore_optuna.visualization, name)


@pytest.mark.parametrize("name", PLOTS)
def test_each_plot_renders_to_html_with_the_searchs_data(search, name):
    kwargs = {"params": ["lr", "units"]} if name == "plot_contour" else {}
    figure = getattr(tunecore.visualization, name)(search.project_dir, **kwargs)
    html = figure.to_html(include_plotlyjs=False)
    assert figure.data, f"{name} drew nothing"
    assert len(html) > 1000
    if name == "plot_intermediate_values":
        assert "Trial0" in html or "Trial1" in html
    elif name != "plot_optimization_history":
        assert "lr" in html and "units" in html


@pytest.mark.parametrize("name", PLOTS)
def test_each_plot_renders_to_a_png_with_matplotlib(search, name, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image
    import matplotlib.pyplot as plt

    kwargs = {"params": ["lr", "units"]} if name == "plot_contour" else {}
    axes = getattr(tunecore.visualization, name)(search, backend="matplotlib", **kwargs)
    figure = np.ravel(axes)[0].figure
    path = tmp_path / f"{name}.png"
    figure.savefig(path)
    plt.close(figure)
    pixels = matplotlib.image.imread(path)[..., :3]
    assert pixels.std() > 0.05, f"{name} saved a blank picture"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20


def test_an_unknown_backend_is_refused():
    with pytest.raises(InvalidArgumentError, match="backend must be one of"):
        tunecore.visualization.plot_slice("unused", backend="bokeh")


def test_the_deciding_hyperparameter_ranks_first(search):
    importances = tunecore.importance.get_param_importances(search)
    assert next(iter(importances)) == "lr"
    assert importances["lr"] > 0.5
    assert set(importances) == {"lr", "units", "model", "depth"}


def test_importances_of_a_function_search():
    def fn(hp):
        a = hp.Float("a", 0.0, 1.0)
        b = hp.Float("b", 0.0, 1.0)
        c = hp.Choice("c", ["x", "y"])
        return 10 * (a - 0.3) ** 2 + 0.01 * b + (0.001 if c == "x" else 0.0)

    tuner = kt.tune(fn, max_trials=40, seed=0, verbose=0)
    importances = tunecore.importance.get_param_importances(tuner)
    assert list(importances)[0] == "a"


@pytest.mark.skipif(not hasattr(kt, "Pareto"), reason="this tunecore has no Pareto objectives")
def test_a_pareto_search_plots_its_first_objective():
    def fn(hp):
        x = hp.Float("x", 0.0, 1.0)
        y = hp.Float("y", 0.0, 1.0)
        return {"accuracy": x + 0.01 * y, "latency": 1.0 - x}

    tuner = kt.tune(fn, objective=kt.Pareto(["accuracy", "latency"]), max_trials=20, seed=0, verbose=0)
    figure = tunecore.visualization.plot_slice(tuner)
    assert "accuracy" in figure.to_html(include_plotlyjs=False)
    assert list(tunecore.importance.get_param_importances(tuner))[0] == "x"
