"""The plugin manager: entry-point discovery and the name registries.

Set ``TUNECORE_DISABLE_PLUGIN_AUTOLOAD=1`` to skip entry-point discovery (the
built-in oracles and executors are still registered).
"""

import difflib
import importlib
import os

import pluggy

from tunecore import hookspecs
from tunecore.errors import PluginNotFoundError

hookimpl = pluggy.HookimplMarker("tunecore")

ENTRY_POINT_GROUP = "tunecore"
DISABLE_AUTOLOAD_ENV = "TUNECORE_DISABLE_PLUGIN_AUTOLOAD"

#: Names that tunecore's optional plugins register (aliases included), and the
#: extra that installs each, to name the fix when one is missing. The installed
#: plugins are the truth: tests/test_plugins.py fails when this table differs
#: from what they register.
KNOWN_PROVIDERS = {
    "oracle": {
        "bayesian": "bayes", "BayesianOptimization": "bayes",
        "BayesianOptimizationOracle": "bayes", "hyperband": "bayes",
        "Hyperband": "bayes", "HyperbandOracle": "bayes", "asha": "bayes", "ASHA": "bayes",
        "AsyncHyperband": "bayes",
    },
    "tuner": {
        "sklearn": "sklearn", "Sklearn": "sklearn", "SklearnTuner": "sklearn",
        "TunecoreSearchCV": "sklearn", "keras": "keras", "Tuner": "keras",
        "RandomSearch": "keras", "BayesianOptimization": "keras",
        "Hyperband": "keras", "GridSearch": "keras",
    },
}

_BUILTINS = ("tunecore.oracles._plugin", "tunecore.executors._plugin")


class Registry:
    """Names to factories for one kind of component (oracle, tuner, executor)."""

    def __init__(self, kind):
        self.kind = kind
        self._factories = {}
        self._canonical = {}
        self._providers = {}

    def register(self, name, factory, aliases=(), provider=None):
        for key in (name, *aliases):
            self._factories[key] = factory
            self._canonical[key] = name
        self._providers[name] = provider

    def names(self):
        """Canonical names, sorted."""
        return sorted(set(self._canonical.values()))

    def all_names(self):
        """Every name that resolves, aliases included, sorted."""
        return sorted(self._factories)

    def provider(self, name):
        return self._providers.get(self._canonical.get(name, name))

    def __contains__(self, name):
        return name in self._factories

    def get(self, name):
        """The class registered as ``name``, imported if it was given as a string.

        Raises:
            PluginNotFoundError: nothing installed provides ``name``.
        """
        if name not in self._factories:
            raise PluginNotFoundError(self._unknown_message(name))
        factory = self._factories[name]
        if isinstance(factory, str):
            spec = factory
            module_name, _, attr = spec.partition(":")
            factory = getattr(importlib.import_module(module_name), attr)
            for key, value in self._factories.items():
                if value == spec:
                    self._factories[key] = factory
        return factory

    def _unknown_message(self, name):
        installed = self.names()
        message = f"Unknown {self.kind} {name!r}. Installed {self.kind}s: {', '.join(installed)}."
        known = KNOWN_PROVIDERS.get(self.kind, {})
        candidates = list(self._factories) + list(known)
        close = difflib.get_close_matches(str(name), candidates, n=1, cutoff=0.6)
        suggestion = name if name in known else (close[0] if close else None)
        if suggestion is not None and suggestion != name:
            message += f" Did you mean {suggestion!r}?"
        if suggestion in known and suggestion not in self._factories:
            message += (
                " It is provided by an optional plugin: "
                f"pip install 'tunecore[{known[suggestion]}]'."
            )
        return message


class PluginManager:
    """Wraps a ``pluggy.PluginManager`` and the registries it fills."""

    def __init__(self, autoload=None):
        if autoload is None:
            autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
        self.pm = pluggy.PluginManager("tunecore")
        self.pm.add_hookspecs(hookspecs)
        for module_name in _BUILTINS:
            self.pm.register(importlib.import_module(module_name), name=module_name)
        if autoload:
            self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        self.pm.check_pending()
        self.oracles = self._collect("oracle", self.pm.hook.tunecore_register_oracles)
        self.tuners = self._collect("tuner", self.pm.hook.tunecore_register_tuners)
        self.executors = self._collect("executor", self.pm.hook.tunecore_register_executors)

    @property
    def hook(self):
        return self.pm.hook

    def _collect(self, kind, hook):
        registry = Registry(kind)
        for impl in hook.get_hookimpls():
            plugin_name = self.pm.get_name(impl.plugin)

            def register(name, factory, aliases=(), _provider=plugin_name):
                registry.register(name, factory, aliases, provider=_provider)

            impl.function(register=register)
        return registry

    def list_plugins(self):
        """``(name, version, registered names)`` for each loaded plugin."""
        versions = {
            self.pm.get_name(plugin): dist.version
            for plugin, dist in self.pm.list_plugin_distinfo()
        }
        rows = []
        for plugin in self.pm.get_plugins():
            name = self.pm.get_name(plugin)
            provides = {
                registry.kind: [n for n in registry.names() if registry.provider(n) == name]
                for registry in (self.oracles, self.tuners, self.executors)
            }
            rows.append((name, versions.get(name, "builtin"), {k: v for k, v in provides.items() if v}))
        return rows


_manager = None


def get_plugin_manager():
    """The process-wide plugin manager, built on first use."""
    global _manager
    if _manager is None:
        _manager = PluginManager()
    return _manager


def reset_plugin_manager():
    """Forget the plugin manager so the next use rediscovers plugins (for tests)."""
    global _manager
    _manager = None
