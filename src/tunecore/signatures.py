"""Reading call signatures: which keyword arguments a user's function accepts."""

import inspect


def accepts_keyword(fn, name):
    """Whether ``fn`` takes a keyword argument ``name`` (or ``**kwargs``).

    A callable whose signature cannot be read is assumed to accept it.
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)
