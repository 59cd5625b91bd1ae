"""The project directory: an append-only journal of checksummed events, one JSON line each.

Layout of ``directory/project_name/``:

    journal.jsonl     header line, then one record per event (see records.py)
    lock              held by the search that writes (see lock.py)
    trial_<id>/       per-trial files (checkpoints, models), created on demand

Why a journal: Keras Tuner rewrites ``oracle.json`` in place after every trial,
so a crash during that write loses the project. Here each event is appended and
flushed on its own (a process killed at any point leaves the page cache intact),
and the record that ends a trial is also fsynced. A crash can at worst tear the
last line, which :meth:`JournalStorage.open` cuts off with a warning, and only
when every record before it is valid and the line is the start of a record
(not a whole one): anything else is refused with the file left byte for byte
as it was. The cost of an event is one short write, however many trials came
before.

The first line is a header naming the format, the project's identity (a
random id written when the project is created), the oracle class and the
objective; opening the project with another oracle or objective, or a journal
of another format, is refused rather than mixed. Each record's check is
chained to the one before it and seeded by the project's identity (see
records.py), so a record duplicated, dropped, reordered or copied from
another project is refused, naming its line. Journals of format 2 (per-record
checks, no identity) are read and extended in format 2, never rewritten:
``overwrite=True`` or a new project gives format 3.

Nothing in the folder is followed as a link: the journal and the lock are
opened with :func:`tunecore.storage.paths.open_project_file`.

One search writes at a time: the project's lock is taken to read the journal
and again, until :meth:`JournalStorage.close`, from the first event appended.
If another search appended in between, appending is refused (the trials this
process holds would collide with that search's).
"""

import json
import logging
import os
import secrets
import shutil
import stat
from typing import Any, BinaryIO

from tunecore.errors import ProjectError
from tunecore.storage import paths, records
from tunecore.storage.base import Event, Storage, refuse_other_search
from tunecore.storage.lock import LOCK_FILE, ProjectLock

logger = logging.getLogger("tunecore")

JOURNAL = "journal.jsonl"
FORMAT = "tunecore-journal/3"
#: Formats this version reads and extends in their own format (a journal is never rewritten).
READABLE_FORMATS = ("tunecore-journal/2", FORMAT)
_FORMAT_PREFIX = "tunecore-journal/"
_KERAS_TUNER_FILES = ("oracle.json", "tuner0.json")
_WHAT = "The project journal"


