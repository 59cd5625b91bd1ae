"""The public API is typed: mypy (configured in mypy.ini) passes on the core and the plugins."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
