"""``tunecore.load(path)``: a read-only view of any project, on disk or in a database."""

import os
from typing import TYPE_CHECKING

from tunecore import results
from tunecore.ledger import TrialLedger
from tunecore.objective import Constraint, objective_from_config
from tunecore.errors import InvalidArgumentError, ProjectError
from tunecore.storage import RecordedStorage, is_url, mask_url, read_events, sql
from tunecore.storage.journal import JOURNAL
from tunecore.trial import Trial

if TYPE_CHECKING:
    import pandas


class Project:
    """What a search recorded, whatever oracle wrote it; reading it changes nothing.

    A trial that was RUNNING when the journal was read (a search in progress,
    or one that was killed) shows as RUNNING.

    Args:
        path: The project folder, or a database URL.
        project_name: The project's name in the database (a URL only; may be
            left out when the database holds one project).

    Attributes:
        path: The project folder, or the database URL with its password masked.
        project_name: The project's name in the database, or None for a folder.
        oracle: The import path of the oracle class that wrote it.
        objective: Its :class:`~tunecore.Objective`.
        constraints: Its :class:`~tunecore.Constraint` objects (from the journal header).
        hyperparameters: The search space as the search last knew it.
        trials: ``{trial_id: Trial}`` with their metric histories and timestamps.
    """

    def __init__(self, path: str | os.PathLike[str], project_name: str | None = None) -> None:
        self.project_name = project_name
        if is_url(path):
            assert isinstance(path, str)
            if project_name is None:  # as Optuna's load_study: the only one, if there is one
                names = sql.list_projects(path)
                if len(names) != 1:
                    raise InvalidArgumentError(
                        f"{mask_url(path)} holds {len(names)} projects ({', '.join(names) or 'none'}): name "
                        f"one, load({mask_url(path)!r}, project_name=...)."
                    )
                project_name = names[0]
                self.project_name = project_name
            self.path = mask_url(path)
            header, events = sql.read_project(path, project_name)
        else:
            if project_name is not None:
                raise InvalidArgumentError(
                    f"project_name={project_name!r} names a project in a database; for a folder, "
                    f"load the project folder itself: load({os.path.join(os.fspath(path), project_name)!r})."
                )
            self.path = os.fspath(path)
            header, events = read_events(self.path)
        self.oracle = header.get("oracle")
        try:
            self.objective = objective_from_config(header["objective"])
            self.constraints = [Constraint.from_config(c) for c in header.get("constraints", [])]
        except (KeyError, TypeError, ValueError) as exc:  # a header that checks out but says no search
            raise ProjectError(
                f"The header of the project {self.path!r} does not describe a search: its objective or "
                f"constraints cannot be read ({type(exc).__name__}: {exc}). It was left untouched."
            ) from None
        ledger = TrialLedger(self.objective, constraints=self.constraints)
        # Events given: the path is not read. A database's events are several drivers'.
        ledger.open(RecordedStorage(self.path, events, shared=project_name is not None), header)
        self.hyperparameters = ledger.space
        self._ledger = ledger
        self.trials = ledger.trials

    #: Read without its oracle, a project ranks its trials by their observed scores.
    reranks_best = False

    def get_best_trials(self, num_trials: int | None = 1) -> list[Trial]:
        """The best feasible COMPLETED trials, best first; a Pareto project's front
        (see :meth:`tunecore.oracles.Oracle.get_best_trials`)."""
        return self._ledger.best(num_trials)

    @property
    def ledger(self) -> TrialLedger:
        """The project's :class:`~tunecore.ledger.TrialLedger` (read it, don't change it):
        per-objective values, constraint values and feasibility of its trials."""
        return self._ledger

    def get_trial(self, trial_id: str) -> Trial:
        return self.trials[trial_id]

    def trials_dataframe(self) -> "pandas.DataFrame":
        """The trials as a ``pandas.DataFrame``, one row each (see :mod:`tunecore.results`).

        Raises:
            MissingDependencyError: pandas is not installed; ``pip install 'tunecore[pandas]'``.
        """
        return results.trials_dataframe(self)

    def __repr__(self) -> str:
        name = f", project_name={self.project_name!r}" if self.project_name is not None else ""
        return f"Project({self.path!r}{name}, oracle={self.oracle!r}, trials={len(self.trials)})"


def load(path: str | os.PathLike[str], project_name: str | None = None) -> Project:
    """A read-only :class:`Project` of a search: ``load("dir/project_name")``, or
    ``load("sqlite:///runs.db", project_name="mnist")`` for one kept in a database (the
    name may be left out when the database holds one project).

    Reading a database creates nothing in it, and a URL's password shows as ``***``.

    Raises:
        ProjectError: ``path`` holds no tunecore journal, or a corrupt one; the
            database holds no project ``project_name`` (the message lists those it holds).
        StorageUnavailableError: the database cannot be reached.
    """
    return Project(path, project_name)


def find_projects(directory: str | os.PathLike[str], max_depth: int = 3) -> list[str]:
    """The project folders under ``directory`` (itself included), sorted, to ``max_depth`` levels down.

    A project folder is one with a journal; its own subfolders (the trials')
    are not searched. Hidden folders and symbolic links are skipped.
    """
    found: list[str] = []

    def walk(path: str, depth: int) -> None:
        if os.path.isfile(os.path.join(path, JOURNAL)):
            found.append(path)
            return
        if depth >= max_depth:
            return
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                walk(entry.path, depth + 1)

    walk(os.fspath(directory), 0)
    return found

