"""``python -m rag.serve``: the OpenAI-compatible API (rag/api/) on uvicorn.

Loopback by default. Listening on any other address needs ``RAG_API_KEY``: without it
the command refuses to start, since anyone who can reach the port could read the articles.
"""

from __future__ import annotations

import argparse
import sys

from rag import RagError, load_settings
from rag.api.app import build_api
from rag.api.guard import is_loopback
from rag.cli.common import EXIT_USAGE, add_backend_flags, add_location_flags, backend_overrides

PROG = "python -m rag.serve"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve the articles as an OpenAI-compatible chat API with citations.",
    )
    parser.add_argument("--host", help="address (env RAG_API_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env RAG_API_PORT; default 8000)")
    add_location_flags(parser)
    add_backend_flags(parser, "a generative model to offer besides rag-extractive (env RAG_LLM)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(
            api_host=args.host,
            api_port=args.port,
            seeds_dir=args.seeds,
            index_dir=args.index,
            **backend_overrides(args),
        )
    except RagError as err:
        print(f"{PROG}: error: {err.message}", file=sys.stderr)
        return err.exit_code
    if not is_loopback(settings.api_host) and settings.api_key is None:
        print(
            f"{PROG}: error: refusing to listen on {settings.api_host} without an API key: "
            "set RAG_API_KEY (clients send it as a bearer token), or listen on 127.0.0.1",
            file=sys.stderr,
        )
        return EXIT_USAGE
    import uvicorn

    app = build_api(settings)
    print(
        f"{PROG}: http://{settings.api_host}:{settings.api_port}/v1 (models: GET /v1/models)",
        file=sys.stderr,
    )
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="warning")
    return 0
