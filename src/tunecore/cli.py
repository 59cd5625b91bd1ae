"""tunecore: look at the installed plugins and at the projects that searches left on disk.

Reading a project never changes it."""

import argparse
import importlib.metadata
import os
import sys
import warnings
from collections.abc import Sequence

from tunecore import __version__
from tunecore.errors import InvalidArgumentError, ProjectError, TunecoreError
from tunecore.optional import optional_import
from tunecore.plugins import ENTRY_POINT_GROUP, PluginWarning, get_plugin_manager
from tunecore.project import find_projects, load
from tunecore.storage.journal import JOURNAL
from tunecore.tuners import summary


def _plugins(args: argparse.Namespace) -> None:
    with warnings.catch_warnings():  # the listing below says the same, without a traceback
        warnings.simplefilter("ignore", PluginWarning)
        manager = get_plugin_manager()
    for name, version, provides in manager.list_plugins():
        what = [f"{kind}s: {', '.join(names)}" for kind, names in provides.items()]
        refused = [f"{r.kind} {r.name!r} (by {r.owner})" for r in manager.refused if r.plugin == name]
        if refused:
            what.append(f"refused, already registered: {', '.join(refused)}")
        print(f"{name} {version}" + (f" — {'; '.join(what)}" if what else ""))
    for broken in manager.broken:
        print(f"{broken.name} {broken.version} — BROKEN, skipped: entry point {broken.entry_point!r} "
              f"of {broken.distribution}: {broken.reason}")


def _summary(args: argparse.Namespace) -> None:
    if not os.path.isfile(os.path.join(args.project_dir, JOURNAL)):
        projects = find_projects(args.project_dir, _LIST_DEPTH)
        if projects:  # a parent folder: say what is inside rather than fail
            print(f"{args.project_dir} is not a project; it holds {len(projects)}:")
            print(_projects_table(args.project_dir, projects))
            print("Show one with: tunecore summary PROJECT")
            return
    print(summary.results_summary(load(args.project_dir), args.project_dir, args.num_trials))


# tunecore list ---------------------------------------------------------------

_LIST_DEPTH = 3


def _list(args: argparse.Namespace) -> None:
    projects = find_projects(args.directory, args.depth)
    if not projects:
        raise ProjectError(
            f"No tunecore project in {args.directory!r} or {args.depth} levels below it "
            f"(a project is a folder with a {JOURNAL})."
        )
    print(_projects_table(args.directory, projects))


