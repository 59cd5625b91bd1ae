"""Keras Tuner's ``@synchronized``: one call at a time into an oracle's decorated methods.

tunecore's own driver calls an oracle from one thread, but a custom oracle may
be shared by threads of the user's (Keras Tuner's gRPC chief serves each
tuner from a thread, and its custom oracles decorate ``create_trial``,
``update_trial`` and ``end_trial`` for that). Calls on one oracle wait for each
other; calls on different oracles do not. The lock is reentrant, so a
decorated override may call a decorated ``super()`` method; unlike Keras
Tuner's, it is released when the method raises.
"""

import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])
_locks: "weakref.WeakKeyDictionary[Any, threading.RLock]" = weakref.WeakKeyDictionary()
_locks_lock = threading.Lock()


def _lock_of(oracle: Any) -> Any:
    with _locks_lock:
        lock = _locks.get(oracle)
        if lock is None:
            lock = _locks[oracle] = threading.RLock()
        return lock


def synchronized(func: _F) -> _F:
    """Decorate an oracle method so that calls to it on the same oracle never overlap.

    Example:
        ```python
        class MyOracle(tunecore.Oracle):
            @tunecore.synchronized
            def end_trial(self, trial):
                super().end_trial(trial)
                ...
        ```
    """

    @functools.wraps(func)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock_of(self):
            return func(self, *args, **kwargs)

    return wrapped  # type: ignore[return-value]
