"""One journal line: a JSON object with a check, standard enough for ``jq``.

A record is the event's compact JSON with ``"crc"`` (a CRC-32 as 8 hex
digits) as its last key:

    {"event":"end","trial_id":"03","status":"COMPLETED","time":1795845667.378,"crc":"5d2c0f1e"}

In a journal of format 3 the checks are chained: a record's ``crc`` is the
CRC-32 of its JSON text without it, continued from the check of the record
before it (``zlib.crc32(text, previous)``), and the header's continues from
the CRC-32 of the project's identity (its ``project`` id, random, written
when the project was created). So a check covers the record, its place and
its project, at no extra byte per record: a flipped bit, but also a record
duplicated, dropped, swapped with another or copied from another project,
fails the check of the first line out of place. Format 2 checked each record
on its own (``zlib.crc32(text)``); :class:`Checks` reads and extends both.

Non-finite metric values, which JSON has no words for, are written as the
strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (``float()`` reads them
back).
"""

import json
import math
import re
import zlib
from collections.abc import Mapping
from typing import Any

_SUFFIX = re.compile(rb',"crc":"([0-9a-f]{8})"\}$')
_WHOLE = re.compile(rb'"crc":"[0-9a-f]{8}"\}')  # the end of a whole record, wherever it is


class Checks:
    """The checks of one journal's records, read or written in order.

    Args:
        project: The project's identity, which seeds a chain of checks
            (format 3); None: each record is checked on its own (format 2).

    Attributes:
        last: The check of the last record read or written (the chain's state).
    """

    def __init__(self, project: str | None) -> None:
        self.chained = project is not None
        self.last = zlib.crc32(project.encode()) if project is not None else 0

    def encode(self, event: Mapping[str, Any]) -> bytes:
        """The bytes of the next record (with its newline); the chain moves on past it."""
        try:
            body = json.dumps(event, separators=(",", ":"), allow_nan=False)
        except ValueError:  # a non-finite float outside the metrics: spell it out
            body = json.dumps(_spelled(event), separators=(",", ":"), allow_nan=False)
        data = body.encode()
        check = zlib.crc32(data, self.last)
        if self.chained:
            self.last = check
        return data[:-1] + b',"crc":"%08x"}\n' % check

    def decode(self, line: bytes) -> tuple[dict[str, Any], None] | tuple[None, str]:
        """The event in the next record ``line`` (bytes, no newline), or why it is not valid there.

        The chain moves on only past a valid record.

        Returns:
            ``(event, None)``, or ``(None, why)``.
        """
        match = _SUFFIX.search(line)
        if match is None:
            return None, "it has no checksum"
        body = line[:match.start()] + b"}"
        check = zlib.crc32(body, self.last)
        if check != int(match.group(1), 16):
            return None, self._mismatch()
        try:
            event = json.loads(body.decode())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return None, f"it is not valid JSON ({exc})"
        if not isinstance(event, dict):
            return None, "it is not a JSON object"
        if self.chained:
            self.last = check
        return event, None

    def decode_all(self, lines: list[bytes]) -> tuple[list[dict[str, Any]], None] | tuple[None, tuple[int, str]]:
        """The events of the consecutive records ``lines``, as :meth:`decode` reads them one by one.

        Faster on a whole journal: the checks line by line, then the JSON of
        every line in one parse (a journal that fails it is read again line by
        line, to name the line).

        Returns:
            ``(events, None)``, or ``(None, (index, why))`` for the first line
            that is not a valid record (the chain then stays where it was).
        """
        start, chained, search, crc32 = self.last, self.chained, _SUFFIX.search, zlib.crc32
        last, bodies = start, []
        for index, line in enumerate(lines):
            match = search(line)
            if match is None:
                return None, (index, "it has no checksum")
            body = line[:match.start()] + b"}"
            check = crc32(body, last)
            if check != int(match.group(1), 16):
                return None, (index, self._mismatch())
            if chained:
                last = check
            bodies.append(body)
        try:
            events = json.loads((b"[" + b",".join(bodies) + b"]").decode())
        except (ValueError, UnicodeDecodeError):
            events = None
        if events is None or len(events) != len(bodies) or any(type(e) is not dict for e in events):
            return self._one_by_one(lines, start)
        self.last = last
        return events, None

    def _one_by_one(self, lines, start):
        events = []
        for index, line in enumerate(lines):
            event, why = self.decode(line)
            if event is None:
                self.last = start
                return None, (index, why or "")
            events.append(event)
        return events, None

    def _mismatch(self) -> str:
        if not self.chained:
            return "its checksum does not match (the record was changed or damaged)"
        return (
            "its checksum does not match: the record was changed or damaged, or it is out of place "
            "(a record before it was dropped, or it was duplicated, reordered, or copied from "
            "another project; each record's check covers the one before it and the project's identity)"
        )


def is_torn(line: bytes) -> bool:
    """Whether ``line``, a journal's last line without its newline, is a write cut short.

    Only the start of a record is: it begins like one and is not yet a whole
    JSON object. A whole record (whatever its check) or anything else is not,
    so that damage is never taken for a crash and cut off. NUL bytes at its
    end (which some file systems leave past a write a crash interrupted) are
    ignored.
    """
    text = line.rstrip(b"\0")
    if not text:
        return True
    if not text.startswith(b"{") or _WHOLE.search(text):
        return False
    try:
        json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return True
    return False


def encode(event: Mapping[str, Any]) -> bytes:
    """The bytes of one record checked on its own (format 2), with its newline."""
    return Checks(None).encode(event)


def decode(line: bytes) -> tuple[dict[str, Any], None] | tuple[None, str]:
    """The event in ``line``, a record checked on its own (format 2), or why it is not valid."""
    return Checks(None).decode(line)


def finite(metrics: Mapping[str, float]) -> dict[str, float | str]:
    """``metrics`` with non-finite values spelled as strings JSON can hold."""
    return {name: value if math.isfinite(value) else _word(value) for name, value in metrics.items()}


def _word(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _spelled(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return _word(obj)
    if isinstance(obj, dict):
        return {key: _spelled(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_spelled(value) for value in obj]
    return obj
