"""tunecore: look at the installed plugins and at the projects that searches left on disk.

Reading a project never changes it."""

import os
import sys
import traceback
from collections.abc import Sequence

from tunecore.cli.commands import build_parser
from tunecore.cli.output import ReaderGone
from tunecore.errors import TunecoreError

__all__ = ["TRACEBACK_VARIABLE", "main"]

TRACEBACK_VARIABLE = "TUNECORE_TRACEBACK"
"""Set it to 1 and an error also prints its traceback (for a bug report)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status.

    This is the command line's only error boundary: every failure becomes one
    line on stderr, ``tunecore: <what went wrong>``, and status 1, without a
    traceback unless ``TUNECORE_TRACEBACK=1``; a usage error is argparse's
    message and status 2 (``--help`` and ``--version`` exit 0, through
    ``SystemExit``); Ctrl-C is one line and status 130. When the reader of
    a pipe leaves early (``tunecore export P | head``) the command stops
    quietly, with status 141 as a command killed by ``SIGPIPE`` has.
    """
    parser = build_parser(__doc__ or "")
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except ReaderGone:
        return 141
    except KeyboardInterrupt:
        _say("interrupted (Ctrl-C).")
        return 130
    except (TunecoreError, OSError) as exc:  # what a command refuses, or what the system refuses
        _say(_describe(exc))
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug (ours or a plugin's): still one line, and how to see more
        hint = "" if _tracebacks() else f" Run it again with {TRACEBACK_VARIABLE}=1 to see the traceback."
        _say(f"unexpected {type(exc).__name__}: {_describe(exc)} (a bug: please report it).{hint}")
        return 1
    return 0


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, TunecoreError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename!r}" if exc.filename else exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


def _say(line: str) -> None:
    if _tracebacks() and sys.exc_info()[0] is not None:
        traceback.print_exc()
    print(f"tunecore: {line}", file=sys.stderr, flush=True)


def _tracebacks() -> bool:
    return os.environ.get(TRACEBACK_VARIABLE, "") not in ("", "0")
