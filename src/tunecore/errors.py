"""Exceptions raised by tunecore.

Every error derives from :class:`TunecoreError` and from the builtin a user
would catch (``InvalidSpaceError`` is a ``ValueError``). Keras Tuner's split is
kept: :class:`FailedTrialError` fails one trial without retrying it,
:class:`FatalError` stops the whole search.
"""


class TunecoreError(Exception):
    """Base class of every tunecore error."""


class InvalidSpaceError(TunecoreError, ValueError):
    """A hyperparameter definition is invalid (bad range, default, values...)."""


class NewEntriesError(InvalidSpaceError, RuntimeError):
    """A hyperparameter was declared that the space does not allow (``allow_new_entries=False``)."""


class InvalidSpaceTypeError(InvalidSpaceError, TypeError):
    """A hyperparameter definition has an argument of the wrong type.

    Also an :class:`InvalidSpaceError` (a ``ValueError``): Keras Tuner raises
    ``ValueError`` for some of these (a ``Fixed`` list, a string bound) and
    ``TypeError`` for others (a ``Choice`` of mixed types).
    """


class InvalidObjectiveError(TunecoreError, ValueError):
    """An objective is unknown, has no direction, or is missing from the metrics."""


class InvalidObjectiveTypeError(InvalidObjectiveError, TypeError):
    """An objective is neither a name, an ``Objective`` nor a list of them (Keras Tuner's ``TypeError``)."""


class PluginNotFoundError(TunecoreError, LookupError):
    """No installed plugin provides the requested oracle, tuner or executor."""


class MissingDependencyError(TunecoreError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


class ProjectError(TunecoreError, RuntimeError):
    """A project directory is corrupt or belongs to a different search."""


class ContentionError(ProjectError):
    """A driver on a shared storage could not record a change: other drivers kept
    appending first, every time it tried (see :mod:`tunecore.ledger.shared`)."""


class StorageUnavailableError(ProjectError, ConnectionError):
    """A project's database could not be reached, after bounded retries; nothing was lost
    (what was recorded before is in the database), but the search stops."""


class InvalidArgumentError(TunecoreError, ValueError, TypeError):
    """An argument has the wrong type or value (caught as ``ValueError`` or ``TypeError``)."""


class TrialStateError(TunecoreError, ValueError):
    """A trial was asked to change status in a way its life does not allow
    (ending it twice, reporting to a trial that is not running...)."""


class UnpicklableError(TunecoreError, TypeError):
    """Something the trials need cannot be sent to a worker process."""


class NoSavedModelError(TunecoreError, FileNotFoundError):
    """A trial has no saved model (or checkpoint) to load."""


class FailedTrialError(TunecoreError, RuntimeError):
    """Raise inside a trial to mark it FAILED at once, without retries."""


class OversizedModelError(TunecoreError, ValueError):
    """Raised inside a trial whose model exceeds the tuner's ``max_model_size``: the trial is INVALID."""


class FatalError(TunecoreError, RuntimeError):
    """Raise inside a trial to stop the whole search."""


class TooManyFailedTrialsError(FatalError):
    """``max_consecutive_failed_trials`` trials failed in a row."""


class FatalTypeError(FatalError, TypeError):
    """A programming error (a wrong type) that stops the search: Keras Tuner's name."""


class FatalValueError(FatalError, ValueError):
    """A programming error (a wrong value) that stops the search: Keras Tuner's name."""


class FatalRuntimeError(FatalError):
    """An error that stops the search: Keras Tuner's name (a ``RuntimeError``)."""


class FatalProjectError(FatalError, ProjectError):
    """A trial met a project entry tunecore refuses (a ``trial_<id>`` folder or file that is a
    link, or not what it should be): the search stops, since every trial would meet it."""


class RemoteTraceback(TunecoreError, RuntimeError):
    """The traceback of an exception raised where a trial ran (a worker process,
    a Dask worker), as text: the ``__cause__`` of the :class:`FatalError` the
    search raises for it, so that the user's own line shows in the traceback
    (as ``concurrent.futures`` does for a process pool)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f"\n\"\"\"\n{self.text.rstrip()}\n\"\"\""


class TrialStopped(TunecoreError, RuntimeError):
    """Raised by a running trial's ``report`` when the search wants it stopped (a
    pruner, the oracle, ``trial_timeout``, or a cancelled search). Let it propagate:
    the trial ends with the metrics it reported. A trial may raise it itself to stop."""
