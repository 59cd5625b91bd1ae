import pytest

from tunecore import plugins


@pytest.fixture
def fresh_plugins(monkeypatch):
    """Rebuild the plugin manager around a test, and again after it."""
    plugins.reset_plugin_manager()
    yield monkeypatch
    plugins.reset_plugin_manager()
