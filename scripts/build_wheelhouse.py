"""Build a wheelhouse: a wheel and an sdist of each of tunecore's five distributions.

Usage::

    python scripts/build_wheelhouse.py [OUTDIR]      # default: dist/wheelhouse

then, anywhere: ``pip install --find-links OUTDIR 'tunecore[all,jax]'``. Each
distribution is built the way release tools build it (``python -m build``: the
sdist first, then the wheel from that sdist, in an isolated environment), so a
file the sdist forgets fails here rather than on a user's machine. Needs ``build``
(in the ``dev`` extra).
"""

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = [ROOT, *sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))]


def build(source: Path, outdir: Path) -> None:
    """Build ``source``'s sdist and, from it, its wheel into ``outdir``."""
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(outdir), str(source)], check=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default=ROOT / "dist" / "wheelhouse", type=Path)
    outdir = parser.parse_args(argv).outdir.resolve()
    for source in DISTRIBUTIONS:
        build(source, outdir)
    print(f"{len(DISTRIBUTIONS)} distributions in {outdir}:")
    for path in sorted(outdir.glob("tunecore*")):
        print(f"  {path.name}  {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
