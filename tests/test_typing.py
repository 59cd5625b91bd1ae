"""The public API is typed: mypy (configured in mypy.ini) passes on the core and the plugins,
and a user's script sees the real classes and value types, with mypy and with pyright."""

import ast
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tunecore.plugins import KNOWN_PROVIDERS

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
# classes, which the plugin registry resolves at run time on first use. Each
# stubbed module, and the kind of plugin names it types (None: none).
STUBBED = {"tunecore": "tuner", "tunecore.tuners": "tuner", "tunecore.oracles": "oracle",
           "tunecore.applications": None}
#: Public names of a stubbed module beyond its __all__ and its plugin names.
STUB_EXTRAS = {"tunecore": {"__version__", "applications", "plugins"}}
#: Modules that import Keras when imported.
IMPORTS_KERAS = {"tunecore.applications"}


def _stub_path(module_name):
    package = ROOT / "src" / Path(*module_name.split("."))
    return package / "__init__.pyi" if package.is_dir() else package.with_suffix(".pyi")


def _stubbed_modules():
    return [pytest.param(name, marks=pytest.mark.slow) if name in IMPORTS_KERAS else name for name in STUBBED]


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


@pytest.mark.parametrize("module_name", _stubbed_modules())
def test_stub_names_are_the_module_names_and_the_registered_plugin_names(module_name):
    module = importlib.import_module(module_name)
    # tunecore's plugins, installed or not (test_plugins.py checks the table against them);
    # lower-case names are for strings (oracle="bayesian"), not attributes.
    known = KNOWN_PROVIDERS.get(STUBBED[module_name], {})
    plugin_names = {name for name in known if name.isidentifier() and name[:1].isupper()}
    expected = set(module.__all__) | plugin_names | STUB_EXTRAS.get(module_name, set())
    stubbed = set(_stub_exports(module_name))
    stub = _stub_path(module_name).relative_to(ROOT)
    assert not expected - stubbed, f"{stub} lacks {sorted(expected - stubbed)}; add them to it"
    assert not stubbed - expected, (
        f"{stub} names {sorted(stubbed - expected)}, which {module_name} does not export "
        "and none of tunecore's plugins registers; remove them from it"
    )
    assert _stub_all(module_name) == module.__all__, f"{stub}'s __all__ differs from {module_name}'s"


@pytest.mark.slow
@pytest.mark.parametrize("module_name", STUBBED)
def test_stub_names_are_the_objects_the_module_gives_at_run_time(module_name):
    module = importlib.import_module(module_name)
    for name, source in _stub_exports(module_name).items():
        if source is None:
            assert hasattr(module, name), f"{_stub_path(module_name).name} declares {name!r}"
        elif importlib.util.find_spec(source[0].partition(".")[0]) is not None:  # its plugin is installed
            stubbed = getattr(importlib.import_module(source[0]), source[1])
            assert getattr(module, name) is stubbed, f"{module_name}.{name} is not {source[0]}.{source[1]}"


