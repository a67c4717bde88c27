"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for protocol tests.

It speaks real HTTP and real server-sent events, so the openai SDK, our retry layer
and our deadlines all run for real; only the model's words are scripted.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rag.model import ArticleMeta, Chunk


@dataclass
class Step:
    """What the server does for one chat request."""

    reply: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to wait before answering
    cut_after: int | None = None  # close the stream after this many chunks
    seconds: float = 0.0  # spread the stream over this long (a model that takes time)


class FakeChatServer:
    def __init__(
        self,
        steps: list[Step] | None = None,
        model: str = "fake-model",
        default: Step | None = None,
        port: int = 0,
        route: Callable[[dict], Step | None] | None = None,
    ) -> None:
        """``port``: a fixed port (an endpoint that comes back where it was);
        ``route``: picks a step from the request body (None: the next scripted one)."""
        self.steps = list(steps or [])
        self.route = route
        self.default = default or Step(reply="")
        self.model = model
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []  # of each POST, as received
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    outer._json(
                        self,
                        200,
                        {
                            "object": "list",
                            "data": [{"id": outer.model, "object": "model", "owned_by": "test"}],
                        },
                    )
                else:
                    outer._json(self, 404, {"error": {"message": "no such route"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append(body)
                outer.headers.append(dict(self.headers.items()))
                step = outer.route(body) if outer.route else None
                if step is None:
                    step = outer.steps.pop(0) if outer.steps else outer.default
                if step.stall:
                    time.sleep(step.stall)
                if step.status != 200:
                    outer._json(
                        self,
                        step.status,
                        {"error": {"message": f"scripted {step.status}"}},
                        step.headers,
                    )
                    return
                outer._stream(self, step)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def _json(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _stream(self, handler: BaseHTTPRequestHandler, step: Step) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("connection", "close")
        handler.end_headers()
        words = step.reply.split(" ")
        pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        for i, piece in enumerate(pieces):
            if step.cut_after is not None and i >= step.cut_after:
                handler.wfile.flush()
                handler.close_connection = True
                handler.connection.shutdown(2)
                return
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": self.model,
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            handler.wfile.flush()
            if step.seconds:
                time.sleep(step.seconds / len(pieces))
        final = {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        handler.wfile.write(f"data: {json.dumps(final)}\n\n".encode())
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()


class Canary:
    """An HTTP listener on a loopback address that only counts who came knocking.

    Anything that reaches it is a leak: a fetched image, a followed link, a proxied URL."""

    def __init__(self, host: str = "127.0.0.3") -> None:
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _hit(self) -> None:
                outer.hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("content-type", "image/png")
                self.send_header("content-length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = _hit

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def source_number(prompt: str, phrase: str) -> int:
    """The number a prompt gave the source holding ``phrase`` (its "[n] text" lines)."""
    for n, text in re.findall(r"^\[(\d+)\] (.*)$", prompt, re.M):
        if phrase in text:
            return int(n)
    raise AssertionError(f"no source holds {phrase!r}")


def article_chunk(text: str, spans: tuple[tuple[int, int], ...] = ()) -> Chunk:
    """One chunk holding a whole one-line article; ``spans``: its sentences (default:
    the whole text as one)."""
    return Chunk(
        id="c1",
        source="a.txt",
        text=text,
        embed_text=text,
        line_start=1,
        line_end=1,
        char_start=0,
        char_end=len(text),
        sentences=spans or ((0, len(text)),),
        content_hash="h",
        file_sha256="f",
        meta=ArticleMeta(),
    )