def _projects_table(root: str, projects: list[str]) -> str:
    header = ("PROJECT", "ORACLE", "TRIALS", "COMPLETED", "FAILED", "RUNNING", "STOPPED", "OBJECTIVE", "BEST")
    rows = [_project_row(root, path) for path in projects]
    widths = [max(len(row[i]) for row in [header, *rows] if i < len(row)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
        for row in [header, *rows]
    )


def _project_row(root: str, path: str) -> tuple[str, ...]:
    name = os.path.relpath(path, root)
    try:
        project = load(path)
    except TunecoreError as exc:
        return (name, f"unreadable: {str(exc).splitlines()[0]}")
    counts: dict[str, int] = {}
    for trial in project.trials.values():
        counts[trial.status] = counts.get(trial.status, 0) + 1
    best = project.get_best_trials(1)
    objective = project.objective
    return (
        name,
        (project.oracle or "?").rsplit(".", 1)[-1],
        str(len(project.trials)),
        *(str(counts.get(status, 0)) for status in ("COMPLETED", "FAILED", "RUNNING", "STOPPED")),
        f"{objective.name} ({objective.direction})",
        f"{best[0].score:.6g}" if best else "-",
    )


# tunecore export -------------------------------------------------------------

_FORMATS = ("csv", "json", "parquet")


def _export(args: argparse.Namespace) -> None:
    fmt = args.format or _format_of(args.output)
    if args.output:
        _check_output(args.output)
    frame = load(args.project_dir).trials_dataframe()
    try:
        if fmt == "parquet":
            if not args.output:
                raise InvalidArgumentError("Parquet is a binary format: name the file with -o FILE.parquet.")
            optional_import("pyarrow", "parquet")
            frame.to_parquet(args.output, index=False)
        elif fmt == "json":
            text = frame.to_json(orient="records", date_format="iso", indent=1)
            _write_text(text + "\n", args.output)
        else:
            _write_text(frame.to_csv(index=False), args.output)
    except OSError as exc:  # a full disk, no permission
        raise TunecoreError(f"Cannot write the table to {args.output or 'standard output'!r}: "
                            f"{exc.strerror or exc}.") from None
    if args.output:
        print(f"Wrote {len(frame)} trials to {args.output}", file=sys.stderr)


def _format_of(output: str | None) -> str:
    """The format an output file's suffix names; CSV by default."""
    suffix = os.path.splitext(output or "")[1].lower().lstrip(".")
    if suffix in _FORMATS:
        return suffix
    if suffix in ("pq", "parq"):
        return "parquet"
    return "csv"


def _check_output(output: str) -> None:
    """Refuse an output file that cannot be written, or that lies inside a project.

    Reading a project never writes to it, so a table is never written into a
    project folder (any project's, the one read included), whatever links lead
    there: the path is resolved first.
    """
    path = os.path.realpath(output)
    if os.path.isdir(path):
        raise InvalidArgumentError(f"Cannot write the table to {output!r}: it is a folder; name a file in it.")
    folder = parent = os.path.dirname(path)
    while True:
        if os.path.isfile(os.path.join(parent, JOURNAL)):
            raise InvalidArgumentError(
                f"Refusing to write the table to {output!r}: it is inside the project {parent!r}, "
                "and reading a project never writes to it. Write it outside the project."
            )
        if os.path.dirname(parent) == parent:
            break
        parent = os.path.dirname(parent)
    if not os.path.isdir(folder):
        raise InvalidArgumentError(
            f"Cannot write the table to {output!r}: its folder {os.path.dirname(output) or '.'!r} "
            "does not exist."
        )


def _write_text(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    else:
        sys.stdout.write(text)


# tunecore dashboard ----------------------------------------------------------


def _dashboard(args: argparse.Namespace) -> None:
    dashboard = optional_import("tunecore_optuna.dashboard", "optuna")
    dashboard.serve(args.project_dir, host=args.host, port=args.port)


def _add_dashboard(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    board = commands.add_parser(
        "dashboard", help="serve optuna-dashboard on a project, live while its search runs",
        description="Serve optuna-dashboard on a project, read-only: trials appear as the search "
                    "records them, without taking the project's lock. Needs tunecore-optuna "
                    "(pip install 'tunecore[optuna]').",
    )
    board.add_argument("project_dir", help="a project folder (directory/project_name)")
    board.add_argument("--port", type=int, default=8080, help="default: 8080 (0: any free port)")
    board.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    board.set_defaults(run=_dashboard)


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tunecore", description=__doc__)
    parser.add_argument("--version", action=_Version,
                        help="show the versions of tunecore and of its installed plugins, and exit")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("plugins", help="list installed plugins and what they register").set_defaults(run=_plugins)
    show = commands.add_parser(
        "summary", help="show the best trials of a project (on a parent folder: the projects in it)",
        description="Show the best trials of a project, as Keras Tuner's results_summary does. "
                    "On a folder that holds projects, list them.",
    )
    show.add_argument("project_dir", help="a project folder (directory/project_name)")
    show.add_argument("-n", "--num-trials", type=int, default=10, help="how many trials (default: 10)")
    show.set_defaults(run=_summary)
    listing = commands.add_parser(
        "list", help="list the projects under a folder",
        description="List the projects under a folder: oracle, trial counts, objective and best score.",
    )
    listing.add_argument("directory", nargs="?", default=".", help="where to look (default: here)")
    listing.add_argument("--depth", type=int, default=_LIST_DEPTH,
                         help=f"how many folder levels to search (default: {_LIST_DEPTH})")
    listing.set_defaults(run=_list)
    export = commands.add_parser(
        "export", help="write a project's trials as a table (CSV, JSON or Parquet)",
        description="Write a project's trials as a table, one row per trial: id, status, score, "
                    "params_<name> for each hyperparameter, <metric>_best and <metric>_last for "
                    "each metric, start and end times, duration_s, attempts, tuner_id, message. "
                    "Needs pandas (pip install 'tunecore[pandas]'); Parquet also needs pyarrow "
                    "(pip install 'tunecore[parquet]').",
    )
    export.add_argument("project_dir", help="a project folder (directory/project_name)")
    export.add_argument("-f", "--format", choices=_FORMATS,
                        help="default: the output file's suffix, else csv")
    export.add_argument("-o", "--output", help="the file to write (default: standard output)")
    export.set_defaults(run=_export)
    _add_dashboard(commands)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except TunecoreError as exc:
        print(f"tunecore: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an unwritable output, a full disk, an unreadable folder
        where = f": {exc.filename!r}" if exc.filename else ""
        print(f"tunecore: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
