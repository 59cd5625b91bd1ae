"""One journal line: a JSON object with a checksum, standard enough for ``jq``.

A record is the event's compact JSON with ``"crc"`` (the CRC-32 of the
JSON text without it, as 8 hex digits) as its last key:

    {"event":"end","trial_id":"03","status":"COMPLETED","time":1795845667.378,"crc":"5d2c0f1e"}

Non-finite metric values, which JSON has no words for, are written as the
strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (``float()`` reads them
back). A flipped bit anywhere in a record fails its checksum.
"""

import json
import math
import re
import zlib
from collections.abc import Mapping
from typing import Any

_SUFFIX = re.compile(rb',"crc":"([0-9a-f]{8})"\}$')


def encode(event: Mapping[str, Any]) -> bytes:
    """The bytes of one record (with its newline)."""
    try:
        body = json.dumps(event, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a non-finite float outside the metrics: spell it out
        body = json.dumps(_spelled(event), separators=(",", ":"), allow_nan=False)
    data = body.encode()
    return data[:-1] + b',"crc":"%08x"}\n' % zlib.crc32(data)


def decode(line: bytes) -> tuple[dict[str, Any], None] | tuple[None, str]:
    """The event in ``line`` (bytes, no newline), or the reason it is not a valid record.

    Returns:
        ``(event, None)``, or ``(None, why)`` for a line that is not a valid record.
    """
    match = _SUFFIX.search(line)
    if match is None:
        return None, "it has no checksum"
    body = line[:match.start()] + b"}"
    if zlib.crc32(body) != int(match.group(1), 16):
        return None, "its checksum does not match (the record was changed or damaged)"
    try:
        event = json.loads(body.decode())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, f"it is not valid JSON ({exc})"
    if not isinstance(event, dict):
        return None, "it is not a JSON object"
    return event, None


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
