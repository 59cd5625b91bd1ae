"""How a command names the project it reads, written once so that every command takes the same arguments.

A project is a folder (``directory/project_name``) or a project in a database:
its URL (``sqlite:///runs.db``, ``postgresql://...``) and ``--project-name``,
which may be left out when the database holds one project. A URL is only
ever shown with its password masked.
"""

import argparse

from tunecore.errors import InvalidArgumentError
from tunecore.project import Project, load
from tunecore.storage import is_url, mask_url
from tunecore.storage.sql import list_projects


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    """Add the arguments that name one project to a command's parser."""
    parser.add_argument("project_dir", help="a project folder (directory/project_name), or a database URL "
                                            "(sqlite:///runs.db, postgresql://user:password@host/db)")
    parser.add_argument("--project-name", help="the project in the database the URL names "
                                               "(optional when it holds only one)")


def project_location(args: argparse.Namespace) -> str:
    """Where the project named on the command line lives, for messages: a folder as given, or a masked URL."""
    if is_url(args.project_dir):
        name = project_name(args)
        return mask_url(args.project_dir) + (f" (project {name!r})" if name else "")
    return str(args.project_dir)


def project_name(args: argparse.Namespace) -> str | None:
    """The project's name in the database the command line names; None for a folder.

    Raises:
        InvalidArgumentError: a URL without ``--project-name`` to a database that
            holds several projects (or none), or ``--project-name`` with a folder.
        ProjectError: the database holds no tunecore project.
    """
    if not is_url(args.project_dir):
        if args.project_name is not None:
            raise InvalidArgumentError(
                f"--project-name names a project in a database, but {args.project_dir!r} is a folder: "
                "name the project's folder itself (directory/project_name)."
            )
        return None
    if args.project_name is not None:
        return str(args.project_name)
    names = list_projects(args.project_dir)
    if len(names) == 1:
        return names[0]
    raise InvalidArgumentError(
        f"{mask_url(args.project_dir)} holds {len(names)} projects ({', '.join(names) or 'none'}): "
        "name one with --project-name NAME."
    )


def open_project(args: argparse.Namespace) -> Project:
    """The project named on the command line, read-only.

    Raises:
        ProjectError: it is not a tunecore project, or it cannot be read.
    """
    return load(args.project_dir, project_name=project_name(args))
