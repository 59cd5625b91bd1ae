"""The documentation site: every code example runs, the site builds cleanly, pages render.

Each page of ``docs/`` is one test: its ```python blocks run in order, in one
fresh namespace (``__name__ == "__main__"``, as a script), in a fresh Python
process whose working directory is a temporary folder. A traceback points at
the page and the line of the failing example. A block whose first line is
``# file: path/to/module.py`` is a file of the example (a plugin's module): it
is written there, relative to the working directory, instead of being run. A
block that genuinely cannot run here (a Dask cluster's address) carries the
marker comment ``# docs: skip``; it must still compile.
"""

import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP_MARKER = "# docs: skip"
PAGES = sorted(DOCS.rglob("*.md"))

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})\s*(?P<lang>[\w+-]*)")
# What a page's examples need beyond the core, and how to tell.
_NEEDS = {
    r"\b(import|from) keras\b": "keras",
    r"\b(import|from) sklearn\b": "sklearn",
    r"\b(import|from) (dask\.)?distributed\b|executor=\"dask\"": "distributed",
    r"storage=\"sqlite:///|\bSQLStorage\b": "sqlalchemy",
}
# Pages whose examples take more than a few seconds (Keras, process pools, Dask).
_SLOW = re.compile(r"\bkeras\b|executor=\"(process|dask)\"|max_parallel_trials|ProcessPoolExecutor|subprocess\.Popen")

# Runs in the child process: reads [(path, first_line, code), ...] on stdin.
_RUNNER = """
import json, os, re, sys
namespace = {"__name__": "__main__"}
for path, first_line, code in json.load(sys.stdin):
    target = re.match(r"# file: (\\S+)\\n", code)
    if target:
        os.makedirs(os.path.dirname(target[1]) or ".", exist_ok=True)
        with open(target[1], "w", encoding="utf-8") as f:
            f.write(code)
        continue
    exec(compile("\\n" * (first_line - 1) + code, path, "exec"), namespace)
"""


