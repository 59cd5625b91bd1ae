"""The search's progress line and its closing report."""

import logging
import math
import time

from tqdm.auto import tqdm

from tunecore.trial import TrialStatus

logger = logging.getLogger("tunecore")


class Progress:
    """A tqdm line: trials done / max, running, best so far, elapsed and ETA.

    ``verbose=0`` silences it; the closing report then goes to the log only.
    """

    def __init__(self, oracle, verbose=1):
        self.oracle = oracle
        self.verbose = verbose
        self.start = time.perf_counter()
        done = sum(t.status in TrialStatus.FINISHED for t in oracle.trials.values())
        # A running best: re-ranking every trial after each one is O(n^2) over a search.
        best = oracle.get_best_trials(1)
        self.best_score = best[0].score if best else None
        self.bar = tqdm(
            total=oracle.max_trials,
            initial=done,
            unit="trial",
            desc="Search",
            disable=not verbose,
            dynamic_ncols=True,
            leave=True,
        )

    def update(self, running, finished_trial=None):
        if finished_trial is not None:
            self.bar.update(1)
            logger.info(
                "Trial %s %s, score=%s", finished_trial.trial_id, finished_trial.status,
                finished_trial.score,
            )
            self._track_best(finished_trial)
        postfix = {"running": running}
        if self.best_score is not None:
            postfix[f"best {self.oracle.objective.name}"] = f"{self.best_score:.6g}"
        self.bar.set_postfix(postfix, refresh=True)

    def _track_best(self, trial):
        score = trial.score
        if trial.status != TrialStatus.COMPLETED or score is None or math.isnan(score):
            return
        if self.best_score is None or self.oracle.objective.better_than(score, self.best_score):
            self.best_score = score

    def close(self):
        self.bar.close()
        report = self.report()
        if self.verbose:
            tqdm.write(report)
        logger.info(report)

    def report(self):
        trials = self.oracle.trials.values()
        counts = {}
        for trial in trials:
            counts[trial.status] = counts.get(trial.status, 0) + 1
        parts = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
        lines = [f"Search finished in {time.perf_counter() - self.start:.1f}s: {parts or 'no trials'}."]
        best = self.oracle.get_best_trials(1)
        if best:
            lines.append(
                f"Best {self.oracle.objective.name} so far: {best[0].score:.6g} (trial {best[0].trial_id})."
            )
        failed = [t for t in trials if t.status == TrialStatus.FAILED and t.message]
        for trial in failed[-3:]:
            last_line = trial.message.strip().splitlines()[-1]
            lines.append(f"Trial {trial.trial_id} failed: {last_line}")
        if len(failed) > 3:
            lines.append(f"... and {len(failed) - 3} more failed trials (see trial.message).")
        return "\n".join(lines)
