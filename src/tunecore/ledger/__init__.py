"""The trial ledger: every trial of a search and its life, from creation to its end.

The ledger is the one owner of trial records. The oracle's public lifecycle
(:meth:`~tunecore.oracles.Oracle.ask`, ``report``, ``tell``) goes through it,
and nothing else writes a trial's status. One file per job:

* :mod:`~tunecore.ledger.records` — one :class:`TrialRecord` per trial holds
  the ledger's state of it (its recorded status, values, stop request,
  deadline, final result); :meth:`TrialRecord.transition` checks each status
  change against the status it recorded;
* :mod:`~tunecore.ledger.lifecycle` — :class:`TrialLedger`: the trials by id
  and the RUNNING ones (several at once under parallel executors, ending in
  any order); retries and the count of consecutive failures; the
  fingerprints of every configuration suggested (duplicate detection); the
  queue of configurations enqueued to run first (``enqueue`` events, so that
  they survive a resume); and the storage (:mod:`tunecore.storage`): every
  change is appended as an event with a timestamp, and
  :meth:`TrialLedger.open` replays what an earlier run recorded, so a killed
  search resumes with its trials;
* :mod:`~tunecore.ledger.scoring` — scores (a trial's best objective value
  over its steps) and best trials (for a :class:`~tunecore.objective.Pareto`
  objective, the feasible Pareto front; with constraints, only feasible
  trials);
* :mod:`~tunecore.ledger.events` — the journal's event shapes. Events are
  compact: a trial's values (the space is recorded once, in ``space``
  events, when it grows), its reports, and how it ended; its score is
  recomputed on replay, and the oracle's state is recorded only when it
  changed. Replay checks every event and names the journal line of one it
  cannot use.

A told final result is the trial's final value of the metrics it names: it
replaces what was reported at its step, where a step reported again is
averaged (Keras Tuner's executions of one trial).

Only the driver uses a ledger, from one thread.
"""

from tunecore.ledger.events import configuration
from tunecore.ledger.lifecycle import TrialLedger
from tunecore.ledger.records import TrialRecord
from tunecore.ledger.scoring import Scorer

__all__ = ["Scorer", "TrialLedger", "TrialRecord", "configuration"]
