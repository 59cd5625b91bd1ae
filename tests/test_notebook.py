"""In Jupyter: ``import tunecore`` does not warn, a search shows its progress
(a widget bar with ipywidgets, plain lines without) and the results table."""

import importlib.util

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

WIDGET = "application/vnd.jupyter.widget-view+json"


def _run_notebook(tmp_path, *cells):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    return [output for cell in notebook.cells for output in cell.outputs]


def _text(output):
    if output["output_type"] == "stream":
        return output["text"]
    return "\n".join(str(value) for value in output.get("data", {}).values())


SEARCH = (
    "import tunecore as kt",
    "tuner = kt.tune(lambda hp: {'val_loss': hp.Float('x', 0, 1)}, objective='val_loss', "
    "max_trials=4, seed=0, directory='search')",
    "tuner.results_dataframe()",
)


@pytest.mark.slow
@pytest.mark.parametrize("widgets", [True, False], ids=["ipywidgets", "no-ipywidgets"])
def test_a_search_in_a_notebook_shows_progress_and_the_table_without_warnings(tmp_path, widgets):
    if importlib.util.find_spec("ipykernel") is None:
        pytest.skip("ipykernel is not installed (a dev dependency)")
    if widgets and importlib.util.find_spec("ipywidgets") is None:
        pytest.skip("ipywidgets is not installed (a dev dependency)")
    hide = () if widgets else ("import sys; sys.modules['ipywidgets'] = None  # as if not installed",)
    outputs = _run_notebook(tmp_path, *hide, *SEARCH)

    texts = [_text(output) for output in outputs]
    assert not [text for text in texts if "Warning" in text], texts
    if widgets:
        assert any(WIDGET in output.get("data", {}) for output in outputs), texts
    else:
        assert any("Search: 4/4 trials" in text for text in texts), texts
        assert not any("\r" in text for text in texts), texts  # no bar redrawn as text
    assert any("Search finished" in text for text in texts), texts
    table = outputs[-1]
    assert table["output_type"] == "execute_result"
    assert "<table" in table["data"]["text/html"] and "params_x" in table["data"]["text/html"]
