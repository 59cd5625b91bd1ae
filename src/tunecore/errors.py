"""Exceptions raised by tunecore.

Every error derives from :class:`TunecoreError` and, where a user would expect
to catch a builtin, from that builtin too (``InvalidSpaceError`` is a
``ValueError``). Keras Tuner's split is kept: :class:`FailedTrialError` fails one
trial without retrying it, :class:`FatalError` stops the whole search.
"""


class TunecoreError(Exception):
    """Base class of every tunecore error."""


class InvalidSpaceError(TunecoreError, ValueError):
    """A hyperparameter definition is invalid (bad range, default, values...)."""


class InvalidSpaceTypeError(TunecoreError, TypeError):
    """A hyperparameter definition has an argument of the wrong type."""


class InvalidObjectiveError(TunecoreError, ValueError):
    """An objective is unknown, has no direction, or is missing from the metrics."""


class PluginNotFoundError(TunecoreError, LookupError):
    """No installed plugin provides the requested oracle, tuner or executor."""


class MissingDependencyError(TunecoreError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


class ProjectError(TunecoreError, RuntimeError):
    """A project directory is corrupt or belongs to a different search."""


class SpaceExhaustedError(TunecoreError):
    """The oracle has no new configuration left to suggest."""


class FailedTrialError(TunecoreError):
    """Raise inside a trial to mark it FAILED at once, without retries."""


class FatalError(TunecoreError):
    """Raise inside a trial to stop the whole search."""
