"""The plugin manager: entry-point discovery and the name registries.

Set ``TUNECORE_DISABLE_PLUGIN_AUTOLOAD=1`` to skip entry-point discovery (the
built-in oracles and executors are still registered).

One broken plugin breaks nothing. pluggy's ``load_setuptools_entrypoints``
loads every entry point at once, so the first plugin that fails to import took
every search down with it, even ``oracle="random"``. Here each entry point is
loaded, checked for unknown hooks and asked for its registrations on its own: a
plugin that fails at any of these steps is skipped whole, with one
:class:`PluginWarning`, and ``tunecore plugins`` lists it as broken. A name that
is already registered is refused with a warning: the first registration wins,
and the built-ins are registered first, so no plugin silently replaces
``"random"``. A factory that cannot be used fails when it is used, with an
error that names the plugin that registered it.
"""

import difflib
import functools
import importlib
import importlib.metadata
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import pluggy

from tunecore import hookspecs
from tunecore.hookspecs import Factory
from tunecore.errors import MissingDependencyError, PluginNotFoundError

hookimpl = pluggy.HookimplMarker("tunecore")

ENTRY_POINT_GROUP = "tunecore"
DISABLE_AUTOLOAD_ENV = "TUNECORE_DISABLE_PLUGIN_AUTOLOAD"

#: Names that tunecore's optional plugins register (aliases included), and the
#: extra that installs each, to name the fix when one is missing. The installed
#: plugins are the truth: tests/test_plugins.py fails when this table differs
#: from what they register.
KNOWN_PROVIDERS: dict[str, dict[str, str]] = {
    "oracle": {
        "bayesian": "bayes", "BayesianOptimization": "bayes",
        "BayesianOptimizationOracle": "bayes", "hyperband": "bayes",
        "Hyperband": "bayes", "HyperbandOracle": "bayes", "asha": "bayes", "ASHA": "bayes",
        "AsyncHyperband": "bayes",
        "optuna": "optuna", "OptunaSampler": "optuna", "optuna:tpe": "optuna", "optuna:cmaes": "optuna",
        "optuna:qmc": "optuna", "optuna:nsga2": "optuna", "optuna:gp": "optuna", "optuna:random": "optuna",
        "OptunaTPE": "optuna", "OptunaCmaEs": "optuna", "OptunaQMC": "optuna", "OptunaNSGAII": "optuna",
        "OptunaGP": "optuna", "OptunaRandom": "optuna",
    },
    "tuner": {
        "sklearn": "sklearn", "Sklearn": "sklearn", "SklearnTuner": "sklearn",
        "TunecoreSearchCV": "sklearn", "keras": "keras", "Tuner": "keras",
        "RandomSearch": "keras", "BayesianOptimization": "keras",
        "Hyperband": "keras", "GridSearch": "keras",
    },
}

_BUILTINS = ("tunecore.oracles._plugin", "tunecore.executors._plugin")

_REGISTRATION_HOOKS = (
    ("oracle", "tunecore_register_oracles"),
    ("tuner", "tunecore_register_tuners"),
    ("executor", "tunecore_register_executors"),
)


class PluginWarning(UserWarning):
    """A plugin was skipped, or a name it registered refused; tunecore works without it."""


class BrokenPlugin(NamedTuple):
    """An entry point that was skipped, and why."""

    name: str  #: the entry point's name, e.g. ``"acme"``
    entry_point: str  #: e.g. ``"acme = acme_oracle"``
    distribution: str  #: the distribution that declares it, e.g. ``"acme-oracle"``
    version: str
    reason: str  #: e.g. ``"import failed: ModuleNotFoundError: No module named 'x'"``
    error: Exception  #: what was raised, for its traceback


class RefusedName(NamedTuple):
    """A name that ``plugin`` registered but ``owner`` had registered first."""

    plugin: str
    kind: str
    name: str
    owner: str


class _Origin(NamedTuple):
    entry_point: str
    distribution: str
    version: str


