"""Where a command's output goes: standard output, or a file that is never inside a project.

Reading a project never writes to it. A file a command writes is checked
before anything is read (links resolved, so no path leads into a project),
and written whole or not at all: into a temporary file beside it, then
renamed over it. A target that is not a regular file (``/dev/stdout``,
``/dev/full``, a pipe) is written in place, since it cannot be renamed over.
"""

import os
import stat
import sys
import tempfile
from collections.abc import Callable

from tunecore.errors import InvalidArgumentError, TunecoreError
from tunecore.storage.journal import JOURNAL


class OutputError(TunecoreError, OSError):
    """Standard output or an output file cannot be written (a full disk, no permission)."""


class ReaderGone(OutputError):
    """Standard output is a pipe whose reader has left (``tunecore export P | head``): not an error to report."""


def emit(text: str) -> None:
    """Write ``text`` to standard output now, so that a failure to write is reported as one.

    Raises:
        OutputError: standard output cannot be written; it is closed so that
            the interpreter does not fail again when it exits.
        ReaderGone: standard output is a pipe that its reader closed.
    """
    _check_stdout()
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        _detach_stdout()
        error = ReaderGone if isinstance(exc, BrokenPipeError) else OutputError
        raise error(f"Cannot write to standard output: {exc.strerror or exc}.") from None


def _check_stdout() -> None:
    """Refuse a standard output that is a file inside a project (``tunecore export P >> P/journal.jsonl``).

    The shell opened it; where the system says which file it is (``/proc``), it is checked as an output file is.
    """
    try:
        target = os.readlink(f"/proc/self/fd/{sys.stdout.fileno()}")
    except (OSError, ValueError, AttributeError):  # no /proc, or not a real file (captured output)
        return
    if not os.path.isfile(target):
        return
    try:
        links = os.fstat(sys.stdout.fileno()).st_nlink
    except (OSError, ValueError):
        links = 1
    if links > 1:  # another name of the file may be inside a project (its journal): never append to it
        _detach_stdout()
        raise InvalidArgumentError(
            f"Refusing to write to standard output: it is {target!r}, a file with {links - 1} other "
            "name(s) (a hard link), which may be a project's file, and reading a project never writes "
            "to it. Redirect the output to a new file."
        )
    project = project_around(target)
    database = database_of(target)
    if project is not None or database is not None:
        _detach_stdout()
        where = (f"inside the project {project!r}" if project is not None
                 else f"a file of the SQLite database {database!r}")
        raise InvalidArgumentError(
            f"Refusing to write to standard output: it is {target!r}, {where}, and reading a project never "
            "writes to it. Redirect the output outside the project."
        )


def _detach_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (captured output)
        pass


def check_output(output: str, what: str) -> None:
    """Refuse an output file that cannot be written, or that lies inside a project.

    ``what`` names what would be written (``"the table"``), for the message.
    Any project's folder is refused, the one read included, whatever links
    lead there: the path is resolved first.

    Raises:
        InvalidArgumentError: ``output`` is a folder, its folder does not
            exist, it is inside a project folder, or it is a SQLite database
            (or one of its ``-wal``, ``-shm``, ``-journal`` files).
    """
    path = os.path.realpath(output)
    if os.path.isdir(path):
        raise InvalidArgumentError(f"Cannot write {what} to {output!r}: it is a folder; name a file in it.")
    project = project_around(path)
    if project is not None:
        raise InvalidArgumentError(
            f"Refusing to write {what} to {output!r}: it is inside the project {project!r}, "
            "and reading a project never writes to it. Write it outside the project."
        )
    database = database_of(path)
    if database is not None:
        raise InvalidArgumentError(
            f"Refusing to write {what} to {output!r}: it is "
            + ("the SQLite database" if database == path else f"a file of the SQLite database {database!r}")
            + ", which may hold projects, and reading a project never writes to it. Name another file."
        )
    if not os.path.isdir(os.path.dirname(path)):
        raise InvalidArgumentError(
            f"Cannot write {what} to {output!r}: its folder {os.path.dirname(output) or '.'!r} does not exist."
        )


_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")  # the files SQLite keeps beside a database


def database_of(path: str) -> str | None:
    """The SQLite database that ``path`` (a resolved path) is, or is a companion file of, or None."""
    candidates = [path] + [path[: -len(end)] for end in _SQLITE_COMPANIONS if path.endswith(end)]
    for candidate in candidates:
        if not os.path.isfile(candidate):  # never open a pipe or a device to look: it could block
            continue
        try:
            with open(candidate, "rb") as file:
                if file.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC:
                    return candidate
        except OSError:
            continue
    return None


def project_around(path: str) -> str | None:
    """The project folder that holds ``path`` (a resolved path), or None."""
    parent = os.path.dirname(path)
    while True:
        if os.path.isfile(os.path.join(parent, JOURNAL)):
            return parent
        if os.path.dirname(parent) == parent:
            return None
        parent = os.path.dirname(parent)


def write_file(output: str, what: str, write: Callable[[str], object]) -> None:
    """Call ``write(path)`` to write ``output`` whole: into a temporary file beside it, then renamed.

    The checks of :func:`check_output` are made again first: a link changed
    since a command checked its output cannot lead the file into a project.

    Raises:
        InvalidArgumentError: ``output`` is refused (see :func:`check_output`).
        OutputError: the file cannot be written (a full disk, no permission).
    """
    check_output(output, what)
    target = os.path.realpath(output)
    try:
        if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
            write(target)
        else:
            _replace(target, write)
    except OSError as exc:
        raise OutputError(f"Cannot write {what} to {output!r}: {exc.strerror or exc}.") from None


def _replace(target: str, write: Callable[[str], object]) -> None:
    folder, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(temporary)
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _mode_for(target: str) -> int:
    """The mode a new file would get (0o666 less the umask), or the mode of the file it replaces."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
