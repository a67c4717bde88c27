"""``python -m rag.ingest``: build or update the index from the seeds folder."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from rag import build_index, load_settings
from rag.cli.common import add_location_flags, progress_bar, run
from rag.embed import MiniLM

if TYPE_CHECKING:
    from rag import IngestReport

PROG = "python -m rag.ingest"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    add_location_flags(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--rebuild", action="store_true", help="re-embed every file into a new generation"
    )
    args = parser.parse_args(argv)

    def body() -> int:
        settings = load_settings(seeds_dir=args.seeds, index_dir=args.index)

        embedder = MiniLM(settings.embed_batch_size, bulk=True)
        report = build_index(
            settings, embedder=embedder, progress=progress_bar(), rebuild=args.rebuild
        )
        if args.json:
            print(json.dumps(report.to_dict(), indent=1))
        else:
            print(describe(report), file=sys.stderr)
        return 0

    return run(body, PROG)


def describe(report: IngestReport) -> str:
    if report.published:
        head = (
            f"indexed {report.files_indexed} files, {report.chunks} passages (embedded "
            f"{len(report.files_embedded)} files / {report.chunks_embedded} passages, reused "
            f"{len(report.files_reused)}, removed {len(report.files_removed)}) in "
            f"{report.seconds:.1f}s -> {report.generation}"
        )
    else:
        head = f"index up to date: {report.files_indexed} files, {report.chunks} passages"
    return "\n".join([head] + [f"  skipped {s}: {why}" for s, why in report.skipped])

