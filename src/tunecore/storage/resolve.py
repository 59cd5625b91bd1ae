"""What ``storage=`` may name, in one place: a database URL, a :class:`Storage`, or nothing (the journal).

Every entry point that takes ``storage=`` (the tuners, ``tunecore.tune``,
``TunecoreSearchCV``) and every reader that takes a URL (``tunecore.load``,
the CLI, the dashboard) resolves it here, and shows a URL only through
:func:`mask_url`, so that a password never reaches a message, a log line or
an export.
"""

import os

from tunecore.errors import InvalidArgumentError
from tunecore.storage.base import Storage
from tunecore.storage.journal import JournalStorage
from tunecore.storage.sql import SQLStorage
from tunecore.storage.urls import is_url, mask_url


def resolve_storage(storage: Storage | str | None, directory: str | os.PathLike[str],
                    project_name: str) -> Storage:
    """The storage that ``storage=`` names for the project ``project_name``.

    Args:
        storage: A database URL (the project ``project_name`` in it), a
            :class:`~tunecore.storage.Storage` (used as it is), or None: the
            journal in ``directory/project_name``.
        directory: The parent folder of a journal project.
        project_name: The search's name, in the folder or the database.

    Raises:
        InvalidArgumentError: ``storage`` is none of these.
    """
    if storage is None:
        return JournalStorage(os.path.join(os.fspath(directory), project_name))
    if isinstance(storage, Storage):
        return storage
    if is_url(storage):
        assert isinstance(storage, str)
        return SQLStorage(storage, project_name)
    shown = repr(mask_url(storage)) if isinstance(storage, str) else repr(storage)
    raise InvalidArgumentError(
        f"storage={shown} is neither a database URL ('sqlite:///path/to/runs.db', "
        "'postgresql://user:password@host/database') nor a tunecore Storage. To keep the "
        "project in a folder, leave storage=None and pass directory= and project_name=."
    )


__all__ = ["is_url", "mask_url", "resolve_storage"]
