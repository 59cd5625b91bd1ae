"""Keras Tuner's distributed mode: the ``KERASTUNER_*`` environment variables, on Dask.

Keras Tuner runs one script in several processes. The process whose
``KERASTUNER_TUNER_ID`` contains ``"chief"`` keeps the oracle; the others ask it
for trials at ``KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT``. tunecore keeps
that contract and replaces Keras Tuner's gRPC service with Dask:

- the chief's ``search()`` runs a Dask scheduler at that address (or uses the
  one already listening there) and its usual search loop, with the tuners that
  connect as its workers; it keeps the project and returns when the search ends;
- every other process keeps no project (``overwrite`` cannot touch the
  chief's) and its ``search()`` makes it a Dask worker of the chief: it runs
  trials one at a time with its own tuner and its own ``search`` arguments,
  records them under its ``tuner_id``, and returns when the chief's search
  ends, its tuner then reading the chief's results (read-only).

All processes must see the project folder at the same path (one machine, or a
shared file system), as with Keras Tuner.

This module holds the roles and the names both sides share; the chief's
executor and a worker's serving loop are in :mod:`tunecore.executors.dask_chief`.
"""

import dataclasses
import os

#: The Dask event the chief sets when its search is over; its workers then leave.
ENDED = "tunecore-keras-tuner-search-ended"
#: Set with :data:`ENDED` when the search was interrupted (Ctrl-C, a fatal error) rather than finished.
INTERRUPTED = "tunecore-keras-tuner-search-interrupted"
#: Seconds a tuner waits for those events before it looks whether it is still connected.
POLL_S = 0.5
#: The Dask worker resource that marks a tuner serving the chief (one trial at a time).
SERVING = "tunecore-tuner"


@dataclasses.dataclass(frozen=True)
class Role:
    """This process's part in a distributed search.

    Attributes:
        tuner_id: ``KERASTUNER_TUNER_ID``.
        address: The chief's Dask scheduler, ``tcp://KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT``.
    """

    tuner_id: str
    address: str

    @property
    def is_chief(self) -> bool:
        return "chief" in self.tuner_id


def role() -> Role | None:
    """The :class:`Role` that the ``KERASTUNER_*`` variables give this process, or None when unset.

    As in Keras Tuner, ``KERASTUNER_ORACLE_IP`` turns the mode on.

    Raises:
        RuntimeError: ``KERASTUNER_ORACLE_IP`` is set without
            ``KERASTUNER_ORACLE_PORT`` or ``KERASTUNER_TUNER_ID``.
    """
    env = os.environ
    if "KERASTUNER_ORACLE_IP" not in env:
        return None
    for name, what in (("KERASTUNER_ORACLE_PORT", "a port"), ("KERASTUNER_TUNER_ID", "an ID for each tuner")):
        if not env.get(name):
            raise RuntimeError(
                f'Environment variable "KERASTUNER_ORACLE_IP" was set, but "{name}" was not. '
                f"Please specify {what} (or unset KERASTUNER_ORACLE_IP to search in one process)."
            )
    host, port = env["KERASTUNER_ORACLE_IP"].strip(), env["KERASTUNER_ORACLE_PORT"].strip()
    if not host:
        raise RuntimeError('Environment variable "KERASTUNER_ORACLE_IP" is empty; set it to the chief\'s address.')
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise RuntimeError(f'Environment variable "KERASTUNER_ORACLE_PORT" must be a port number; got {port!r}.')
    if ":" in host and not host.startswith("["):  # an IPv6 address
        host = f"[{host}]"
    return Role(env["KERASTUNER_TUNER_ID"], f"tcp://{host}:{int(port)}")
