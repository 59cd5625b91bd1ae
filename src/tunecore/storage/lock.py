"""One search at a time per project: an OS file lock that a killed holder releases.

The lock is held on ``directory/project_name/lock``, exclusive and never
waited for, with the platform's own call: ``flock`` on Linux and macOS (held
per open file, so a second tuner on the same project is refused even inside
one process), ``msvcrt.locking`` on Windows (held per handle). Either is
released by the operating system when its holder dies, even by SIGKILL (no
stale pid file to clean). While held, the file names its holder: pid, host and
since when, in its first bytes, which Windows leaves readable because its lock
covers one byte far past them.

The file is opened without following a link (:func:`tunecore.storage.paths.open_project_file`),
so a ``lock`` that points elsewhere never gets a file outside the project
truncated or written.
"""

import datetime
import json
import os
import socket
from types import ModuleType

from tunecore.errors import ProjectError
from tunecore.storage import paths

LOCK_FILE = "lock"


class _Flock:
    """Linux and macOS: ``flock``, per open file."""

    def __init__(self, fcntl: ModuleType) -> None:
        self._fcntl = fcntl

    def lock(self, fd: int) -> None:
        self._fcntl.flock(fd, self._fcntl.LOCK_EX | self._fcntl.LOCK_NB)

    def unlock(self, fd: int) -> None:
        self._fcntl.flock(fd, self._fcntl.LOCK_UN)


class _MsvcrtLocking:
    """Windows: ``msvcrt.locking`` of the byte at ``OFFSET``, per handle.

    Windows locks are mandatory (a locked byte cannot be read through another
    handle), so the locked byte lies far past the holder's line, which stays
    readable; locking past the end of a file is allowed.
    """

    OFFSET = 1 << 30  # the C runtime takes the position as a 32-bit long

    def __init__(self, msvcrt: ModuleType) -> None:
        self._msvcrt = msvcrt

    def lock(self, fd: int) -> None:
        os.lseek(fd, self.OFFSET, os.SEEK_SET)
        self._msvcrt.locking(fd, self._msvcrt.LK_NBLCK, 1)

    def unlock(self, fd: int) -> None:
        os.lseek(fd, self.OFFSET, os.SEEK_SET)
        self._msvcrt.locking(fd, self._msvcrt.LK_UNLCK, 1)


def _platform_lock() -> _Flock | _MsvcrtLocking:
    if os.name == "nt":
        import msvcrt

        return _MsvcrtLocking(msvcrt)
    import fcntl

    return _Flock(fcntl)


_os_lock = _platform_lock()


class ProjectLock:
    """The lock of one project folder.

    Args:
        project_dir: The project folder (it must exist).
    """

    def __init__(self, project_dir: str) -> None:
        self.project_dir = project_dir
        self.path = os.path.join(project_dir, LOCK_FILE)
        self._fd: int | None = None
        self._owner: int | None = None  # the process that took it

    def __del__(self) -> None:
        # Dropped while held (an oracle driven outside search, never closed): free the project, as a
        # collected file object would. A forked child only closes its copy: unlocking it would free
        # its parent's lock, which flock shares with the child.
        if self._fd is not None and self._owner != os.getpid():
            os.close(self._fd)
            self._fd = None
        self.release()

    def __getstate__(self) -> dict:
        # A copy (pickle, copy.deepcopy of a storage whose journal file is closed) is never held:
        # collecting it would otherwise release the original's lock and close its descriptor.
        return {**self.__dict__, "_fd": None, "_owner": None}

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, or raise naming its holder.

        Raises:
            ProjectError: another search holds it, or ``lock`` is a link (or
                not a plain file), which is never opened for writing.
        """
        if self._fd is not None:
            return
        fd = self._open()
        try:
            _os_lock.lock(fd)
        except OSError:
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 4096).decode("utf-8", "replace")
            os.close(fd)
            raise ProjectError(
                f"The project {self.project_dir!r} is in use by another search ({_describe(holder)}). "
                "Wait for it to finish or stop it (a search that was killed releases the project "
                "at once), or use another project_name. To read it meanwhile, use "
                "tunecore.load(path) or `tunecore summary`, which never wait for the lock."
            ) from None
        self._fd, self._owner = fd, os.getpid()
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps({
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            }).encode())
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Release the lock if held."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                _os_lock.unlock(fd)
            finally:
                os.close(fd)

    def _open(self) -> int:
        """The lock file's descriptor, opened for writing and created if missing (never through a link)."""
        return paths.open_project_file(self.path, os.O_RDWR | os.O_CREAT, "The project lock")


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        return f"pid {info['pid']} on {info['host']}, since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"
