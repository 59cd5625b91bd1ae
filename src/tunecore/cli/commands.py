"""The commands: one small function each, and the parser that names them.

A command reads what its arguments name and prints through
:func:`tunecore.cli.output.emit`; it raises a :class:`~tunecore.TunecoreError`
for anything it cannot do, which :func:`tunecore.cli.main` turns into one line.
"""

import argparse
import importlib.metadata
import os
import sys
import warnings
from collections.abc import Sequence

from tunecore import __version__
from tunecore.cli.output import check_output, emit, write_file
from tunecore.cli.projects import (
    add_project_argument,
    open_project,
    project_location,
    project_name,
)
from tunecore.cli.tables import projects_table
from tunecore.errors import InvalidArgumentError, ProjectError
from tunecore.optional import optional_import
from tunecore.plugins import ENTRY_POINT_GROUP, PluginWarning, get_plugin_manager
from tunecore.project import find_projects
from tunecore.storage import is_url, mask_url, sql
from tunecore.storage.journal import JOURNAL
from tunecore.tuners import summary as summaries

LIST_DEPTH = 3
FORMATS = ("csv", "json", "parquet")


# tunecore plugins ------------------------------------------------------------


def plugins(args: argparse.Namespace) -> None:
    with warnings.catch_warnings():  # the listing below says the same, without a traceback
        warnings.simplefilter("ignore", PluginWarning)
        manager = get_plugin_manager()
    lines = []
    for name, version, provides in manager.list_plugins():
        what = [f"{kind}s: {', '.join(names)}" for kind, names in provides.items()]
        refused = [f"{r.kind} {r.name!r} (by {r.owner})" for r in manager.refused if r.plugin == name]
        if refused:
            what.append(f"refused, already registered: {', '.join(refused)}")
        lines.append(f"{name} {version}" + (f" — {'; '.join(what)}" if what else ""))
    for broken in manager.broken:
        lines.append(f"{broken.name} {broken.version} — BROKEN, skipped: entry point {broken.entry_point!r} "
                     f"of {broken.distribution}: {broken.reason}")
    emit("".join(f"{line}\n" for line in lines))


# tunecore summary ------------------------------------------------------------


def summary(args: argparse.Namespace) -> None:
    if is_url(args.project_dir) and args.project_name is None:
        names = sql.list_projects(args.project_dir)
        if len(names) != 1:  # a database of several projects: say what is inside rather than fail
            emit(f"{mask_url(args.project_dir)} holds {len(names)} projects:\n")
            after = "Show one with: tunecore summary URL --project-name NAME\n"
            return _show_projects(args.project_dir, names, after=after, url=args.project_dir)
    location = project_location(args)
    if os.path.isdir(location) and not os.path.isfile(os.path.join(location, JOURNAL)):
        projects = find_projects(location, LIST_DEPTH)
        if projects:  # a parent folder: say what is inside rather than fail
            emit(f"{location} is not a project; it holds {len(projects)}:\n")
            _show_projects(location, projects, after="Show one with: tunecore summary PROJECT\n")
            return
    emit(summaries.results_summary(open_project(args), location, args.num_trials) + "\n")


# tunecore list ---------------------------------------------------------------


def list_projects(args: argparse.Namespace) -> None:
    if is_url(args.directory):  # a database: every project in it
        names = sql.list_projects(args.directory)
        if not names:
            raise ProjectError(f"No tunecore project in {mask_url(args.directory)} (its tables are empty).")
        return _show_projects(args.directory, names, url=args.directory)
    projects = find_projects(args.directory, args.depth)
    if not projects:
        raise ProjectError(
            f"No tunecore project in {args.directory!r} or {args.depth} levels below it "
            f"(a project is a folder with a {JOURNAL})."
        )
    _show_projects(args.directory, projects)


def _show_projects(root: str, projects: list[str], after: str = "", url: str | None = None) -> None:
    """Print the table of ``projects`` (folders, or names in the database ``url``); raise after it
    when one of them cannot be read."""
    table, unreadable = projects_table(root, projects, url)
    emit(table + "\n" + after)
    if unreadable:
        names = ", ".join(repr(name) for name in unreadable)
        raise ProjectError(f"{len(unreadable)} of {len(projects)} projects cannot be read: {names} "
                           f"(the table says why).")


# tunecore export -------------------------------------------------------------


