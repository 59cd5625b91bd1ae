"""The ``tunecore`` command: ``tunecore plugins`` and ``tunecore summary DIR``."""

import argparse
import sys
import warnings

from tunecore.errors import TunecoreError
from tunecore.plugins import PluginWarning, get_plugin_manager
from tunecore.project import load
from tunecore.tuners import summary


def _plugins(args):
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


def _summary(args):
    print(summary.results_summary(load(args.project_dir), args.project_dir, args.num_trials))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tunecore", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("plugins", help="list installed plugins and what they register").set_defaults(run=_plugins)
    show = commands.add_parser("summary", help="show the best trials of a project directory (read-only)")
    show.add_argument("project_dir")
    show.add_argument("-n", "--num-trials", type=int, default=10)
    show.set_defaults(run=_summary)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except TunecoreError as exc:
        print(f"tunecore: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
