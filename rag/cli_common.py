"""What the command-line tools share: common flags, error → exit code, stderr progress."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from rag.errors import RagError

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2


def add_location_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seeds", metavar="DIR", help="articles folder (env RAG_SEEDS_DIR; seeds/)"
    )
    parser.add_argument("--index", metavar="DIR", help="index folder (env RAG_INDEX_DIR; index/)")


def run(body: Callable[[], int], prog: str) -> int:
    """Run a command body; typed errors become one line on stderr and an exit code."""
    try:
        return body()
    except RagError as err:
        print(f"{prog}: error: {err.message}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: not an error of ours.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def progress_bar() -> Callable[[int, int, str], None]:
    """A tqdm bar on stderr, created on the first call (so small jobs stay quiet)."""
    state: dict[str, Any] = {}

    def update(done: int, total: int, stage: str) -> None:
        if "bar" not in state:
            from tqdm import tqdm

            state["bar"] = tqdm(
                total=total,
                desc=stage,
                unit="chunk",
                file=sys.stderr,
                disable=None if sys.stderr.isatty() else total < 200,
                leave=False,
            )
        bar = state["bar"]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def use_color(stream: Any) -> bool:
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ
