"""How a command names the project it reads, written once so that every command takes the same arguments."""

import argparse

from tunecore.project import Project, load


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    """Add the argument that names one project to a command's parser."""
    parser.add_argument("project_dir", help="a project folder (directory/project_name)")


def project_location(args: argparse.Namespace) -> str:
    """Where the project named on the command line lives, as given."""
    return str(args.project_dir)


def open_project(args: argparse.Namespace) -> Project:
    """The project named on the command line, read-only.

    Raises:
        ProjectError: it is not a tunecore project, or it cannot be read.
    """
    return load(project_location(args))
