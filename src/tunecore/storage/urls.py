"""Database URLs: telling one from a path, and showing one without its password."""

import re

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
# The password runs from the first ':' after the user name to an '@'. SQLAlchemy
# stops at the first '@', but a password written with a raw '@' (not %40) runs
# on: hiding up to the last '@' shows no piece of it (and at worst hides more).
_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^:/@]*:)(.*)@(?=[^@]*$)", re.DOTALL)
# libpq also takes the password as a query parameter.
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#]*)", re.IGNORECASE)


def is_url(value: object) -> bool:
    """Whether ``value`` is a database URL (``sqlite:///runs.db``, ``postgresql://...``), not a path."""
    return isinstance(value, str) and _URL.match(value) is not None


def mask_url(url: str) -> str:
    """``url`` with its password, if any, shown as ``***``: how tunecore shows every URL."""
    url = _PASSWORD.sub(lambda m: f"{m.group(1)}***@" if m.group(2) else m.group(0), url, count=1)
    return _QUERY_PASSWORD.sub(lambda m: f"{m.group(1)}***", url)
