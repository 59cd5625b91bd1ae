"""The search's progress line and its closing report.

In a terminal it is a tqdm bar, and in a Jupyter notebook tqdm's widget bar
where ipywidgets is installed. Elsewhere (CI, a log file, a pipe, a notebook
without ipywidgets) a bar is one ever-growing line of carriage returns, so the
search prints a short plain line every few trials instead.
"""

import logging
import math
import sys
import time
import warnings
from typing import IO, TYPE_CHECKING, Any

from tqdm import TqdmWarning

with warnings.catch_warnings():
    # In a Jupyter kernel without ipywidgets, tqdm warns at import ("IProgress
    # not found") and falls back to its text bar; the plain lines serve that case.
    warnings.simplefilter("ignore", TqdmWarning)
    from tqdm.autonotebook import tqdm

from tunecore.objective import DEFAULT_OBJECTIVE
from tunecore.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from tunecore.objective import Objective
    from tunecore.oracles.base import Oracle

logger = logging.getLogger("tunecore")

#: Outside a terminal, a line at least this often (seconds) while trials end.
PLAIN_INTERVAL_S = 30.0


class Progress:
    """Trials done / max, running, best so far, elapsed and ETA.

    ``verbose=0`` silences it; the closing report then goes to the log only.

    Args:
        oracle: The search's oracle.
        verbose: 0 for silence.
        file: Where to write (default: ``sys.stderr`` when the search starts).
    """

    def __init__(self, oracle: "Oracle", verbose: int = 1, file: IO[str] | None = None) -> None:
        self.oracle = oracle
        self.verbose = verbose
        self.file = sys.stderr if file is None else file
        self.start = time.perf_counter()
        self.done = sum(t.status in TrialStatus.FINISHED for t in oracle.trials.values())
        # A running best: re-ranking every trial after each one is O(n^2) over a search.
        best = oracle.ledger.best(1)  # the observed best, which the bar shows
        self.best_score = best[0].score if best else None
        self.label = best_label(oracle.objective)
        self.plain = bool(verbose) and not _interactive(self.file)
        total = oracle.max_trials
        self.every = max(1, total // 10) if total else 10
        self._last_line = (self.done, self.start)
        self.bar = tqdm(
            total=total,
            initial=self.done,
            unit="trial",
            desc="Search",
            disable=not verbose or self.plain,
            dynamic_ncols=True,
            leave=True,
            file=self.file,
        )

    def update(self, running: int, finished_trial: Trial | None = None) -> None:
        if finished_trial is not None:
            self.done += 1
            self.bar.update(1)
            logger.info(
                "Trial %s %s, score=%s", finished_trial.trial_id, finished_trial.status,
                finished_trial.score,
            )
            self._track_best(finished_trial)
            if self.plain:
                self._plain_line(running)
        if self.bar.disable:
            return
        postfix: dict[str, Any] = {"running": running}
        if self.best_score is not None:
            postfix[self.label] = f"{self.best_score:.6g}"
        self.bar.set_postfix(postfix, refresh=True)

    def _plain_line(self, running: int) -> None:
        done_before, time_before = self._last_line
        now = time.perf_counter()
        total = self.oracle.max_trials
        due = (
            self.done - done_before >= self.every
            or now - time_before >= PLAIN_INTERVAL_S
            or (total is not None and self.done >= total)
        )
        if not due:
            return
        self._last_line = (self.done, now)
        parts = [f"{self.done}/{total} trials" if total else f"{self.done} trials", f"{running} running"]
        if self.best_score is not None:
            parts.append(f"{self.label}={self.best_score:.6g}")
        parts.append(f"{now - self.start:.0f}s")
        print("Search: " + ", ".join(parts), file=self.file, flush=True)

    def _track_best(self, trial: Trial) -> None:
        score = trial.score
        if trial.status != TrialStatus.COMPLETED or score is None or math.isnan(score):
            return
        if self.best_score is None or self.oracle.objective.better_than(score, self.best_score):
            self.best_score = score

    def close(self, report: bool = True) -> None:
        """Close the bar and print the closing report (``report=False``: log it only, as
        for an interrupted search, which says what it kept in one line of its own)."""
        self.bar.close()
        text = self.report()
        if self.verbose and report:
            tqdm.write(text)
        logger.info(text)

    def report(self) -> str:
        trials = self.oracle.trials.values()
        counts: dict[str, int] = {}
        for trial in trials:
            counts[trial.status] = counts.get(trial.status, 0) + 1
        parts = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
        lines = [f"Search finished in {time.perf_counter() - self.start:.1f}s: {parts or 'no trials'}."]
        if counts and not counts.get(TrialStatus.COMPLETED):
            lines[0] += " No trial completed, so there is no best trial yet."
        best = self.oracle.get_best_trials(1)
        words = _objective_words(self.oracle.objective)
        if best and self.oracle.reranks_best:
            observed = self.oracle.ledger.best(1)[0]
            lines.append(
                f"Best trial by the model: trial {best[0].trial_id}, observed {words} {best[0].score:.6g} "
                f"(the best observed: {observed.score:.6g}, trial {observed.trial_id})."
            )
        elif best:
            lines.append(f"Best {words} so far: {best[0].score:.6g} (trial {best[0].trial_id}).")
        failed = [t for t in trials if t.status == TrialStatus.FAILED and t.message]
        for trial in failed[-3:]:
            last_line = trial.message.strip().splitlines()[-1]
            lines.append(f"Trial {trial.trial_id} failed: {last_line}")
        if len(failed) > 3:
            lines.append(f"... and {len(failed) - 3} more failed trials (see trial.message).")
        return "\n".join(lines)


def best_label(objective: "Objective") -> str:
    """``"best val_accuracy"``; just ``"best"`` for the default objective (a returned number)."""
    return "best" if objective.name == DEFAULT_OBJECTIVE else f"best {objective.name}"


def _objective_words(objective: "Objective") -> str:
    return "score" if objective.name == DEFAULT_OBJECTIVE else objective.name


def _interactive(file: IO[str]) -> bool:
    """A terminal, or a notebook (tqdm.auto chose its widget)."""
    if any(cls.__module__ == "tqdm.notebook" for cls in tqdm.__mro__):
        return True
    isatty = getattr(file, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False
