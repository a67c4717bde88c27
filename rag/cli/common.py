"""What the command-line tools share: common flags, error → exit code, stderr progress."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from rag import RagError

EXIT_USAGE = 2  # usage or configuration; a runtime error is 1 (RagError.exit_code)


def add_location_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seeds", metavar="DIR", help="articles folder (env RAG_SEEDS_DIR; seeds/)"
    )
    parser.add_argument("--index", metavar="DIR", help="index folder (env RAG_INDEX_DIR; index/)")


BACKENDS = ("extractive", "openai", "openai-compatible", "local")


def add_backend_flags(
    parser: argparse.ArgumentParser,
    llm_help: str = "answer backend (env RAG_LLM; default extractive, which never leaves "
    "the machine)",
) -> None:
    parser.add_argument("--llm", choices=BACKENDS, help=llm_help)
    parser.add_argument("--model", help="model name for a generative backend")
    parser.add_argument("--base-url", help="endpoint for openai-compatible")
    parser.add_argument("--model-path", help="GGUF file for --llm local")


def backend_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the backend flags give (None: leave to the environment)."""
    return {
        "llm": args.llm,
        "model": args.model,
        "openai_base_url": args.base_url,
        "model_path": args.model_path,
    }


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
    """A tqdm bar per stage on stderr, created on its first call (small jobs stay quiet)."""
    state: dict[str, Any] = {}

    def update(done: int, total: int, stage: str) -> None:
        if state.get("stage") != stage:  # a new stage ("embedding", then "storing"): a new bar
            if "bar" in state:
                state.pop("bar").close()
            state["stage"] = stage
        if "bar" not in state:
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