def python_blocks(text):
    """``[(first_line, code)]`` of the ```python blocks in a Markdown text (1-based lines)."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, lang = match["indent"], match["fence"], match["lang"]
        start, i = i + 1, i + 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            i += 1
        if lang == "python":
            body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                    for line in lines[start:i]]
            blocks.append((start + 1, "\n".join(body) + "\n"))
        i += 1
    return blocks


def _pages_with_examples():
    return [page for page in PAGES if python_blocks(page.read_text(encoding="utf-8"))]


def _page_id(page):
    return str(page.relative_to(DOCS))


def _marks(page):
    code = "".join(code for _, code in python_blocks(page.read_text(encoding="utf-8")))
    return [pytest.mark.slow] if _SLOW.search(code) else []


def test_python_blocks_are_found():
    text = "x\n```python\na = 1\n```\n\n    ```python\n    b = 2\n    ```\n```bash\nls\n```\n"
    assert python_blocks(text) == [(3, "a = 1\n"), (7, "b = 2\n")]


@pytest.mark.parametrize("page", _pages_with_examples(), ids=_page_id)
def test_examples_compile(page):
    for first_line, code in python_blocks(page.read_text(encoding="utf-8")):
        compile("\n" * (first_line - 1) + code, str(page), "exec")


@pytest.mark.parametrize(
    "page", [pytest.param(p, marks=_marks(p)) for p in _pages_with_examples()], ids=_page_id,
)
def test_examples_run(page, tmp_path):
    blocks = [(str(page.relative_to(ROOT)), line, code)
              for line, code in python_blocks(page.read_text(encoding="utf-8"))
              if SKIP_MARKER not in code]
    if not blocks:
        pytest.skip(f"every example of {_page_id(page)} is marked {SKIP_MARKER!r}")
    code = "".join(code for _, _, code in blocks)
    for pattern, module in _NEEDS.items():
        if re.search(pattern, code) and importlib.util.find_spec(module) is None:
            pytest.skip(f"{_page_id(page)}'s examples need {module}, which is not installed")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER], input=json.dumps(blocks), cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, (
        f"An example in {_page_id(page)} failed (the traceback names its line):\n"
        f"{result.stderr[-6000:]}\n--- stdout ---\n{result.stdout[-2000:]}"
    )


# The built site -------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (a dev dependency)")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings is not installed (a dev dependency)")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    log = result.stdout + result.stderr
    warnings = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert result.returncode == 0 and not warnings, f"mkdocs build --strict failed:\n{log}"
    return out


@pytest.mark.slow
def test_site_builds_without_warnings(site):
    assert (site / "index.html").is_file()
    assert (site / "reference" / "hyperparameters" / "index.html").is_file()


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless Chromium on this machine (Debian: apt-get install chromium)")


def _render(browser, page, tmp_path, *args):
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1000", *args,
         page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"chromium failed on {page}:\n{result.stderr[-3000:]}"
    return result.stdout


def _headings(dom):
    return [" ".join(re.sub(r"<[^>]+>|¶", " ", h).split())
            for h in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", dom, flags=re.S)]


def _text(dom):
    return html.unescape(re.sub(r"<[^>]+>", "", dom))


@pytest.mark.slow
def test_home_page_renders(site, tmp_path):
    browser = _chromium()
    dom = _render(browser, site / "index.html", tmp_path, "--dump-dom")
    headings = _headings(dom)
    assert "tunecore" in headings and "A first search" in headings, headings
    screenshot = tmp_path / "home.png"
    _render(browser, site / "index.html", tmp_path, f"--screenshot={screenshot}")
    assert screenshot.stat().st_size > 10_000  # a rendered page, not a blank one


@pytest.mark.slow
def test_api_reference_page_renders(site, tmp_path):
    browser = _chromium()
    dom = _render(browser, site / "reference" / "storage" / "index.html", tmp_path, "--dump-dom")
    headings = _headings(dom)
    for name in ("Storage and projects", "tunecore.storage.journal", "JournalStorage",
                 "read_events", "ProjectLock"):
        assert name in headings, headings
    # Signatures show their annotations (one parameter per line, when wrapped).
    text = " ".join(_text(dom).split())
    assert "read_events( project_dir: str | PathLike[str], ) -> tuple[" in text, text[:3000]


#: The longest signature line the reference may show: mkdocs.yml's ``line_length``, plus
#: room for one parameter that Ruff cannot break.
MAX_SIGNATURE_LINE = 100


def _reference_pages(site):
    return sorted((site / "reference").rglob("index.html"))


def _signatures(page):
    """The plain text of each signature block of a built reference page."""
    blocks = re.findall(r'<div class="doc-signature highlight"><pre>(.*?)</pre></div>',
                        page.read_text(encoding="utf-8"), flags=re.S)
    return [_text(block) for block in blocks]


@pytest.mark.slow
def test_signatures_are_wrapped_one_parameter_per_line(site):
    signatures = {page: _signatures(page) for page in _reference_pages(site)}
    assert sum(map(len, signatures.values())) > 100, "no signature blocks found: did the markup change?"
    long = [(str(page.relative_to(site)), line) for page, blocks in signatures.items()
            for block in blocks for line in block.splitlines() if len(line) > MAX_SIGNATURE_LINE]
    assert not long, f"signature lines over {MAX_SIGNATURE_LINE} characters (is Ruff installed?): {long[:5]}"
    tune = next(b for b in signatures[site / "reference" / "tuners" / "index.html"] if b.startswith("tune("))
    assert "\n    max_trials: int | None = None,\n" in tune, tune


@pytest.mark.slow
def test_docstring_examples_render_as_highlighted_code(site):
    raw = []
    for page in sorted(site.rglob("*.html")):
        dom = page.read_text(encoding="utf-8")
        # reStructuredText that Markdown shows as text: a literal-block marker, a simple table.
        raw += [(str(page.relative_to(site)), p) for p in re.findall(r"<p>((?:(?!</p>).)*?::)</p>", dom, flags=re.S)]
        raw += [(str(page.relative_to(site)), p[:60]) for p in re.findall(r"<p>(={3,} .*?)</p>", dom, flags=re.S)]
    assert not raw, f"docstring markup rendered as text (write Google-style `Example:` sections with fenced code, Markdown tables): {raw[:5]}"
    dom = (site / "reference" / "tuners" / "index.html").read_text(encoding="utf-8")
    tune = dom[dom.index('id="tunecore.tuners.function_tuner.tune"'):]
    example = re.search(r'<details class="example"[^>]*>\s*<summary>Example</summary>\s*<div class="highlight">(.*?)</div>',
                        tune, flags=re.S)
    assert example, "tune()'s Example section is not rendered as a titled code block"
    assert '<span class="k">def</span>' in example.group(1), "the example's code is not highlighted as Python"


# What the pages must cover ------------------------------------------------------------


def _plugin_distributions():
    """``{distribution: [entry-point names]}`` of the plugins in this checkout."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")

    found = {}
    for pyproject in sorted((ROOT / "plugins").glob("*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        found[project["name"]] = sorted(project.get("entry-points", {}).get("tunecore", {}))
    return found


def test_home_and_cli_pages_name_every_plugin():
    plugins = _plugin_distributions()
    assert len(plugins) >= 4, plugins
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    listed = re.search(r"^\$ tunecore plugins\n(.*?)^```", cli, flags=re.S | re.M).group(1)
    for distribution, entry_points in plugins.items():
        assert f"| `{distribution}` |" in home, f"docs/index.md's plugin table has no row for {distribution}"
        for name in entry_points:
            assert re.search(rf"^{re.escape(name)} \S+ — ", listed, flags=re.M), (
                f"docs/cli.md's `tunecore plugins` output does not list the {distribution} plugin {name!r}"
            )

#: Modules whose ``__all__`` is public API that the reference must name.
PUBLIC_MODULES = [
    "tunecore", "tunecore.hyperparameters", "tunecore.oracles", "tunecore.tuners",
    "tunecore.executors", "tunecore.storage", "tunecore.testing", "tunecore.integrations",
    "tunecore_bayes",
    "tunecore_sklearn",
    "tunecore_optuna",
]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_reference_names_every_public_name(module_name):
    if importlib.util.find_spec(module_name.partition(".")[0]) is None:
        pytest.skip(f"{module_name} is not installed")
    module = importlib.import_module(module_name)
    reference = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    missing = [name for name in module.__all__ if not re.search(rf"\b{re.escape(name)}\b", reference)]
    assert not missing, (
        f"{module_name}.__all__ has names that docs/reference/ does not document: {missing}. "
        "Add a `::: module.Name` entry (or name an alias) on the right page."
    )


def test_cli_page_documents_every_command(capsys):
    from tunecore.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    commands = re.search(r"\{([\w,-]+)\}", capsys.readouterr().out).group(1).split(",")
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in commands if not re.search(rf"^## `tunecore {c}\b", page, flags=re.M)]
    assert not missing, f"docs/cli.md has no section for: {missing}"
