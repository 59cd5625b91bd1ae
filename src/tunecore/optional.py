"""One way to import an optional dependency, with the install hint when it fails."""

import importlib

from tunecore.errors import MissingDependencyError


def optional_import(module_name, extra):
    """Import ``module_name`` or say which ``pip install 'tunecore[extra]'`` provides it."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module_name!r} is required for this feature but is not installed "
            f"({exc}). Install it with: pip install 'tunecore[{extra}]'"
        ) from exc
