"""The ``tunecore`` command: ``tunecore plugins`` and ``tunecore summary DIR``."""

import argparse
import sys

from tunecore.errors import TunecoreError
from tunecore.plugins import get_plugin_manager
from tunecore.project import load
from tunecore.tuners import summary


def _plugins(args):
    for name, version, provides in get_plugin_manager().list_plugins():
        what = "; ".join(f"{kind}s: {', '.join(names)}" for kind, names in provides.items())
        print(f"{name} {version}" + (f" — {what}" if what else ""))


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
