"""``tunecore dashboard PROJECT``: optuna-dashboard on a project, live while its search runs.

optuna-dashboard reads an Optuna storage. A tunecore project is a journal that
only its search writes, so the dashboard gets a mirror of it instead: an
Optuna ``InMemoryStorage`` that :class:`LiveStudy` keeps up to date from a
background thread, re-reading the project about once a second. New trials
appear, running trials gain their steps and end, without a restart.

Why this never disturbs the search: the project is read with
:func:`tunecore.load`, which opens the journal read-only and never touches the
project's lock (an ``flock`` on another file), so the search can neither be
blocked by the dashboard nor see it. The journal is append-only and each
record carries a checksum, so a read that races an append sees whole records
and, at worst, a torn last line, which is left out until the next read. When
the journal has not changed (same size and modification time) it is not read
again. A project that is overwritten by a new search (``overwrite=True``)
shows as a new study. A project in a database (a URL and its project name) is
read the same way, through :func:`tunecore.load`, which only reads the
database; it is read again when its last event's number changed.

Why it is read-only: reading a project never writes to it, and the mirror is
rebuilt from the journal, so an edit made in the browser (a note, a renamed or
deleted study, a trial told by hand) would be lost at the next read, or worse,
taken for the search's. Every request but ``GET`` and ``HEAD`` is refused (405)
with the reason, which optuna-dashboard shows.
"""

import json
import logging
import os
import threading
import wsgiref.simple_server
from socketserver import ThreadingMixIn
from typing import Any

import optuna
import optuna_dashboard

import tunecore
from tunecore.errors import InvalidArgumentError
from tunecore.objective import Objective
from tunecore.project import Project
from tunecore.storage import is_url, mask_url
from tunecore.storage.journal import JOURNAL
from tunecore.storage.sql import last_event
from tunecore.trial import Trial
from tunecore_optuna import study as studies

logger = logging.getLogger("tunecore")


