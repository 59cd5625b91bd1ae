"""One way to import an optional dependency, with the install hint when it fails."""

import importlib
from types import ModuleType

from tunecore.errors import MissingDependencyError


def optional_import(module_name: str, extra: str) -> ModuleType:
    """Import ``module_name`` or say which ``pip install 'tunecore[extra]'`` provides it.

    Args:
        module_name: The module, e.g. ``"distributed"``.
        extra: The extra of tunecore that installs it, e.g. ``"dask"``.

    Returns:
        The module.

    Raises:
        MissingDependencyError: it cannot be imported (also an ``ImportError``);
            the message names the ``pip install`` that fixes it, or is the
            module's own where the module itself names what it lacks.
    """
    try:
        return importlib.import_module(module_name)
    except MissingDependencyError:
        raise  # the module is there and says itself what it lacks (a Keras backend...)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module_name!r} is required for this feature but is not installed "
            f"({exc}). Install it with: pip install 'tunecore[{extra}]'"
        ) from exc
