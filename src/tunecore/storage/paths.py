"""Names that become paths: a project's name and its trials' ids, checked before use.

Anything read from disk or given by a user is validated here before it becomes
a path, so that a crafted journal or ``project_name`` cannot make tunecore
read, write or delete outside the project.
"""

import os
import re

from tunecore.errors import ProjectError

_TRIAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def check_project_name(name: str | os.PathLike[str]) -> str:
    """Return ``name`` if it is one plain path component, else raise.

    Raises:
        ProjectError: ``name`` is empty, ``.`` or ``..``, or holds a path separator.
    """
    text = os.fspath(name)
    separators = [sep for sep in (os.sep, os.altsep, "\0") if sep and sep in text]
    if not text or text in (".", "..") or separators:
        raise ProjectError(
            f"project_name must be one plain folder name inside `directory`; got {text!r}. "
            "Put the parent folders in `directory` instead."
        )
    return text


def is_trial_id(trial_id: object) -> bool:
    """Whether ``trial_id`` is safe as part of a file name (letters, digits, ``_ . -``)."""
    return isinstance(trial_id, str) and _TRIAL_ID.fullmatch(trial_id) is not None and ".." not in trial_id


def trial_dir(project_dir: str, trial_id: str) -> str:
    """``project_dir/trial_<trial_id>``, after checking that it stays inside ``project_dir``.

    Raises:
        ProjectError: ``trial_id`` is not a plain id.
    """
    if not is_trial_id(trial_id):
        raise ProjectError(
            f"{trial_id!r} is not a valid trial id (letters, digits, '_', '.', '-'; at most "
            "128): refusing to use it as a path."
        )
    path = os.path.join(project_dir, f"trial_{trial_id}")
    root = os.path.realpath(project_dir)
    if os.path.dirname(os.path.realpath(path)) != root:
        raise ProjectError(f"The folder of trial {trial_id!r} would resolve outside {project_dir!r}.")
    return path
