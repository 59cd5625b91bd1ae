"""The public API is typed: mypy (configured in mypy.ini) passes on the core and the plugins."""

import ast
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tunecore.plugins import PluginManager

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_passes(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (a dev dependency)")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "mypy.ini"),
         "--cache-dir", str(tmp_path / "mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )
    assert result.returncode == 0, f"mypy found errors:\n{result.stdout}{result.stderr}"


PACKAGES = [ROOT / "src" / "tunecore", *(p.parent for p in sorted(ROOT.glob("plugins/*/src/*/__init__.py")))]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_distributions_are_marked_typed(package):
    assert (package / "py.typed").is_file(), (
        f"{package.relative_to(ROOT)} lacks its py.typed marker (PEP 561); add it, and to the "
        "package data of its pyproject.toml"
    )


# Types an IDE sees. The stubs beside tunecore's lazy modules name the plugins'
# classes, which the plugin registry resolves at run time on first use.
STUBBED = {"tunecore": "tuners", "tunecore.tuners": "tuners", "tunecore.oracles": "oracles"}
#: Public names of a stubbed module beyond its __all__ and its plugin names.
STUB_EXTRAS = {"tunecore": {"__version__", "applications", "plugins"}}


def _stub_path(module_name):
    return ROOT / "src" / Path(*module_name.split(".")) / "__init__.pyi"


def _stub_exports(module_name):
    """What a checker sees as the stub's public names: ``{name: (module, attribute)}``.

    ``(module, attribute)`` is what the name is imported as, or ``None`` for a
    name the stub declares (a function, a variable).
    """
    exports = {}
    for node in ast.parse(_stub_path(module_name).read_text()).body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname == alias.name:  # `X as X`: the stub's form of a re-export
                    exports[alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            exports[node.targets[0].id] = exports[node.value.id]  # an alias, `SklearnTuner = Sklearn`
        elif isinstance(node, (ast.AnnAssign, ast.FunctionDef)):
            exports[node.target.id if isinstance(node, ast.AnnAssign) else node.name] = None
    return {name: source for name, source in exports.items()
            if name == "__version__" or not name.startswith("_")}


def _stub_all(module_name):
    for node in ast.parse(_stub_path(module_name).read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "__all__":
            return ast.literal_eval(node.value)
    return None


@pytest.mark.parametrize("module_name", STUBBED)
def test_stub_names_are_the_module_names_and_the_registered_plugin_names(module_name):
    module = importlib.import_module(module_name)
    registry = getattr(PluginManager(autoload=True), STUBBED[module_name])
    plugin_names = {name for name in registry.all_names() if name.isidentifier() and name[:1].isupper()}
    expected = set(module.__all__) | plugin_names | STUB_EXTRAS.get(module_name, set())
    stubbed = set(_stub_exports(module_name))
    stub = _stub_path(module_name).relative_to(ROOT)
    assert not expected - stubbed, f"{stub} lacks {sorted(expected - stubbed)}; add them to it"
    assert not stubbed - expected, (
        f"{stub} names {sorted(stubbed - expected)}, which {module_name} does not export "
        "and no installed plugin registers; remove them from it"
    )
    assert _stub_all(module_name) == module.__all__, f"{stub}'s __all__ differs from {module_name}'s"


@pytest.mark.slow
@pytest.mark.parametrize("module_name", STUBBED)
def test_stub_names_are_the_objects_the_module_gives_at_run_time(module_name):
    module = importlib.import_module(module_name)
    for name, source in _stub_exports(module_name).items():
        if source is None:
            assert hasattr(module, name), f"{_stub_path(module_name).name} declares {name!r}"
        else:
            stubbed = getattr(importlib.import_module(source[0]), source[1])
            assert getattr(module, name) is stubbed, f"{module_name}.{name} is not {source[0]}.{source[1]}"


def test_stubs_ship_in_the_wheel():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["tunecore"]
    package = ROOT / "src" / "tunecore"
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    for module_name in STUBBED:
        assert _stub_path(module_name) in shipped, (
            f"{_stub_path(module_name).relative_to(ROOT)} is not in tunecore's package data "
            "(pyproject.toml, [tool.setuptools.package-data]); installed, it would be missing"
        )


#: A user's script: each revealed type is noted in its line's comment (mypy's
#: spelling; pyright gives the name after the last dot).
USER_SCRIPT = '''\
import tunecore as kt


def build(hp: kt.HyperParameters) -> None:
    reveal_type(hp.Float("lr", 1e-4, 1e-1, sampling="log"))  # builtins.float
    reveal_type(hp.Int("units", 8, 64, step=8))  # builtins.int
    reveal_type(hp.Boolean("dropout"))  # builtins.bool
    reveal_type(hp.Choice("activation", ["relu", "tanh"]))  # builtins.str
    reveal_type(hp.Choice("layers", [1, 2, 3]))  # builtins.int
    reveal_type(hp.Fixed("momentum", 0.9))  # builtins.float


def names(
    a: kt.RandomSearch, b: kt.BayesianOptimization, c: kt.Hyperband, d: kt.GridSearch, e: kt.Tuner,
    f: kt.tuners.Sklearn, g: kt.SklearnTuner, h: kt.tuners.TunecoreSearchCV,
    i: kt.oracles.BayesianOptimization, j: kt.oracles.Hyperband, k: kt.oracles.RandomSearch,
    l: kt.oracles.OptunaTPE, m: kt.HyperParameters, n: kt.Objective, o: kt.pruners.MedianPruner,
    p: kt.callbacks.NoImprovement, q: kt.Oracle, r: kt.BaseTuner,
) -> None:
    reveal_type(a)  # tunecore_keras.tuners.RandomSearch
    reveal_type(b)  # tunecore_keras.tuners.BayesianOptimization
    reveal_type(c)  # tunecore_keras.hyperband.Hyperband
    reveal_type(d)  # tunecore_keras.tuners.GridSearch
    reveal_type(e)  # tunecore_keras.tuner.Tuner
    reveal_type(f)  # tunecore_sklearn.tuner.Sklearn
    reveal_type(g)  # tunecore_sklearn.tuner.Sklearn
    reveal_type(h)  # tunecore_sklearn.search_cv.TunecoreSearchCV
    reveal_type(i)  # tunecore_bayes.bayesian.BayesianOptimization
    reveal_type(j)  # tunecore_bayes.hyperband.Hyperband
    reveal_type(k)  # tunecore.oracles.random.RandomSearch
    reveal_type(l)  # tunecore_optuna.oracles.OptunaTPE
    reveal_type(m)  # tunecore.hyperparameters.space.HyperParameters
    reveal_type(n)  # tunecore.objective.Objective
    reveal_type(o)  # tunecore.pruners.MedianPruner
    reveal_type(p)  # tunecore.callbacks.NoImprovement
    reveal_type(q)  # tunecore.oracles.base.Oracle
    reveal_type(r)  # tunecore.tuners.base_tuner.BaseTuner
'''


def _user_script(path):
    """USER_SCRIPT, then a line revealing every public name of the stubbed modules."""
    lines = [f"reveal_type({module_name.replace('tunecore', 'kt', 1)}.{name})  # not Any"
             for module_name in STUBBED for name in sorted(_stub_exports(module_name))]
    path.write_text(USER_SCRIPT + "\n" + "\n".join(lines) + "\n")
    return {number: line.rpartition("# ")[2]
            for number, line in enumerate(path.read_text().splitlines(), 1) if "reveal_type(" in line}


def _check_revealed(checker, expected, revealed):
    assert set(revealed) == set(expected), f"{checker} revealed lines {sorted(revealed)}, not {sorted(expected)}"
    wrong = []
    for number, want in expected.items():
        got = revealed[number]
        if want == "not Any":
            ok = got not in ("Any", "Unknown")
        else:
            ok = got == (want.removeprefix("builtins.") if checker == "mypy" else want.rpartition(".")[2])
        if not ok:
            wrong.append(f"line {number}: {got!r}, expected {want!r}")
    assert not wrong, f"{checker} sees the wrong types:\n" + "\n".join(wrong)


@pytest.mark.slow
def test_mypy_sees_the_real_types_of_the_public_names(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (a dev dependency)")
    expected = _user_script(tmp_path / "user.py")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "--strict", "user.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )
    revealed = dict(
        (int(m[1]), m[2]) for m in re.finditer(r'^user\.py:(\d+): note: Revealed type is "(.*)"$', result.stdout, re.M)
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not errors, "mypy finds errors in a correct user script:\n" + "\n".join(errors)
    _check_revealed("mypy", expected, revealed)


@pytest.mark.slow
def test_pyright_sees_the_real_types_of_the_public_names(tmp_path):
    if importlib.util.find_spec("pyright") is None:
        pytest.skip("pyright is not installed (a dev dependency)")
    expected = _user_script(tmp_path / "user.py")
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable, "user.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    diagnostics = json.loads(result.stdout)["generalDiagnostics"]
    errors = [f"{d['range']['start']['line'] + 1}: {d['message']}" for d in diagnostics if d["severity"] == "error"]
    assert not errors, "pyright finds errors in a correct user script:\n" + "\n".join(errors)
    revealed = {d["range"]["start"]["line"] + 1: re.fullmatch(r'Type of ".*" is "(.*)"', d["message"], re.S)[1]
                for d in diagnostics if d["severity"] == "information"}
    _check_revealed("pyright", expected, revealed)
