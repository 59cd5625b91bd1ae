"""Names that become paths, and the files they name: checked before use, never followed as links.

Anything read from disk or given by a user is validated here before it becomes
a path, so that a crafted journal or ``project_name`` cannot make tunecore
read, write or delete outside the project.

And nothing in a project is followed as a link: the lock, the journal and the
trial folders are opened with :func:`open_project_file` and
:func:`project_folder`, which refuse a symlink (on Windows any reparse point),
a FIFO or device, a folder where a file belongs, and, for writing, a file with
other names (a hard link), naming the entry. Whatever a project's entries
are, no write lands outside it and no read blocks.
"""

import errno
import os
import re
import stat

from tunecore.errors import ProjectError

_TRIAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO put in a project never blocks an open
_BINARY = getattr(os, "O_BINARY", 0)


def check_project_name(name: str | os.PathLike[str]) -> str:
    """Return ``name`` if it is one plain path component, else raise.

    Raises:
        ProjectError: ``name`` is empty, ``.`` or ``..``, or holds a path separator.
    """
    text = os.fspath(name)
    separators = [sep for sep in (os.sep, os.altsep, "\0") if sep and sep in text]
    if not text or text in (".", "..") or separators:
        raise ProjectError(
            f"project_name must be one plain folder name inside `directory`; got {text!r}. "
            "Put the parent folders in `directory` instead."
        )
    return text


def is_trial_id(trial_id: object) -> bool:
    """Whether ``trial_id`` is safe as part of a file name (letters, digits, ``_ . -``)."""
    return isinstance(trial_id, str) and _TRIAL_ID.fullmatch(trial_id) is not None and ".." not in trial_id


def trial_dir(project_dir: str, trial_id: str) -> str:
    """``project_dir/trial_<trial_id>``, after checking that it stays inside ``project_dir``.

    Raises:
        ProjectError: ``trial_id`` is not a plain id, or ``trial_<trial_id>``
            is a link or not a folder.
    """
    if not is_trial_id(trial_id):
        raise ProjectError(
            f"{trial_id!r} is not a valid trial id (letters, digits, '_', '.', '-'; at most "
            "128): refusing to use it as a path."
        )
    path = os.path.join(project_dir, f"trial_{trial_id}")
    info = _lstat(path)
    if info is not None:
        _check_entry(path, info, "The folder of trial " + repr(trial_id), folder=True)
    return path


def project_folder(path: str, what: str = "The project folder") -> str:
    """Create the folder ``path`` inside a project if missing, never through a link; return it.

    Raises:
        ProjectError: ``path`` is a link, or exists and is not a folder.
    """
    try:
        try:
            os.mkdir(path)
        except FileNotFoundError:  # the project folder itself is not there yet
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.mkdir(path)
    except FileExistsError:
        info = _lstat(path)
        if info is not None:
            _check_entry(path, info, what, folder=True)
    return path


def open_project_file(path: str, flags: int, what: str = "The project file") -> int:
    """Open the file ``path`` of a project without following a link; return its descriptor.

    Args:
        path: The file.
        flags: ``os.open`` flags (``os.O_RDONLY``, ``os.O_WRONLY | os.O_APPEND``,
            ``os.O_CREAT | os.O_TRUNC``...); not following links and not
            blocking are added, and ``O_TRUNC`` waits until the file is checked.
        what: How messages name it (``"The project journal"``).

    Returns:
        The descriptor (``os.fdopen(fd, "wb")`` makes it a file object).

    Raises:
        ProjectError: ``path`` is a link (or, on Windows, a reparse point), not
            a plain file, or, opened for writing, a file with other names.
    """
    if _is_link(_lstat(path)):  # Windows has no O_NOFOLLOW: refuse before opening
        raise _refused(path, what, "a link")
    truncate = flags & os.O_TRUNC  # only once the file is known to be ours: not a hard link's other name
    try:
        fd = os.open(path, (flags & ~os.O_TRUNC) | _NOFOLLOW | _NONBLOCK | _BINARY, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP or _is_link(_lstat(path)):  # a link put there meanwhile
            raise _refused(path, what, "a link") from None
        if exc.errno in (errno.EISDIR, errno.ENXIO):  # a folder opened for writing; a FIFO
            raise _refused(path, what, "not a plain file") from None
        raise
    try:
        opened = os.fstat(fd)
        seen = _lstat(path)
        if seen is None or not os.path.samestat(opened, seen):  # swapped for a link meanwhile
            raise _refused(path, what, "a link")
        writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_TRUNC)
        _check_entry(path, opened, what, folder=False, writing=bool(writing))
        if truncate:
            os.ftruncate(fd, 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_entry(path, info, what, folder, writing=False):
    if _is_link(info):
        raise _refused(path, what, "a link")
    if folder and not stat.S_ISDIR(info.st_mode):
        raise _refused(path, what, "not a folder")
    if not folder and not stat.S_ISREG(info.st_mode):
        raise _refused(path, what, "not a plain file")
    if writing and info.st_nlink > 1:
        raise _refused(path, what, "a hard link to a file that has other names")


def _lstat(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _is_link(info) -> bool:
    """Whether an ``lstat`` result is a symlink, or on Windows any reparse point (a junction...)."""
    if info is None:
        return False
    reparse = getattr(info, "st_file_attributes", 0) & stat.FILE_ATTRIBUTE_REPARSE_POINT
    return stat.S_ISLNK(info.st_mode) or bool(reparse)


def _refused(path, what, problem):
    kind = "folder" if problem == "not a folder" else "plain file"
    return ProjectError(
        f"{what} {path!r} is {problem}; tunecore opens it only as a {kind} of its own, so that "
        "nothing outside the project is ever written. Remove it if no search is running, and "
        "start the search again."
    )
