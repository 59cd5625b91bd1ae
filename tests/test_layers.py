"""The core's layers point down (``.importlinter``, docs/architecture.md)."""

import ast
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import tunecore

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"
PACKAGE = pathlib.Path(tunecore.__file__).parent

pytest.importorskip("importlinter", reason="the layer contract needs import-linter (the dev extra)")


def _lint_imports(python_path: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    command = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
               "lint_imports_command()", "--no-cache", "--no-logo", str(CONFIG)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_core_imports_point_down_the_layers():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_an_upward_import_breaks_the_layer_contract(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "tunecore", ignore=shutil.ignore_patterns("__pycache__"))
    paths = tmp_path / "tunecore" / "storage" / "paths.py"
    paths.write_text(paths.read_text() + "\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                     "    from tunecore.tuners.base_tuner import BaseTuner\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "tunecore.storage.paths -> tunecore.tuners.base_tuner" in result.stdout


def test_no_importlib_call_hides_an_import_of_tunecore():
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
                    in ("import_module", "__import__") and node.args
                    and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("tunecore")):
                hidden.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not hidden, f"import tunecore's own modules with an import statement instead: {hidden}"