class _HookFailed(Exception):
    def __init__(self, hook_name, error):
        super().__init__(hook_name, error)
        self.hook_name = hook_name
        self.error = error


class Registry:
    """Names to factories for one kind of component (oracle, tuner, executor).

    Args:
        kind: what the factories make, for messages (``"oracle"``).
        describe: turns a provider (a plugin name) into words for messages.
    """

    def __init__(self, kind: str, describe: Callable[[str], str] | None = None) -> None:
        self.kind = kind
        self._describe = describe or (lambda provider: f"plugin {provider!r}")
        self._factories: dict[str, Factory] = {}  # canonical name -> class, or "module:attr" until first use
        self._canonical: dict[str, str] = {}  # every name that resolves, aliases included -> canonical name
        self._providers: dict[str, str | None] = {}  # canonical name -> the plugin that registered it

    def register(
        self, name: str, factory: Factory, aliases: Sequence[str] = (), provider: str | None = None
    ) -> list[tuple[str, str | None]]:
        """Register ``factory`` as ``name`` and ``aliases``, leaving taken names alone.

        The first registration of a name wins. When ``name`` itself is taken,
        nothing is registered; a taken alias is skipped and the rest registered.

        Returns:
            The refused names, as ``(name, provider that registered it first)``.
        """
        if name in self._canonical:
            return [(name, self.provider(name))]
        refused = [(alias, self.provider(alias)) for alias in aliases if alias in self._canonical]
        self._factories[name] = factory
        self._providers[name] = provider
        for key in (name, *aliases):
            self._canonical.setdefault(key, name)
        return refused

    def names(self) -> list[str]:
        """Canonical names, sorted."""
        return sorted(self._factories)

    def all_names(self) -> list[str]:
        """Every name that resolves, aliases included, sorted."""
        return sorted(self._canonical)

    def provider(self, name: str) -> str | None:
        """The plugin that registered ``name`` (an alias resolves), or None."""
        return self._providers.get(self._canonical.get(name, name))

    def __contains__(self, name: object) -> bool:
        return name in self._canonical

    def get(self, name: str) -> Callable[..., Any]:
        """The class registered as ``name``, imported if it was given as a string.

        Raises:
            PluginNotFoundError: nothing installed provides ``name``, or the
                plugin that registered it gave something that cannot be used
                (the message names that plugin).
            MissingDependencyError: the factory's module needs an optional
                dependency that is not installed.
        """
        if name not in self._canonical:
            raise PluginNotFoundError(self._unknown_message(name))
        canonical = self._canonical[name]
        factory = self._factories[canonical]
        if not isinstance(factory, str) and callable(factory):
            return factory
        factory = self._resolve(name, factory)
        self._factories[canonical] = factory
        return factory

    def _resolve(self, name, spec):
        if not isinstance(spec, str):
            raise self._unusable(name, f"as {spec!r} ({type(spec).__name__}), which is neither "
                                       "callable nor a 'package.module:Class' string")
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise self._unusable(name, f"as {spec!r}, which is not a 'package.module:Class' string")
        try:
            factory = functools.reduce(getattr, attr.split("."), importlib.import_module(module_name))
        except MissingDependencyError:
            raise
        except Exception as exc:
            problem = f"as {spec!r}, which fails to import: {_describe_error(exc)}"
            raise self._unusable(name, problem) from exc
        if not callable(factory):
            raise self._unusable(name, f"as {spec!r}, which is {factory!r} "
                                       f"({type(factory).__name__}), not callable")
        return factory

    def _unusable(self, name, problem):
        canonical = self._canonical[name]
        others = [n for n in self.names() if n != canonical]
        return PluginNotFoundError(
            f"{self.kind.capitalize()} {name!r} cannot be used: "
            f"{self._describe(self._providers[canonical])} registered it {problem}. "
            f"Fix or uninstall that plugin, or use another {self.kind}: {', '.join(others)}."
        )

    def _unknown_message(self, name):
        installed = self.names()
        message = f"Unknown {self.kind} {name!r}. Installed {self.kind}s: {', '.join(installed)}."
        known = KNOWN_PROVIDERS.get(self.kind, {})
        candidates = list(self._canonical) + list(known)
        close = difflib.get_close_matches(str(name), candidates, n=1, cutoff=0.6)
        suggestion = name if name in known else (close[0] if close else None)
        if suggestion is not None and suggestion != name:
            message += f" Did you mean {suggestion!r}?"
        if suggestion in known and suggestion not in self._canonical:
            message += (
                " It is provided by an optional plugin: "
                f"pip install 'tunecore[{known[suggestion]}]'."
            )
        return message