def test_import_tunecore_imports_no_plugin():
    """The stubs name the plugins for checkers only: at run time plugins load on first use."""
    plugins = [package.name for package in PACKAGES[1:]]
    code = f"import sys, tunecore; print([m for m in sys.modules if m.partition('.')[0] in {plugins!r}])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_stubs_ship_in_the_wheel(tmp_path):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    backend = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["build-backend"]
    pytest.importorskip(backend.partition(".")[0])
    # Built from a copy of the distribution's files, so the checkout gets no build/ folder.
    source = tmp_path / "tunecore"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for path in ROOT.iterdir():
        if path.is_file():
            shutil.copy(path, source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    str(source), "-w", str(tmp_path)], check=True, capture_output=True, timeout=600)
    [wheel] = tmp_path.glob("tunecore-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for module_name in STUBBED:
        stub = _stub_path(module_name).relative_to(ROOT / "src").as_posix()
        assert stub in shipped, f"the wheel lacks {stub}: add it to tunecore's package data (pyproject.toml)"


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
    p: kt.callbacks.NoImprovement, q: kt.Oracle, r: kt.BaseTuner, s: kt.applications.HyperResNet,
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
    reveal_type(s)  # tunecore_keras.applications.resnet.HyperResNet
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


def _mypy(tmp_path, python=sys.executable):
    """mypy on ``tmp_path/user.py`` for the environment of ``python``: ``({line: type}, [errors])``."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (a dev dependency)")
    # The typed libraries that the plugins import are skipped (their names are Any),
    # as in mypy.ini: analysing Dask and Optuna from a cold cache takes minutes.
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\n[mypy-optuna.*,distributed.*,dask.*,pandas.*,scipy.*,sklearn.*]\nfollow_imports = skip\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", str(tmp_path / "cache"),
         "--python-executable", str(python), "--strict", "user.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )
    revealed = {int(m[1]): m[2]
                for m in re.finditer(r'^user\.py:(\d+): note: Revealed type is "(.*)"$', result.stdout, re.M)}
    return revealed, [line for line in result.stdout.splitlines() if ": error:" in line]


def _pyright(tmp_path, python=sys.executable):
    """pyright on ``tmp_path/user.py`` for the environment of ``python``: ``({line: type}, [errors])``."""
    if importlib.util.find_spec("pyright") is None:
        pytest.skip("pyright is not installed (a dev dependency)")
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", str(python), "user.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    diagnostics = json.loads(result.stdout)["generalDiagnostics"]
    revealed = {d["range"]["start"]["line"] + 1: re.fullmatch(r'Type of ".*" is "(.*)"', d["message"], re.S)[1]
                for d in diagnostics if d["severity"] == "information"}
    return revealed, [f"{d['range']['start']['line'] + 1}: {d['message']}"
                      for d in diagnostics if d["severity"] == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("checker", [_mypy, _pyright], ids=["mypy", "pyright"])
def test_checkers_see_the_real_types_of_the_public_names(tmp_path, checker):
    missing = [package.name for package in PACKAGES[1:] if importlib.util.find_spec(package.name) is None]
    if missing:
        pytest.skip(f"the user's script names every plugin's classes; not installed: {', '.join(missing)}")
    expected = _user_script(tmp_path / "user.py")
    revealed, errors = checker(tmp_path)
    name = checker.__name__.strip("_")
    assert not errors, f"{name} finds errors in a correct user script:\n" + "\n".join(errors)
    _check_revealed(name, expected, revealed)


CORE_ALONE_SCRIPT = '''\
import tunecore as kt

hp = kt.HyperParameters()
reveal_type(hp.Float("lr", 1e-4, 1e-1))
reveal_type(kt.Objective("val_loss", "min"))
reveal_type(kt.RandomSearch)
reveal_type(kt.oracles.BayesianOptimization)
'''


@pytest.mark.slow
@pytest.mark.parametrize("checker", [_mypy, _pyright], ids=["mypy", "pyright"])
def test_without_the_plugins_their_names_are_unknown_and_the_script_still_checks(tmp_path, checker):
    """The core installed alone: the stubs' plugin imports fail quietly, as any missing package's."""
    venv.create(tmp_path / "venv", with_pip=False)
    python = tmp_path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    shutil.copytree(ROOT / "src" / "tunecore", tmp_path / "core" / "tunecore",
                    ignore=shutil.ignore_patterns("__pycache__"))
    Path(site_packages, "tunecore.pth").write_text(str(tmp_path / "core") + "\n")
    (tmp_path / "user.py").write_text(CORE_ALONE_SCRIPT)

    revealed, errors = checker(tmp_path, python)
    assert not errors, errors
    unknown = "Any" if checker is _mypy else "Unknown"
    objective = "tunecore.objective.Objective" if checker is _mypy else "Objective"
    assert revealed == {4: "float", 5: objective, 6: unknown, 7: unknown}