def export(args: argparse.Namespace) -> None:
    fmt = args.format or _format_of(args.output)
    if fmt == "parquet" and not args.output:
        raise InvalidArgumentError("Parquet is a binary format: name the file with -o FILE.parquet.")
    if args.output:
        check_output(args.output, "the table")
    if fmt == "parquet":
        optional_import("pyarrow", "parquet")
    frame = open_project(args).trials_dataframe()
    if fmt == "parquet":
        write_file(args.output, "the table", lambda path: frame.to_parquet(path, index=False))
        return _wrote(len(frame), args.output)
    if fmt == "json":
        text = frame.to_json(orient="records", date_format="iso", indent=1) + "\n"
    else:
        text = frame.to_csv(index=False)
    if not args.output:
        return emit(text)
    write_file(args.output, "the table", lambda path: _write_text(path, text))
    _wrote(len(frame), args.output)


def _format_of(output: str | None) -> str:
    """The format an output file's suffix names; CSV by default."""
    suffix = os.path.splitext(output or "")[1].lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if suffix in ("pq", "parq"):
        return "parquet"
    return "csv"


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(text)


def _wrote(count: int, output: str) -> None:
    print(f"Wrote {count} trials to {output}", file=sys.stderr)


# tunecore dashboard ----------------------------------------------------------


def dashboard(args: argparse.Namespace) -> None:
    board = optional_import("tunecore_optuna.dashboard", "optuna")
    board.serve(args.project_dir, host=args.host, port=args.port, project_name=project_name(args))


# the parser ------------------------------------------------------------------


def _count(text: str) -> int:
    """An argument that counts something: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give 0 or more")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port; give 0 to 65535 (0: any free port)")
    return value


class _Version(argparse.Action):
    """``--version``: the core's version, then each installed plugin distribution's, one a line.

    Read from the distributions' metadata: no plugin is imported, so a broken one
    cannot hide the versions a bug report needs."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        plugins = {
            (ep.dist.name, ep.dist.version)
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.dist is not None
        }
        print("\n".join([f"tunecore {__version__}", *(f"{name} {version}" for name, version in sorted(plugins))]))
        parser.exit()


def build_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tunecore", description=description)
    parser.add_argument("--version", action=_Version,
                        help="show the versions of tunecore and of its installed plugins, and exit")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("plugins", help="list installed plugins and what they register").set_defaults(run=plugins)

    show = commands.add_parser(
        "summary", help="show the best trials of a project (on a parent folder: the projects in it)",
        description="Show the best trials of a project, as Keras Tuner's results_summary does. "
                    "On a folder that holds projects, list them.",
    )
    add_project_argument(show)
    show.add_argument("-n", "--num-trials", type=_count, default=10, help="how many trials (default: 10)")
    show.set_defaults(run=summary)

    listing = commands.add_parser(
        "list", help="list the projects under a folder, or in a database",
        description="List the projects under a folder, or in a database (a URL: sqlite:///runs.db, "
                    "postgresql://...): oracle, trial counts, objective and best score. "
                    "Exits with status 1 when one of them cannot be read.",
    )
    listing.add_argument("directory", nargs="?", default=".",
                         help="where to look: a folder (default: here) or a database URL")
    listing.add_argument("--depth", type=_count, default=LIST_DEPTH,
                         help=f"how many folder levels to search (default: {LIST_DEPTH})")
    listing.set_defaults(run=list_projects)

    table = commands.add_parser(
        "export", help="write a project's trials as a table (CSV, JSON or Parquet)",
        description="Write a project's trials as a table, one row per trial: id, status, score, "
                    "params_<name> for each hyperparameter, <metric>_best and <metric>_last for "
                    "each metric, start and end times, duration_s, attempts, tuner_id, message. "
                    "Needs pandas (pip install 'tunecore[pandas]'); Parquet also needs pyarrow "
                    "(pip install 'tunecore[parquet]'). The file is never inside a project folder.",
    )
    add_project_argument(table)
    table.add_argument("-f", "--format", choices=FORMATS, help="default: the output file's suffix, else csv")
    table.add_argument("-o", "--output", help="the file to write (default: standard output)")
    table.set_defaults(run=export)

    board = commands.add_parser(
        "dashboard", help="serve optuna-dashboard on a project, live while its search runs",
        description="Serve optuna-dashboard on a project, read-only: trials appear as the search "
                    "records them, without taking the project's lock. Needs tunecore-optuna "
                    "(pip install 'tunecore[optuna]').",
    )
    add_project_argument(board)
    board.add_argument("--port", type=_port, default=8080, help="default: 8080 (0: any free port)")
    board.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    board.set_defaults(run=dashboard)
    return parser