class LiveStudy:
    """Mirrors a project into an Optuna storage, as one study, trial by trial.

    Each attempt of a tunecore trial is one Optuna trial: a RUNNING trial is
    updated in place (its parameters, intermediate values and, when it ends,
    its state and values); a trial that runs again after failing (a retry)
    gets a new Optuna trial, since Optuna never changes a finished one.

    Args:
        path: The project folder (``directory/project_name``), or a database URL.
        storage: The Optuna storage to fill (default: a new ``InMemoryStorage``).
        project_name: The project in the database ``path`` names (a URL only).

    Attributes:
        path: The project folder, or the URL with its password masked.
    """

    def __init__(self, path: str | os.PathLike[str], storage: optuna.storages.BaseStorage | None = None,
                 project_name: str | None = None) -> None:
        self._source = os.fspath(path)
        self.project_name = project_name
        self.path = mask_url(self._source) if is_url(self._source) else self._source
        self.storage = storage or optuna.storages.InMemoryStorage()
        self.study_id: int | None = None
        self._objective: Objective | None = None
        self._copied: dict[str, tuple[int, int]] = {}  # tunecore trial_id -> (Optuna trial_id, attempts)
        self._seen: tuple[int, int] | None = None  # (size, mtime) of the journal, or the last event, when read

    def sync(self) -> int:
        """Copy what changed in the project since the last call; returns how many trials changed.

        Raises:
            ProjectError: the folder holds no tunecore project, or a corrupt one.
        """
        seen = self._stamp()
        if seen is not None and seen == self._seen:
            return 0
        project = tunecore.load(self._source, project_name=self.project_name)
        self._seen = seen
        if self.study_id is None or project.objective != self._objective or (
            set(self._copied) - set(project.trials)
        ):
            self._new_study(project)
        return sum(self._copy(trial, project.objective) for trial in project.trials.values())

    def follow(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Call :meth:`sync` every ``interval`` seconds until the event ``stop`` is set.

        A failed read is logged and tried again at the next tick (a project
        being overwritten has no journal for a moment).
        """
        last_error: str | None = None
        while not stop.wait(interval):
            try:
                self.sync()
                last_error = None
            except Exception as exc:  # keep serving what was read; say why once
                message = f"{type(exc).__name__}: {exc}"
                if message != last_error:
                    logger.warning("tunecore dashboard: cannot read %s (%s); retrying.", self.path, message)
                last_error = message

    def _new_study(self, project: Project) -> None:
        if self.study_id is not None:
            self.storage.delete_study(self.study_id)
        name = self.project_name or os.path.basename(os.path.normpath(self.path)) or "tunecore"
        self.study_id = studies.create_study_id(self.storage, project.objective, name)
        self._objective = project.objective
        self._copied = {}

    def _copy(self, trial: Trial, objective: Objective) -> int:
        copied = self._copied.get(trial.trial_id)
        if copied is not None:
            optuna_id, attempts = copied
            current = self.storage.get_trial(optuna_id)
            if not current.state.is_finished():
                return self._update(optuna_id, current, trial, objective)
            if attempts == trial.attempts:
                return 0
        optuna_id = self.storage.create_new_trial(
            self.study_id, template_trial=studies.frozen_trial(trial, objective)
        )
        self._copied[trial.trial_id] = (optuna_id, trial.attempts)
        return 1

    def _update(self, optuna_id: int, current: optuna.trial.FrozenTrial, trial: Trial, objective: Objective) -> int:
        changed = False
        found, dists = studies.params(trial)
        for name, value in found.items():
            if name not in current.params:
                self.storage.set_trial_param(optuna_id, name, dists[name].to_internal_repr(value), dists[name])
                changed = True
        for step, value in studies.intermediate_values(trial, objective).items():
            if current.intermediate_values.get(step) != value:
                self.storage.set_trial_intermediate_value(optuna_id, step, value)
                changed = True
        for key, value in studies.user_attrs(trial).items():
            if current.user_attrs.get(key) != value:
                self.storage.set_trial_user_attr(optuna_id, key, value)
                changed = True
        state = studies.state(trial, objective)
        if state.is_finished():
            found_values = studies.values(trial, objective) if state != optuna.trial.TrialState.FAIL else None
            self.storage.set_trial_state_values(optuna_id, state, found_values)
            changed = True
        return int(changed)

    def _stamp(self) -> tuple[int, int] | None:
        if is_url(self._source):
            return last_event(self._source, self.project_name or ""), 0
        return _journal_stamp(self._source)


def serve(path: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 8080, interval: float = 1.0,
          project_name: str | None = None) -> None:
    """Serve optuna-dashboard on the project in ``path`` (a folder, or a database URL and
    ``project_name``) until interrupted (Ctrl-C).

    Prints the address it serves at (``port=0`` picks a free port).

    Raises:
        ProjectError: ``path`` holds no tunecore project.
        InvalidArgumentError: ``host`` and ``port`` cannot be listened on.
    """
    live = LiveStudy(path, project_name=project_name)
    live.sync()
    try:
        server = wsgiref.simple_server.make_server(
            host, port, read_only(optuna_dashboard.wsgi(live.storage)),
            server_class=_ThreadingServer, handler_class=_QuietHandler,
        )
    except OSError as exc:
        raise InvalidArgumentError(
            f"The dashboard cannot listen on {host}:{port} ({exc}). Choose another --port "
            "(0 picks a free one) or --host."
        ) from None
    stop = threading.Event()
    follower = threading.Thread(target=live.follow, args=(stop, interval), name="tunecore-dashboard-sync",
                                daemon=True)
    follower.start()
    shown_host = f"[{host}]" if ":" in host else host
    try:
        print(f"optuna-dashboard on {live.path}: http://{shown_host}:{server.server_port}/dashboard "
              f"(live; Ctrl-C to stop)", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()


READ_ONLY_REASON = (
    "This dashboard shows a tunecore project read-only: the project is changed only by its search "
    "(tunecore records every trial in the project's journal)."
)


def read_only(app: Any) -> Any:
    """The WSGI application ``app``, refusing every request that could change something (405)."""

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD", "OPTIONS"):
            return app(environ, start_response)
        body = json.dumps({"reason": READ_ONLY_REASON}).encode()
        start_response("405 Method Not Allowed", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Allow", "GET, HEAD"),
        ])
        return [body]

    return guarded


class _ThreadingServer(ThreadingMixIn, wsgiref.simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the dashboard polls every second: no line per request
        pass


def _journal_stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(os.path.join(path, JOURNAL))
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns
