"""The project directory: an append-only journal of events, one JSON line each.

Layout of ``directory/project_name/``::

    journal.jsonl     header line, then one line per event
    trial_<id>/       per-trial files (checkpoints, models), created on demand

Why a journal: Keras Tuner rewrites ``oracle.json`` in place after every trial,
so a crash during that write loses the project. Here each event is appended and
flushed on its own (a process killed at any point leaves the page cache intact),
and the record that ends a trial is also fsynced. A crash can at worst tear the
last line, which :meth:`JournalStorage.open` cuts off with a warning. The cost
of an event is one short write, however many trials came before.

The first line is a header naming the oracle class and the objective; opening
the project with another oracle or objective is refused rather than mixed.
"""

import json
import logging
import os
import shutil

from tunecore.errors import ProjectError
from tunecore.storage.base import Storage

logger = logging.getLogger("tunecore")

JOURNAL = "journal.jsonl"
FORMAT = "tunecore-journal/1"
_KERAS_TUNER_FILES = ("oracle.json", "tuner0.json")


class JournalStorage(Storage):
    """Appends events to ``journal.jsonl`` under a project directory.

    Args:
        project_dir: ``directory/project_name``.
    """

    def __init__(self, project_dir):
        self.project_dir = os.fspath(project_dir)
        self.path = os.path.join(self.project_dir, JOURNAL)
        self._file = None

    def open(self, header, overwrite=False):
        """Open the project (see :meth:`Storage.open`); ``overwrite`` deletes it first."""
        if overwrite and os.path.exists(self.project_dir):
            shutil.rmtree(self.project_dir)
        os.makedirs(self.project_dir, exist_ok=True)
        header = {"format": FORMAT, **header}
        if os.path.exists(self.path):
            events = self._read(header)
        else:
            self._refuse_foreign_directory()
            events = []
            with open(self.path, "w", encoding="utf-8") as f:
                f.write(json.dumps(header) + "\n")
                f.flush()
                os.fsync(f.fileno())
        self._file = open(self.path, "a", encoding="utf-8")
        return events

    def append(self, event, sync=False):
        """Append one event and flush it; ``sync=True`` also fsyncs it."""
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")
        self._file.write(json.dumps(event) + "\n")
        self._file.flush()
        if sync:
            os.fsync(self._file.fileno())

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def _refuse_foreign_directory(self):
        entries = set(os.listdir(self.project_dir))
        if entries & set(_KERAS_TUNER_FILES):
            raise ProjectError(
                f"{self.project_dir!r} holds a Keras Tuner project, which tunecore cannot "
                "resume. Choose another project_name, or pass overwrite=True to delete it."
            )

    def _read(self, header):
        with open(self.path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        torn = lines.pop()  # empty when the file ends with a newline
        if torn:
            logger.warning(
                "%s: the last record was cut off by a crash; it is dropped.", self.path
            )
            with open(self.path, "r+b") as f:
                f.truncate(len(data) - len(torn))
        if not lines:
            raise self._corrupt("it is empty")
        try:
            records = [json.loads(line) for line in lines]
        except json.JSONDecodeError as exc:
            bad = next(i for i, line in enumerate(lines) if not _parses(line)) + 1
            raise self._corrupt(f"line {bad} is not valid JSON ({exc.msg})") from None
        stored = records[0]
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise self._corrupt("its first line is not a tunecore header")
        for key in ("oracle", "objective"):
            if stored.get(key) != header.get(key):
                raise ProjectError(
                    f"{self.project_dir!r} belongs to a different search: its {key} is "
                    f"{stored.get(key)!r}, this search's is {header.get(key)!r}. Use another "
                    "project_name, or pass overwrite=True to delete the old project."
                )
        return records[1:]

    def _corrupt(self, why):
        return ProjectError(
            f"The project journal {self.path!r} is corrupt: {why}. It was left untouched; "
            "move it away or pass overwrite=True to start a new project."
        )


def read_events(project_dir):
    """Read a project without changing it: ``(header, events)``.

    A torn last line is ignored rather than repaired.

    Raises:
        ProjectError: there is no journal, or it is corrupt.
    """
    path = os.path.join(os.fspath(project_dir), JOURNAL)
    if not os.path.exists(path):
        raise ProjectError(f"{os.fspath(project_dir)!r} is not a tunecore project (no {JOURNAL}).")
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    try:
        records = [json.loads(line) for line in lines]
    except json.JSONDecodeError as exc:
        raise ProjectError(f"The project journal {path!r} is corrupt: {exc.msg}.") from None
    if not records or not isinstance(records[0], dict) or records[0].get("format") != FORMAT:
        raise ProjectError(f"{path!r} is not a tunecore journal.")
    return records[0], records[1:]


def _parses(line):
    try:
        json.loads(line)
        return True
    except json.JSONDecodeError:
        return False
