"""The whole plugin contract of tunecore.

A plugin is a module of functions decorated with ``@tunecore.hookimpl`` whose
names match the specifications below, published under the ``tunecore``
entry-point group:

    [project.entry-points.tunecore]
    my_oracle = "my_package.plugin"

Registration hooks are called once, when the plugin manager is first built.
Each receives a ``register(name, factory, aliases=())`` callback. ``factory`` is
a class, or a ``"package.module:Class"`` string imported on first use, so that
discovering plugins never imports a heavy framework such as TensorFlow.
``aliases`` are other names that resolve to the same factory (for instance
Keras Tuner's class names); they do not appear in listings. The first
registration of a name wins and the built-ins register first: a name (or alias)
that is already taken is refused with a ``tunecore.plugins.PluginWarning``
naming both plugins. A factory that cannot be used (not callable, or a string
that does not import) fails when it is used, with a
``tunecore.errors.PluginNotFoundError`` naming the plugin.

A plugin that fails to import, implements a hook not specified here (a
misspelling), or whose registration hook raises is skipped whole, with one
``PluginWarning``: none of its names are registered and none of its hooks are
called. ``tunecore plugins`` lists it as broken, with the reason.

Lifecycle hooks are called by the search loop in the driver process, in the
order of events, with the same arguments in the same order: the tuner that
runs the search, then the trial, then what happened to it (``step``,
``metrics``). pluggy passes arguments by name, so an implementation takes
only those it needs. They are observers: their
return values are ignored and an exception raised by one stops the search. A
trial has ended in its oracle (and is in the project) before
``tunecore_trial_end`` is called; ``tunecore_search_end`` is called however the
search ends, before the project is closed.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from tunecore.oracles.base import Oracle
    from tunecore.trial import Trial
    from tunecore.tuners.base_tuner import BaseTuner

hookspec = pluggy.HookspecMarker("tunecore")

#: What a registration hook registers: a class (or any callable that makes the
#: component), or a ``"package.module:Class"`` string imported on first use.
Factory = Callable[..., Any] | str


class Register(Protocol):
    """The ``register`` callback that registration hooks receive."""

    def __call__(self, name: str, factory: Factory, aliases: Sequence[str] = ()) -> None:
        """Register ``factory`` as ``name`` (and ``aliases``, which resolve but are not listed).

        Raises:
            TypeError: ``name`` is not a non-empty str, or ``aliases`` not a
                tuple or list of them. The plugin is then skipped whole.
        """


@hookspec
def tunecore_register_oracles(register: Register) -> None:
    """Register oracles by name, e.g. ``register("random", RandomSearch)``."""


@hookspec
def tunecore_register_tuners(register: Register) -> None:
    """Register tuners by name, e.g. ``register("sklearn", "pkg.tuner:Sklearn")``."""


@hookspec
def tunecore_register_executors(register: Register) -> None:
    """Register trial executors by name, e.g. ``register("process", ProcessPoolExecutor)``.

    ``search(executor="name", max_parallel_trials=n)`` calls the factory with
    ``max_workers=n`` (when given) and must get a
    :class:`tunecore.executors.Executor`. A factory may also define a class
    method ``accepts(obj) -> bool``: ``search(executor=obj)`` with an object
    that is neither an executor nor a registered name (a Dask client, a
    scheduler address) calls ``factory(obj, max_workers=n)`` for the first
    registered factory that accepts it. See :mod:`tunecore.executors.base` for
    what an executor does, including the channel that brings its trials'
    reports back while they run.
    """


@hookspec
def tunecore_search_begin(tuner: "BaseTuner") -> None:
    """Called when ``tuner.search`` starts, after a resumed project is loaded."""


@hookspec
def tunecore_search_end(tuner: "BaseTuner") -> None:
    """Called when ``tuner.search`` returns, including after an interruption."""


@hookspec
def tunecore_trial_begin(tuner: "BaseTuner", trial: "Trial") -> None:
    """Called when ``trial`` has been created and is about to run."""


@hookspec
def tunecore_trial_end(tuner: "BaseTuner", trial: "Trial") -> None:
    """Called when ``trial`` has ended; ``trial.status`` says how."""


@hookspec
def tunecore_metrics_reported(
    tuner: "BaseTuner | None", trial: "Trial", step: int, metrics: dict[str, float], oracle: "Oracle"
) -> None:
    """Called each time a trial reports ``metrics`` (a dict) at ``step``, in the
    driver, wherever the trial runs (reports from workers arrive while they run).

    ``tuner`` is None when no tuner drives the oracle (``TunecoreSearchCV``, a
    loop of one's own). ``oracle`` is the trial's oracle: kept for
    implementations written when the hook took it first; new ones read
    ``tuner.oracle``.
    """
