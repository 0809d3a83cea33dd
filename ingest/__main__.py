"""``python -m ingest [--corpus DIR] [--data DIR] [--force]``: bring the index in line with the corpus."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from terms import Settings, TermsError, offline_environment

from .pipeline import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("--corpus", type=Path, help="folder of documents (default: corpus/)")
    parser.add_argument("--data", type=Path, help="data folder holding the Chroma index (default: data/)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the index is up to date")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    offline_environment()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    overrides = {k: v for k, v in (("corpus_dir", args.corpus), ("data_dir", args.data)) if v}
    settings = Settings(**overrides)
    try:
        report = run(settings, progress=not args.quiet, force=args.force)
    except TermsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
