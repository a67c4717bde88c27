"""``build_api(settings)``: the OpenAI-compatible HTTP API as an ASGI app.

Routes: ``GET /v1/models``, ``POST /v1/chat/completions`` (streamed or not),
``GET /v1/sources/{id}`` (an article with its cited lines marked, by index id, never a
path). Every error is in OpenAI's shape, without a traceback.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations
# (``request: Request``) as objects, and Request is imported where the routes are made.
import json
import logging
from collections.abc import Iterator
from typing import Any

from rag.api.guard import Guard
from rag.api.service import ApiService, Result
from rag.api.wire import ApiError, chunk, completion, parse_request
from rag.config import Settings
from rag.errors import (
    ConfigError,
    IndexError_,
    IndexNotFoundError,
    RagError,
    RateLimitedError,
)
from rag.pages import HEADERS, source_page
from rag.text.inert import InertStream

log = logging.getLogger("rag.api")


def guard_for(settings: Settings) -> Guard:
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return Guard(
        settings.api_host,
        settings.api_port,
        key,
        [h.strip() for h in settings.api_hosts.split(",") if h.strip()],
        [o.strip() for o in settings.api_cors_origins.split(",") if o.strip()],
    )


def as_api_error(err: RagError) -> ApiError:
    """A library error as the HTTP answer a client can act on."""
    if isinstance(err, RateLimitedError):
        wait = max(1, round(err.retry_after + 0.5))
        return ApiError(
            429, err.message, "rate_limit_exceeded", "rate_limit_error", {"Retry-After": str(wait)}
        )
    if isinstance(err, IndexNotFoundError):
        return ApiError(503, err.message, "index_not_ready", "server_error", {"Retry-After": "30"})
    if isinstance(err, IndexError_):
        return ApiError(503, err.message, "index_unavailable", "server_error")
    if isinstance(err, ConfigError):
        return ApiError(400, err.message, "invalid_request")
    return ApiError(500, err.message, "rag_error", "server_error")


def build_api(settings: Settings) -> Any:
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware

    guard = guard_for(settings)
    service = ApiService(settings, guard)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    _gatekeeper(app, guard, settings.api_max_body)
    if guard.cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sorted(guard.cors),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        )
    _chat_routes(app, service, settings)
    _source_route(app, service, guard)
    return app


def _error(err: ApiError) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse(err.body(), status_code=err.status, headers=err.headers)


def _gatekeeper(app: Any, guard: Guard, max_body: int) -> None:
    """Host, Origin, key and size, checked before any route runs; faults become a 500
    in the error shape, logged here, never sent."""
    from fastapi import Request

    @app.middleware("http")
    async def gatekeeper(request: Request, call_next: Any) -> Any:
        refusal = _refusal(request, guard, max_body)
        if refusal is not None:
            return _error(refusal)
        try:
            return await call_next(request)
        except Exception:
            log.exception("request failed")
            return _error(
                ApiError(500, "the server failed; see its log", "server_error", "server_error")
            )

    @app.exception_handler(ApiError)
    async def api_error(_: Request, err: ApiError) -> Any:
        return _error(err)


def _refusal(request: Any, guard: Guard, max_body: int) -> ApiError | None:
    if not guard.host_ok(request.headers.get("host")):
        return ApiError(403, "this server does not answer to that Host", "bad_host")
    if not guard.origin_ok(request.headers.get("origin")):
        return ApiError(403, "requests from that Origin are refused", "bad_origin")
    preflight = request.method == "OPTIONS" and bool(guard.cors)
    signed = request.url.path.startswith("/v1/sources/")  # the route checks the link
    if not (preflight or signed or guard.key_ok(request.headers.get("authorization"))):
        return ApiError(
            401,
            "a valid API key is required (Authorization: Bearer …)",
            "invalid_api_key",
            "authentication_error",
        )
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > max_body:
        return _too_large(max_body)
    return None


def _chat_routes(app: Any, service: ApiService, settings: Settings) -> None:
    from fastapi import Request
    from fastapi.responses import StreamingResponse
    from starlette.concurrency import run_in_threadpool

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "rag"}
                for name in service.models()
            ],
        }

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Any:
        raw = await request.body()
        if len(raw) > settings.api_max_body:
            raise _too_large(settings.api_max_body)
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "the body is not valid JSON", "invalid_json") from None
        parsed = parse_request(body, settings.api_max_messages)
        service.check_model(parsed.model)
        client = parsed.user or (request.client.host if request.client else "unknown")
        base = str(request.base_url).rstrip("/")
        items = service.stream(parsed, f"api:{client}", base)
        try:
            # Up to the first piece before the status line: a refused question (rate
            # limit, no index) is an HTTP error, not a broken stream.
            first = await run_in_threadpool(next, items)
            result = first
            while not parsed.stream and not isinstance(result, Result):
                result = await run_in_threadpool(next, items)
        except RagError as err:
            raise as_api_error(err) from None
        if parsed.stream:  # a model's text goes out as it comes; a quote sentence by sentence
            return StreamingResponse(
                _events(first, items, parsed.model),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache"},
            )
        assert isinstance(result, Result)
        return completion(parsed.model, result.text, result.extra)


def _source_route(app: Any, service: ApiService, guard: Guard) -> None:
    from fastapi import Request
    from fastapi.responses import HTMLResponse

    @app.get("/v1/sources/{doc_id}", response_class=HTMLResponse)
    def source(
        request: Request,
        doc_id: str,
        start: int | None = None,
        end: int | None = None,
        chars: str = "",
        sig: str = "",
    ) -> Any:
        """The article with the cited lines marked: a signed link from an answer opens
        it without the key (a browser cannot send one)."""
        signed = start is not None and guard.signature_ok(doc_id, start, end or start, chars, sig)
        if not (signed or guard.key_ok(request.headers.get("authorization"))):
            raise ApiError(
                401,
                "this link's signature is not valid",
                "invalid_signature",
                "authentication_error",
            )
        try:
            row = service.chat().engine().document_by_id(doc_id)
        except RagError as err:
            raise as_api_error(err) from None
        if row is None:
            raise ApiError(404, "no such article in the index", "article_not_found")
        page = source_page(row, start, end if end is not None else start)
        return HTMLResponse(page, headers=HEADERS)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request is larger than {limit:,} bytes", "request_too_large")


def _events(first: str | Result, rest: Iterator[str | Result], model: str) -> Any:
    """Server-sent events: the role; a model's text as it is written; then the checked
    answer (one sentence at a time for a quote; after a model's text, under a rule
    saying it was checked); the final chunk with ``finish_reason``, ``citations`` and
    ``rag`` (the checked answer); then ``[DONE]``. Runs in a worker thread."""
    completion_id = completion(model, "", {})["id"]
    try:
        yield _sse(chunk(completion_id, model, {"role": "assistant", "content": ""}))
        item, streamed = first, False
        inert = InertStream()  # unchecked text: nothing in it may render as a link or image
        while not isinstance(item, Result):
            streamed = True
            yield _sse(chunk(completion_id, model, {"content": inert.feed(item)}))
            item = next(rest)
        pieces = [CHECKED + item.text] if streamed else item.sentences
        for piece in pieces:
            yield _sse(chunk(completion_id, model, {"content": piece}))
        final = chunk(completion_id, model, {}, "stop")
        final.update(item.extra)
        yield _sse(final)
    except Exception as err:  # mid-stream: the status line is gone, so say it in-band
        log.exception("stream failed")
        yield _sse(
            {
                "error": {
                    "message": f"the answer failed ({type(err).__name__})",
                    "type": "server_error",
                    "code": "stream_failed",
                    "param": None,
                }
            }
        )
    yield "data: [DONE]\n\n"


#: Between a model's unchecked text and the checked answer in a stream.
CHECKED = "\n\n---\n**Checked answer** (citations verified, unsupported text marked):\n\n"


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
