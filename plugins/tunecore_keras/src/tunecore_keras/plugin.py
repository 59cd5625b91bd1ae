"""tunecore-keras's hook implementations (registered through the `tunecore` entry point)."""

from tunecore.plugins import hookimpl  # noqa: F401
