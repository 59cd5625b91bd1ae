"""A wait that says what it waits for.

Every wait of a search is bounded: by the search's ``timeout=``, by Ctrl-C,
or by a documented limit. A wait that may last (a chief that no tuner has
joined yet, trials queued on a Dask cluster with no worker, a tuner whose
chief is not up yet) says what it waits for, and says it again every
:data:`NOTICE_S` seconds as a warning while it lasts, so that a search that
looks stuck says why and what would end the wait.
"""

import logging
import time

logger = logging.getLogger("tunecore")

#: How often a wait that lasts says again what it waits for.
NOTICE_S = 10.0


class Notice:
    """Call it on each turn of a wait: every ``every`` seconds it logs what is awaited, and for how long.

    Args:
        every: Seconds between two notices (default: :data:`NOTICE_S`).
    """

    def __init__(self, every: float | None = None) -> None:
        self.every = NOTICE_S if every is None else every
        self.since = time.monotonic()
        self._next = self.since + self.every

    def __call__(self, what: str) -> None:
        """Log ``what`` (what is awaited and what ends the wait, a sentence without its full stop) if due."""
        if self.due():
            self.log(what)

    def due(self) -> bool:
        """Whether a notice is due now (the next one is then a period away)."""
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.every
        return True

    def log(self, what: str) -> None:
        logger.warning("%s (waiting for %.0f s).", what, time.monotonic() - self.since)

    def restart(self) -> None:
        """The wait is over (or something awaited happened): a new one starts now."""
        self.since = time.monotonic()
        self._next = self.since + self.every