class JournalStorage(Storage):
    """Appends events to ``journal.jsonl`` under a project directory.

    Args:
        project_dir: ``directory/project_name``.
    """

    project_dir: str

    def __init__(self, project_dir: str | os.PathLike[str]) -> None:
        self.project_dir = os.fspath(project_dir)
        self.path = os.path.join(self.project_dir, JOURNAL)
        self._file: BinaryIO | None = None
        self._lock: ProjectLock | None = None
        self._checks: records.Checks | None = None  # the journal's chain of checks (set by open)
        self._size = 0  # of the journal as this process last knew it (set by open)

    def open(self, header: dict[str, Any], overwrite: bool = False) -> list[Event]:
        """Open the project (see :meth:`Storage.open`).

        A new project's journal is written in the current format, with a new
        project identity; an existing one is read, and extended, in its own
        format (see :data:`READABLE_FORMATS`). ``overwrite`` deletes what
        tunecore wrote in the folder (the journal and the ``trial_<id>``
        folders), and only in a folder that holds nothing else: a folder with
        other files is refused, never emptied.
        """
        os.makedirs(self.project_dir, exist_ok=True)
        self._lock = lock = ProjectLock(self.project_dir)
        lock.acquire()
        try:
            if overwrite:
                self._delete_project()
            if os.path.lexists(self.path):
                events = self._read({"format": FORMAT, **header})
            else:
                self._refuse_foreign_directory()
                events = []
                self._create({"format": FORMAT, "project": secrets.token_hex(8), **header})
        finally:
            lock.release()
        return events

    def append(self, event: Event, sync: bool = False) -> None:
        """Append one event and flush it; ``sync=True`` also fsyncs it.

        Raises:
            ProjectError: another search holds the project, or appended to it
                since this one read it; the journal is a link or not a plain file.
        """
        file = self._file if self._file is not None else self._reopen()
        checks = self._checks
        assert checks is not None  # set by open, which _reopen checked
        chain = checks.last
        data = checks.encode(event)
        try:
            file.write(data)
            file.flush()
        except BaseException:  # nothing more is appended after a record that may be torn
            checks.last = chain
            self._file = None
            file.close()
            raise
        self._size += len(data)
        if sync:
            os.fsync(file.fileno())

    def locate(self, index: int) -> str:
        """``"line N of the project journal '...'"``: the header is line 1."""
        return line_of(self.path, index)

    def close(self) -> None:
        """Close the journal file and release the lock; a later append takes both again."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._lock is not None:
            self._lock.release()

    def _reopen(self) -> BinaryIO:
        if self._lock is None or self._checks is None:
            raise ProjectError(f"The project {self.project_dir!r} was not opened: call open() first.")
        self._lock.acquire()
        try:
            fd = paths.open_project_file(self.path, os.O_WRONLY | os.O_APPEND, _WHAT)
            if os.fstat(fd).st_size != self._size:
                os.close(fd)
                raise ProjectError(
                    f"Another search wrote to {self.project_dir!r} after this one loaded it: "
                    "create the tuner (or oracle) again to resume with every trial in it."
                )
        except BaseException:
            self._lock.release()
            raise
        self._file = os.fdopen(fd, "ab")
        return self._file

    def _create(self, header):
        self._checks = records.Checks(header["project"])
        data = self._checks.encode(header)
        fd = paths.open_project_file(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _WHAT)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self._size = len(data)

    def _delete_project(self):
        entries = set(os.listdir(self.project_dir)) - {LOCK_FILE}
        ours = {e for e in entries if e == JOURNAL or (e.startswith("trial_") and paths.is_trial_id(e[6:]))}
        foreign = sorted(entries - ours)
        if foreign:
            raise ProjectError(
                f"overwrite=True deletes only a tunecore project, but {self.project_dir!r} also "
                f"holds {foreign[:5]}{' ...' if len(foreign) > 5 else ''}. Nothing was deleted; "
                "choose another project_name, or move those files away."
            )
        for entry in ours:
            path = os.path.join(self.project_dir, entry)
            if stat.S_ISDIR(os.lstat(path).st_mode):  # a folder, not a link to one
                shutil.rmtree(path)
            else:  # a file, or a link: the link goes, never what it points to
                os.remove(path)

    def _refuse_foreign_directory(self):
        entries = set(os.listdir(self.project_dir))
        if entries & set(_KERAS_TUNER_FILES):
            raise ProjectError(
                f"{self.project_dir!r} holds a Keras Tuner project, which tunecore cannot "
                "resume or delete. Choose another project_name, or move it away."
            )

    def _read(self, header):
        try:
            fd, writable = paths.open_project_file(self.path, os.O_RDWR, _WHAT), True
        except PermissionError:  # a read-only project still opens to be read (appending to it fails)
            fd, writable = paths.open_project_file(self.path, os.O_RDONLY, _WHAT), False
        with os.fdopen(fd, "r+b" if writable else "rb") as f:
            data = f.read()
            stored, events, torn, self._checks = _parse(data, self.path)
            refuse_other_search(stored, header, repr(self.project_dir))
            if torn is not None:
                logger.warning("%s: the last record was cut off by a crash; it is dropped.", self.path)
                if writable:
                    f.truncate(len(data) - len(torn))
            elif not data.endswith(b"\n") and writable:  # a whole last record whose newline the crash cut
                f.seek(0, os.SEEK_END)
                f.write(b"\n")
                f.flush()
            self._size = os.fstat(f.fileno()).st_size
        return events


def line_of(path: str, index: int) -> str:
    """Where event ``index`` (from 0, as read) of the journal ``path`` is, for messages."""
    return f"line {index + 2} of the project journal {path!r}"


def read_events(project_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], list[Event]]:
    """Read a project without changing it or waiting for its lock: ``(header, events)``.

    A torn last line is ignored rather than repaired.

    Raises:
        ProjectError: there is no journal, or it is corrupt, a link or not a plain file.
    """
    path = os.path.join(os.fspath(project_dir), JOURNAL)
    if not os.path.lexists(path):
        raise ProjectError(f"{os.fspath(project_dir)!r} is not a tunecore project (no {JOURNAL}).")
    with os.fdopen(paths.open_project_file(path, os.O_RDONLY, _WHAT), "rb") as f:
        data = f.read()
    header, events, _, _ = _parse(data, path)
    return header, events


def write_events(project_dir: str | os.PathLike[str], header: dict[str, Any], events: list[Event]) -> None:
    """Write ``journal.jsonl`` in ``project_dir`` anew: ``header``, then ``events``, with valid checks.

    For tests and tools that craft a journal (read one with :func:`read_events`,
    change its events, write it back): the records are written in the
    header's format, chained to its ``project`` in format 3. A crafted
    journal is still replayed with every check of a trial's life. The
    journal is replaced, never written through a link.
    """
    path = os.path.join(os.fspath(project_dir), JOURNAL)
    checks = records.Checks(header.get("project") if header.get("format") == FORMAT else None)
    data = b"".join(checks.encode(record) for record in [header, *events])
    if os.path.lexists(path):
        os.remove(path)
    with os.fdopen(paths.open_project_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _WHAT), "wb") as f:
        f.write(data)


def _parse(data, path):
    """``(header, events, torn, checks)``: ``torn`` is the bytes of a torn last line to cut, or None;
    ``checks`` continues the journal's chain past its last record.

    Raises:
        ProjectError: any record but a torn last one is invalid, or the header is not ours.
    """
    lines = data.split(b"\n")
    last = lines.pop()  # empty when the file ends with a newline
    torn = None
    if last:
        if lines and records.is_torn(last):
            torn = last  # a write the crash cut short, after records checked below
        else:
            lines.append(last)
    if not lines:
        raise _corrupt(path, "it is empty")
    project = _check_format(lines[0], path)
    checks = records.Checks(project)
    parsed, failed = checks.decode_all(lines)
    if parsed is None:
        index, why = failed
        raise _corrupt(path, f"line {index + 1} is not a valid record: {why}")
    return parsed[0], parsed[1:], torn, checks


def _check_format(line, path):
    """The project identity in the header ``line`` (None for format 2), after checking its format."""
    try:
        header = json.loads(line)
        found = header.get("format")
    except (ValueError, AttributeError):
        header, found = {}, None
    if not isinstance(found, str) or not found.startswith(_FORMAT_PREFIX):
        raise _corrupt(path, "its first line is not a tunecore header")
    if found not in READABLE_FORMATS:
        raise ProjectError(
            f"{path!r} is in format {found!r}; this version of tunecore reads "
            f"{' and '.join(map(repr, READABLE_FORMATS))}. Open it with the tunecore version that "
            "wrote it, or start a new project."
        )
    if found != FORMAT:
        return None
    project = header.get("project")
    if not isinstance(project, str) or not project:
        raise _corrupt(path, "its header has no project identity (`project`)")
    return project


def _corrupt(path, why):
    return ProjectError(
        f"The project journal {path!r} is corrupt: {why}. It was left untouched; move it away "
        "or pass `overwrite=True` to start a new project."
    )
