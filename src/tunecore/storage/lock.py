"""One search at a time per project: an OS file lock that a killed holder releases.

The lock is ``flock`` on ``directory/project_name/lock``: held per open file,
so a second tuner on the same project is refused even inside one process, and
released by the operating system when its holder dies, even by SIGKILL (no
stale pid file to clean). While held, the file names its holder.
"""

import datetime
import json
import os
import socket
from typing import TextIO

from tunecore.errors import ProjectError

try:
    import fcntl
except ImportError:  # Windows: no flock; projects are not locked there
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "lock"


class ProjectLock:
    """The lock of one project folder.

    Args:
        project_dir: The project folder (it must exist).
    """

    def __init__(self, project_dir: str) -> None:
        self.project_dir = project_dir
        self.path = os.path.join(project_dir, LOCK_FILE)
        self._file: TextIO | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._file is not None

    def acquire(self) -> None:
        """Take the lock, or raise naming its holder.

        Raises:
            ProjectError: another search holds it.
        """
        if self._file is not None or fcntl is None:
            return
        file = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            file.seek(0)
            holder = file.read()
            file.close()
            raise ProjectError(
                f"The project {self.project_dir!r} is in use by another search ({_describe(holder)}). "
                "Wait for it to finish or stop it (a search that was killed releases the project "
                "at once), or use another project_name. To read it meanwhile, use "
                "tunecore.load(path) or `tunecore summary`, which never wait for the lock."
            ) from None
        file.seek(0)
        file.truncate()
        file.write(json.dumps({
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        }))
        file.flush()
        self._file = file

    def release(self) -> None:
        """Release the lock if held (closing the file releases the flock)."""
        if self._file is not None:
            self._file.close()  # closing the file releases the flock
            self._file = None


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        return f"pid {info['pid']} on {info['host']}, since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"
