"""``python -m rag.mcp``: the articles as MCP tools, over stdio (the default, for a
client that starts the server) or streamable HTTP on loopback (``--http --port N``).

In stdio mode stdout carries only the protocol: messages and errors go to stderr.
"""

from __future__ import annotations

import argparse
import sys

from rag import RagError, load_settings
from rag.cli.common import add_backend_flags, add_location_flags, backend_overrides
from rag.mcp.server import build_server

PROG = "python -m rag.mcp"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--http", action="store_true", help="streamable HTTP, not stdio")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    add_location_flags(parser)
    add_backend_flags(parser, "answer backend for the ask tool (env RAG_LLM)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(
            seeds_dir=args.seeds, index_dir=args.index, **backend_overrides(args)
        )
    except RagError as err:
        print(f"{PROG}: error: {err.message}", file=sys.stderr)
        return err.exit_code
    server = build_server(settings)
    if not args.http:
        server.run()
        return 0
    from mcp.server.transport_security import TransportSecuritySettings

    own = [f"127.0.0.1:{args.port}", f"localhost:{args.port}"]
    security = TransportSecuritySettings(  # DNS rebinding: only this server's names
        enable_dns_rebinding_protection=True,
        allowed_hosts=own,
        allowed_origins=[f"http://{host}" for host in own],
    )
    print(f"{PROG}: http://127.0.0.1:{args.port}/mcp", file=sys.stderr)
    server.run("streamable-http", host="127.0.0.1", port=args.port, transport_security=security)
    return 0


sys.exit(main())