class PluginManager:
    """Wraps a ``pluggy.PluginManager`` and the registries it fills.

    Attributes:
        broken: a :class:`BrokenPlugin` for each entry point that was skipped.
        refused: a :class:`RefusedName` for each name refused because taken.
    """

    def __init__(self, autoload: bool | None = None) -> None:
        if autoload is None:
            autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
        self.broken: list[BrokenPlugin] = []
        self.refused: list[RefusedName] = []
        self._origins: dict[str, _Origin] = {}
        self.pm = pluggy.PluginManager("tunecore")
        self.pm.add_hookspecs(hookspecs)
        for module_name in _BUILTINS:
            self.pm.register(importlib.import_module(module_name), name=module_name)
        if autoload:
            self._load_entry_points()
        self.pm.check_pending()
        self.oracles, self.tuners, self.executors = self._collect()

    @property
    def hook(self) -> pluggy.HookRelay:
        """pluggy's hook relay: ``manager.hook.tunecore_trial_end(tuner=..., trial=...)``."""
        return self.pm.hook

    def describe(self, plugin_name: str) -> str:
        """``plugin_name`` and where it comes from, for messages."""
        if plugin_name in _BUILTINS:
            return f"built-in plugin {plugin_name!r}"
        return _describe_plugin(plugin_name, self._origins.get(plugin_name))

    def _load_entry_points(self):
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            origin = _Origin(f"{ep.name} = {ep.value}", ep.dist.name, ep.dist.version)
            if self.pm.has_plugin(ep.name):
                error = ValueError(f"{self.describe(ep.name)} already has the name {ep.name!r}")
                reason = f"{error}; one of the two must rename its entry point"
                self._skip(ep.name, origin, reason, error)
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self._skip(ep.name, origin, f"import failed: {_describe_error(exc)}", exc)
                continue
            try:
                self.pm.register(plugin, name=ep.name)
            except Exception as exc:
                if self.pm.get_plugin(ep.name) is plugin:  # registered in part
                    self.pm.unregister(name=ep.name)
                self._skip(ep.name, origin, f"registering it failed: {_describe_error(exc)}", exc)
                continue
            self._origins[ep.name] = origin
            unknown = self._unknown_hooks(plugin)
            if unknown:
                self.pm.unregister(name=ep.name)
                self._skip(ep.name, origin, unknown, pluggy.PluginValidationError(plugin, unknown))

    def _unknown_hooks(self, plugin):
        """``plugin``'s hooks that ``pm.check_pending()`` would reject, in words ("" if none)."""
        specs = [name for name in dir(hookspecs) if name.startswith("tunecore_")]
        problems = []
        for caller in self.pm.get_hookcallers(plugin) or ():
            if caller.has_spec() or all(impl.optionalhook for impl in caller.get_hookimpls()
                                        if impl.plugin is plugin):
                continue
            problem = f"unknown hook {caller.name!r}"
            close = difflib.get_close_matches(caller.name, specs, n=1)
            problems.append(problem + (f" (did you mean {close[0]!r}?)" if close else ""))
        return "; ".join(sorted(problems))

    def _skip(self, name, origin, reason, error):
        self.broken.append(BrokenPlugin(name, origin.entry_point, origin.distribution,
                                        origin.version, reason, error))
        _warn(
            f"Skipping tunecore {_describe_plugin(name, origin)}: {reason}. Everything else "
            f"works without it; fix or uninstall {origin.distribution}, or set "
            f"{DISABLE_AUTOLOAD_ENV}=1 to load no plugins."
        )

    def _collect(self):
        registries = {kind: Registry(kind, self.describe) for kind, _ in _REGISTRATION_HOOKS}
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:  # blocked
                continue
            try:
                registrations = self._registrations(plugin)
            except _HookFailed as failed:
                if name in _BUILTINS:
                    raise failed.error
                self.pm.unregister(name=name)
                reason = f"{failed.hook_name} raised {_describe_error(failed.error)}"
                self._skip(name, self._origins[name], reason, failed.error)
                continue
            for kind, key, factory, aliases in registrations:
                for refused, owner in registries[kind].register(key, factory, aliases, provider=name):
                    self._refuse(RefusedName(name, kind, refused, owner), key, aliases)
        return registries["oracle"], registries["tuner"], registries["executor"]

    def _registrations(self, plugin):
        """Call ``plugin``'s registration hooks; ``[(kind, name, factory, aliases)]``.

        Nothing is registered until all of them have returned, so a plugin whose
        hook raises leaves no names behind.
        """
        staged = []
        for kind, hook_name in _REGISTRATION_HOOKS:
            def register(name, factory, aliases=(), _kind=kind):
                staged.append((_kind, name, factory, _checked_registration(name, aliases)))

            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin is plugin:
                    try:
                        impl.function(**{arg: register for arg in impl.argnames})
                    except Exception as exc:
                        raise _HookFailed(hook_name, exc) from exc
        return staged

    def _refuse(self, refused, registered, aliases):
        self.refused.append(refused)
        what = f"{refused.kind} {refused.name!r}"
        if refused.name == registered and aliases:
            what += f" (and its aliases {', '.join(map(repr, aliases))})"
        _warn(
            f"Refusing {what} from {self.describe(refused.plugin)}: "
            f"{self.describe(refused.owner)} registered it first, and the first registration "
            "wins. The plugin should register it under another name."
        )

    def list_plugins(self) -> list[tuple[str, str, dict[str, list[str]]]]:
        """``(name, version, registered names)`` for each loaded plugin, built-ins first.

        Skipped plugins are not loaded: they are in :attr:`broken`.
        """
        rows = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            origin = self._origins.get(name)
            provides = {
                registry.kind: [n for n in registry.names() if registry.provider(n) == name]
                for registry in (self.oracles, self.tuners, self.executors)
            }
            rows.append((name, origin.version if origin else "builtin",
                         {k: v for k, v in provides.items() if v}))
        return rows


