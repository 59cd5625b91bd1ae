"""Reading call signatures: which keyword arguments a user's function accepts."""

import inspect
from collections.abc import Callable, Iterable
from typing import Any


def accepts_keyword(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (or ``**kwargs``).

    A callable whose signature cannot be read is assumed to accept it.
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


def names_parameter(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` has a parameter called ``name`` (``**kwargs`` does not count)."""
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def check_keywords(fn: Callable[..., Any], names: Iterable[str]) -> list[str]:
    """The names in ``names`` that ``fn`` does not accept as keyword arguments (in order).

    A callable with ``**kwargs``, or whose signature cannot be read, accepts all.
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return []
    accepted = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return [name for name in names if name not in accepted]


def binding_error(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """Why ``fn(*args, **kwargs)`` cannot be called, by ``fn``'s signature alone, or None.

    A mismatch (a missing or unexpected argument) is the caller's mistake
    whatever the values are, so it can be named before the call. A callable
    whose signature cannot be read is assumed to accept the call.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        return f"{exc}; its signature is {getattr(fn, '__qualname__', type(fn).__qualname__)}{signature}"
    return None
