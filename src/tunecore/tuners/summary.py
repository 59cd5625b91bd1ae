"""Printed summaries of a search space and of the best trials (Keras Tuner's format)."""

from typing import TYPE_CHECKING

from tunecore.objective import is_pareto
from tunecore.trial import value_lines

if TYPE_CHECKING:
    from tunecore.hyperparameters import HyperParameters
    from tunecore.oracles.base import Oracle
    from tunecore.project import Project


def search_space_summary(hyperparameters: "HyperParameters", extended: bool = False) -> str:
    space = hyperparameters.space
    lines = ["Search space summary", f"Default search space size: {len(space)}"]
    for hp in space:
        config = hp.get_config()
        if not extended:  # Keras Tuner's format
            config.pop("name", None)
        lines.append(f"{hp.name} ({type(hp).__name__})")
        lines.append(str(config))
    return "\n".join(lines)


def results_summary(oracle: "Oracle | Project", project_dir: str | None = None, num_trials: int = 10) -> str:
    """Keras Tuner's "Results summary" text of an oracle or a loaded :class:`~tunecore.Project`.

    A :class:`~tunecore.Pareto` search shows its front (each trial's value of
    every objective); a constrained one only feasible trials, or says that
    none is feasible yet and which trial came closest.
    """
    ledger = oracle.ledger
    objective = oracle.objective
    best = oracle.get_best_trials(num_trials)
    lines = ["Results summary"]
    if project_dir:
        lines.append(f"Results in {project_dir}")
    if is_pareto(objective):
        front = len(oracle.get_best_trials(None))
        lines.append(f"Pareto front: {front} trials" + (f", showing {len(best)}" if len(best) < front else ""))
    else:
        lines.append(f"Showing {num_trials} best trials")
        if oracle.reranks_best:
            lines.append("Ranked by the oracle's model of the objective (best='model'); scores as observed")
    lines.append(repr(objective))
    if ledger.constraints:
        lines.append("Constraints: " + ", ".join(str(c) for c in ledger.constraints))
        closest = ledger.closest_infeasible() if not best else None
        if closest is not None:
            lines.append(
                f"No feasible trial yet: all {len(ledger.scored())} completed trials break a "
                f"constraint. Closest: trial {closest.trial_id}, {ledger.describe_violation(closest)}."
            )
    if oracle.trials and not ledger.scored():
        counts: dict[str, int] = {}
        for trial in oracle.trials.values():
            counts[trial.status] = counts.get(trial.status, 0) + 1
        ended = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
        lines.append(f"No trial completed ({ended}), so there is no best trial yet.")
    for trial in best:
        lines += ["", f"Trial {trial.trial_id} summary", "Hyperparameters:"]
        lines += value_lines(trial.hyperparameters.values)
        if is_pareto(objective):
            values = ledger.objective_values(trial)
            lines.append("Objectives: " + ", ".join(
                f"{o.name}={v:.6g}" for o, v in zip(objective.objectives, values)
            ))
        else:
            lines.append(f"Score: {trial.score}")
        if ledger.constraints:
            lines.append("Constraints: " + ", ".join(
                f"{c.name}={v:.6g}" for c, v in zip(ledger.constraints, ledger.constraint_values(trial))
            ))
    return "\n".join(lines)
