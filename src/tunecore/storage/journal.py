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
when every record before it is valid: anything else is refused with the file
left byte for byte as it was. The cost of an event is one short write, however
many trials came before.

The first line is a header naming the format, the oracle class and the
objective; opening the project with another oracle or objective, or a journal
of another format, is refused rather than mixed.

One search writes at a time: the project's lock is taken to read the journal
and again, until :meth:`JournalStorage.close`, from the first event appended.
If another search appended in between, appending is refused (the trials this
process holds would collide with that search's).
"""

import json
import logging
import os
import shutil
from typing import Any, BinaryIO

from tunecore.errors import ProjectError
from tunecore.storage import paths, records
from tunecore.storage.base import Event, Storage
from tunecore.storage.lock import LOCK_FILE, ProjectLock

logger = logging.getLogger("tunecore")

JOURNAL = "journal.jsonl"
FORMAT = "tunecore-journal/2"
_FORMAT_PREFIX = "tunecore-journal/"
_KERAS_TUNER_FILES = ("oracle.json", "tuner0.json")


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
        self._size = 0  # of the journal as this process last knew it (set by open)

    def open(self, header: dict[str, Any], overwrite: bool = False) -> list[Event]:
        """Open the project (see :meth:`Storage.open`).

        ``overwrite`` deletes what tunecore wrote in the folder (the journal and
        the ``trial_<id>`` folders), and only in a folder that holds nothing
        else: a folder with other files is refused, never emptied.
        """
        os.makedirs(self.project_dir, exist_ok=True)
        self._lock = lock = ProjectLock(self.project_dir)
        lock.acquire()
        try:
            if overwrite:
                self._delete_project()
            header = {"format": FORMAT, **header}
            if os.path.exists(self.path):
                events = self._read(header)
            else:
                self._refuse_foreign_directory()
                events = []
                with open(self.path, "wb") as f:
                    f.write(records.encode(header))
                    f.flush()
                    os.fsync(f.fileno())
            self._size = os.path.getsize(self.path)
        finally:
            lock.release()
        return events

    def append(self, event: Event, sync: bool = False) -> None:
        """Append one event and flush it; ``sync=True`` also fsyncs it.

        Raises:
            ProjectError: another search holds the project, or appended to it
                since this one read it.
        """
        file = self._file if self._file is not None else self._reopen()
        data = records.encode(event)
        file.write(data)
        file.flush()
        self._size += len(data)
        if sync:
            os.fsync(file.fileno())

    def close(self) -> None:
        """Close the journal file and release the lock; a later append takes both again."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._lock is not None:
            self._lock.release()

    def _reopen(self) -> BinaryIO:
        if self._lock is None:
            raise ProjectError(f"The project {self.project_dir!r} was not opened: call open() first.")
        self._lock.acquire()
        if os.path.getsize(self.path) != self._size:
            self._lock.release()
            raise ProjectError(
                f"Another search wrote to {self.project_dir!r} after this one loaded it: "
                "create the tuner (or oracle) again to resume with every trial in it."
            )
        self._file = open(self.path, "ab")
        return self._file

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
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)

    def _refuse_foreign_directory(self):
        entries = set(os.listdir(self.project_dir))
        if entries & set(_KERAS_TUNER_FILES):
            raise ProjectError(
                f"{self.project_dir!r} holds a Keras Tuner project, which tunecore cannot "
                "resume or delete. Choose another project_name, or move it away."
            )

    def _read(self, header):
        with open(self.path, "rb") as f:
            data = f.read()
        stored, events, torn = _parse(data, self.path)
        if torn is not None:
            logger.warning("%s: the last record was cut off by a crash; it is dropped.", self.path)
            with open(self.path, "r+b") as f:
                f.truncate(len(data) - len(torn))
        elif not data.endswith(b"\n"):  # a whole last record whose newline the crash cut
            with open(self.path, "ab") as f:
                f.write(b"\n")
        for key in ("oracle", "objective"):
            if stored.get(key) != header.get(key):
                raise ProjectError(
                    f"{self.project_dir!r} belongs to a different search: its {key} is "
                    f"{stored.get(key)!r}, this search's is {header.get(key)!r}. Use another "
                    "project_name, or pass `overwrite=True` to delete the old project."
                )
        return events


def read_events(project_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], list[Event]]:
    """Read a project without changing it or waiting for its lock: ``(header, events)``.

    A torn last line is ignored rather than repaired.

    Raises:
        ProjectError: there is no journal, or it is corrupt.
    """
    path = os.path.join(os.fspath(project_dir), JOURNAL)
    if not os.path.exists(path):
        raise ProjectError(f"{os.fspath(project_dir)!r} is not a tunecore project (no {JOURNAL}).")
    with open(path, "rb") as f:
        data = f.read()
    header, events, _ = _parse(data, path)
    return header, events


def _parse(data, path):
    """``(header, events, torn)``: ``torn`` is the bytes of a torn last line to cut, or None.

    Raises:
        ProjectError: any record but a torn last one is invalid, or the header is not ours.
    """
    lines = data.split(b"\n")
    last = lines.pop()  # empty when the file ends with a newline
    torn = None
    if last:
        if lines and records.decode(last)[0] is None:
            torn = last  # a write the crash cut short, after records checked below
        else:
            lines.append(last)
    if not lines:
        raise _corrupt(path, "it is empty")
    _check_format(lines[0], path)
    parsed = []
    for number, line in enumerate(lines, start=1):
        event, why = records.decode(line)
        if event is None:
            raise _corrupt(path, f"line {number} is not a valid record: {why}")
        parsed.append(event)
    return parsed[0], parsed[1:], torn


def _check_format(line, path):
    try:
        found = json.loads(line).get("format")
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, str) or not found.startswith(_FORMAT_PREFIX):
        raise _corrupt(path, "its first line is not a tunecore header")
    if found != FORMAT:
        raise ProjectError(
            f"{path!r} is in format {found!r}; this version of tunecore reads {FORMAT!r}. Open "
            "it with the tunecore version that wrote it, or start a new project."
        )


def _corrupt(path, why):
    return ProjectError(
        f"The project journal {path!r} is corrupt: {why}. It was left untouched; move it away "
        "or pass `overwrite=True` to start a new project."
    )
