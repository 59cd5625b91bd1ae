"""The table of projects that ``tunecore list`` (and ``summary`` on a parent folder) prints."""

import os

from tunecore.errors import TunecoreError
from tunecore.project import Project, load

STATUSES = ("COMPLETED", "FAILED", "RUNNING", "STOPPED")
HEADER = ("PROJECT", "ORACLE", "TRIALS", *STATUSES, "OBJECTIVE", "BEST")


def projects_table(root: str, projects: list[str], url: str | None = None) -> tuple[str, dict[str, str]]:
    """``(table, unreadable)``: one row per project, and ``{name: why}`` for those that cannot be read.

    ``projects`` are folders under ``root``, or the names of projects in the database ``url``.
    An unreadable project keeps its row (``unreadable: why``), so the others are still shown.
    """
    rows = []
    unreadable = {}
    for path in projects:
        name = path if url is not None else os.path.relpath(path, root)
        try:
            rows.append(_row(name, load(url, project_name=path) if url is not None else load(path)))
        except (TunecoreError, OSError) as exc:
            why = " ".join(str(exc).split())
            unreadable[name] = why
            rows.append((name, f"unreadable: {why}"))
    full = [row for row in [HEADER, *rows] if len(row) == len(HEADER)]
    widths = [max(len(row[i]) for row in full) for i in range(len(HEADER))]
    text = "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [HEADER, *rows]
    )
    return text, unreadable


def _row(name: str, project: Project) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for trial in project.trials.values():
        counts[trial.status] = counts.get(trial.status, 0) + 1
    best = project.get_best_trials(1)
    objective = project.objective
    return (
        name,
        (project.oracle or "?").rsplit(".", 1)[-1],
        str(len(project.trials)),
        *(str(counts.get(status, 0)) for status in STATUSES),
        f"{objective.name} ({objective.direction})",
        f"{best[0].score:.6g}" if best else "-",
    )