def _checked_registration(name, aliases):
    if not isinstance(name, str) or not name:
        raise TypeError(f"register() got the name {name!r}; a name is a non-empty str, e.g. 'my_oracle'")
    if isinstance(aliases, str) or not isinstance(aliases, (tuple, list)) or not all(
        isinstance(alias, str) and alias for alias in aliases
    ):
        example = (aliases,) if isinstance(aliases, str) else ("MyOracle",)
        raise TypeError(
            f"register({name!r}, ...) got aliases={aliases!r}; aliases are a tuple of "
            f"non-empty str names, e.g. aliases={example!r}"
        )
    return tuple(aliases)


def _describe_plugin(name, origin):
    if origin is None:
        return f"plugin {name!r}"
    return (f"plugin {name!r} (entry point {origin.entry_point!r} of "
            f"{origin.distribution} {origin.version})")


def _warn(message):
    # Point at the first caller outside tunecore (where a plugin was first needed),
    # not at the line in this module that found the problem.
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "tunecore":
        frame, level = frame.f_back, level + 1
    warnings.warn(message, PluginWarning, stacklevel=level)


def _describe_error(exc):
    return f"{type(exc).__name__}: {exc}"


_manager: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, built on first use."""
    global _manager
    if _manager is None:
        _manager = PluginManager()
    return _manager


def reset_plugin_manager() -> None:
    """Forget the plugin manager so the next use rediscovers plugins (for tests)."""
    global _manager
    _manager = None
