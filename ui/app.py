"""The browser chat: ``build_app(settings)`` makes the ASGI app, ``main()`` serves it.

A FastAPI app carries our own route, ``/source/<document id>`` (the article, its
cited lines marked), and the Gradio Blocks mounted at ``/``. The article route takes
an id from the index, never a path, so nothing outside the indexed articles can be
reached through it.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rag  # noqa: F401  (offline switches before gradio is imported)
from rag.answer.engine import Conversation
from rag.answer.live import LiveEngine
from rag.answer.llm import make_generator
from rag.answer.scope import Scope
from rag.cli.ask import open_engine
from rag.cli.common import add_backend_flags, backend_overrides
from rag.config import Settings, load_settings
from rag.errors import LLMError, RagError, RateLimitedError
from rag.ingest.build import build_index
from rag.model import Answer
from rag.text.followup import rewrite_followup
from ui.limits import RateLimiter
from ui.render import (
    CSS,
    chat_markdown,
    evidence_html,
    export_markdown,
    source_page,
    streaming_markdown,
)

log = logging.getLogger("rag.ui")
EXAMPLES = [
    "Does Microsoft own shares in Mistral?",
    "How much did Microsoft invest in OpenAI in 2019?",
    "Who is the CEO of Mistral?",
]


@dataclass
class ChatSession:
    """One browser tab's conversation: its turns and its source numbers."""

    conversation: Conversation = field(default_factory=Conversation)
    turns: list[tuple[str, Answer]] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def interpret(self, question: str) -> str:
        if not self.turns:
            return question
        previous_question, previous = self.turns[-1]
        return rewrite_followup(question, previous_question, [c.quote for c in previous.citations])


class ChatService:
    """What the page calls: answer a turn (streaming if the backend can), export."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.live = LiveEngine(settings)
        self.limiter = RateLimiter(settings.ui_rate_limit, 60.0)
        self.generator: Any = None
        self.generator_error: str | None = None
        if settings.llm != "extractive":
            try:
                self.generator = make_generator(settings)
            except RagError as err:
                self.generator_error = err.message

    def backend_label(self) -> str:
        if self.generator is not None:
            return f"{self.settings.llm} (model: {self.settings.model or 'as the server says'})"
        if self.generator_error:
            return (
                f"extractive (the {self.settings.llm} backend is not usable: "
                f"{self.generator_error})"
            )
        return "extractive (quotes sentences from the articles; nothing is generated)"

    def turn(
        self,
        question: str,
        session: ChatSession,
        key: str | None = None,
        scope: Scope | None = None,
    ) -> Any:
        """Yield ("delta", text) while a model streams, then ("answer", Answer, asked_as).

        ``key``: whose rate limit this turn counts against (default: the session);
        ``scope``: only some articles (rag/answer/scope.py)."""
        wait = self.limiter.allow(key or session.id)
        if wait is not None:  # checked first: a refused question costs no retrieval, no model
            raise RateLimitedError(
                f"too many questions: the limit is {self.limiter.limit} a minute; "
                f"try again in {math.ceil(wait)} s"
            )
        engine = self.live.get()  # this turn stays on this generation to the end
        asked = session.interpret(question)
        retrieval = engine.retrieve(asked, scope=scope)
        answer: Answer | None = None
        if self.generator is not None:
            # Number sources on a copy: a failed turn must not use up numbers.
            trial = Conversation(dict(session.conversation.numbers))
            try:
                for item in self.generator.stream(asked, retrieval.passages, trial):
                    if isinstance(item, str):
                        yield ("delta", item)
                    else:
                        answer = item
                session.conversation = trial
            except LLMError as err:
                answer = engine.ask(asked, conversation=session.conversation, retrieval=retrieval)
                answer.notices.insert(
                    0,
                    f"the {self.settings.llm} backend failed ({err.message}); "
                    "this is the extractive answer instead",
                )
        if answer is None:  # the passages above serve the extractive answer too
            answer = engine.ask(asked, conversation=session.conversation, retrieval=retrieval)
        else:  # a model's answer (or its fallback): say what the scope left out, once
            answer.notices.extend(n for n in retrieval.notices if n not in answer.notices)
        answer.question = question
        session.turns.append((question, answer))
        yield ("answer", answer, asked if asked != question else None, engine)


ALLOWED_UPLOADS = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


def add_articles(settings: Settings, paths: list[str], progress: Any = None) -> str:
    """Copy uploaded files into the seeds folder and re-index (only what is new).

    Names are reduced to a safe base name and never overwrite an existing article.
    """
    import re
    import shutil

    added: list[str] = []
    refused: list[str] = []
    settings.seeds_dir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        original = Path(path).name
        suffix = Path(original).suffix.lower()
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(original).stem).strip("._") or "article"
        if suffix not in ALLOWED_UPLOADS:
            refused.append(f"{original}: only {', '.join(sorted(ALLOWED_UPLOADS))} files")
            continue
        target = settings.seeds_dir / f"{stem[:80]}{suffix}"
        number = 1
        while target.exists():
            number += 1
            target = settings.seeds_dir / f"{stem[:80]}-{number}{suffix}"
        shutil.copyfile(path, target)
        added.append(target.name)
    lines = [f"Refused {r}" for r in refused]
    if added:
        report = build_index(settings, progress=progress)
        skipped = {source: why for source, why in report.skipped}
        for name in added:
            lines.append(f"Skipped {name}: {skipped[name]}" if name in skipped else f"Added {name}")
        lines.append(
            f"Index: {report.files_indexed} articles, {report.chunks} passages "
            f"({report.chunks_embedded} newly embedded)."
        )
    return "\n\n".join(lines) or "Nothing to add."


def build_app(settings: Settings) -> Any:
    import gradio as gr
    from fastapi import FastAPI, HTTPException, Query
    from fastapi.responses import HTMLResponse

    service = ChatService(settings)

    def respond(
        message: str,
        history: list[dict],
        session: ChatSession | None,
        articles: list[str] | None = None,
        outlets: list[str] | None = None,
        since: str | None = "",
        until: str | None = "",
    ):
        session = session or ChatSession()
        message = (message or "").strip()
        if not message:
            yield history, gr.skip(), session, gr.skip()
            return
        history = [
            *history,
            {"role": "user", "content": message},
            {"role": "assistant", "content": "…"},
        ]
        yield history, gr.skip(), session, gr.skip()
        streamed = ""
        try:
            # Untouched controls may arrive as None rather than "" or [].
            scope = Scope.from_args(
                articles or None,
                outlets or None,
                (since or "").strip() or None,
                (until or "").strip() or None,
            )
            for item in service.turn(message, session, scope=scope):
                if item[0] == "delta":
                    streamed += item[1]
                    history[-1] = {"role": "assistant", "content": streaming_markdown(streamed)}
                    yield history, gr.skip(), session, gr.skip()
                else:
                    _, answer, asked_as, engine = item
                    documents = engine.documents()
                    ids = {source: row["id"] for source, row in documents.items()}
                    history[-1] = {
                        "role": "assistant",
                        "content": chat_markdown(answer, ids, asked_as),
                    }
                    yield history, evidence_html(answer, documents), session, gr.skip()
        except RagError as err:
            history[-1] = {"role": "assistant", "content": f"*Error: {err.message}*"}
            yield history, gr.skip(), session, gr.skip()

    def export(session: ChatSession | None) -> str | None:
        if not session or not session.turns:
            return None
        folder = Path(tempfile.mkdtemp(prefix="rag-export-"))
        path = folder / "conversation.md"
        path.write_text(export_markdown(session.turns), encoding="utf-8")
        return str(path)

    def ask_api(question: str, request: gr.Request) -> dict:
        """One question, one JSON answer (the CLI's --json shape)."""
        session = ChatSession()
        answer = None
        # One API session (a gradio_client Client) is one conversation for the limit.
        key = request.session_hash or getattr(request.client, "host", None) or "unknown"
        try:
            for item in service.turn(question, session, key=f"api:{key}"):
                if item[0] == "answer":
                    answer = item[1]
        except RagError as err:
            # An expected refusal (limit, bad input), not a fault: no traceback in the log.
            raise gr.Error(err.message, print_exception=False) from None
        assert answer is not None
        return answer.to_dict()

    with gr.Blocks(title="Ask the articles") as demo:
        gr.Markdown(
            "## Ask the articles\nAnswers come only from the indexed news articles; "
            "every sentence links to the lines it quotes."
        )
        gr.Markdown(f"**Backend:** {service.backend_label()}", elem_id="backend")
        session = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="Conversation",
                    height=480,
                    elem_id="chat",
                    sanitize_html=True,
                    feedback_options=None,
                    buttons=["copy"],
                )
                box = gr.Textbox(
                    placeholder="Ask about the articles…",
                    show_label=False,
                    elem_id="question",
                    max_lines=3,
                )
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    download = gr.DownloadButton("Export as Markdown", elem_id="export")
                gr.Examples(EXAMPLES, inputs=box)
                with gr.Accordion("Limit to some articles", open=False, elem_id="scope"):
                    articles = gr.Dropdown(
                        choices=[], multiselect=True, label="Articles", elem_id="scope-articles"
                    )
                    outlets = gr.Dropdown(
                        choices=[], multiselect=True, label="Outlets", elem_id="scope-outlets"
                    )
                    with gr.Row():
                        since = gr.Textbox(
                            label="Published since", placeholder="YYYY-MM-DD", elem_id="since"
                        )
                        until = gr.Textbox(
                            label="Published until", placeholder="YYYY-MM-DD", elem_id="until"
                        )
                    gr.Markdown(
                        "<small>An article without a publication date is outside every "
                        "date range.</small>"
                    )
            with gr.Column(scale=2):
                gr.Markdown("### Evidence")
                evidence = gr.HTML(
                    "<div class='evidence'>Sources of the latest answer appear here.</div>",
                    elem_id="evidence",
                )
        for trigger in (box.submit, send.click):
            trigger(
                respond,
                [box, chat, session, articles, outlets, since, until],
                [chat, evidence, session, download],
                api_visibility="private",
            ).then(lambda: "", None, box, api_visibility="private").then(
                export, session, download, api_visibility="private"
            )
        if settings.ui_uploads:
            with gr.Accordion("Add articles", open=False):
                files = gr.File(
                    label="Articles (.txt, .md, .html, .pdf)",
                    file_count="multiple",
                    file_types=sorted(ALLOWED_UPLOADS),
                    elem_id="upload",
                )
                add = gr.Button("Add to the index", elem_id="add")
                added = gr.Markdown(elem_id="added")

            # Gradio injects progress through this default: its documented pattern.
            def on_add(paths: list[str] | None, progress: Any = gr.Progress()) -> str:  # noqa: B008
                if not paths:
                    return "Choose files first."

                def report(done: int, total: int, stage: str) -> None:
                    progress(done / max(total, 1), desc=f"{stage} {done}/{total}")

                try:
                    return add_articles(settings, list(paths), report)
                except RagError as err:
                    return f"**Not added:** {err.message}"

            add.click(on_add, files, added, api_visibility="private")

        def scope_choices() -> tuple[Any, Any]:
            # At each page load: articles added since start-up are offered too.
            documents = service.live.get().documents()
            named = sorted(
                ((row.get("meta") or {}).get("title") or source, source)
                for source, row in documents.items()
            )
            found = {(row.get("meta") or {}).get("outlet") for row in documents.values()}
            return gr.update(choices=[(f"{t} — {s}" if t != s else s, s) for t, s in named]), (
                gr.update(choices=sorted(o for o in found if o))
            )

        demo.load(scope_choices, None, [articles, outlets], api_visibility="private")
        # Real objects, not the strings `from __future__ import annotations` leaves:
        # gr.api reads them to build the endpoint and to inject the request.
        ask_api.__annotations__ = {"question": str, "request": gr.Request, "return": dict}
        gr.api(ask_api, api_name="ask")

    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/openapi.json", include_in_schema=False)
    @app.get("/docs", include_in_schema=False)
    def hidden() -> None:
        # Gradio's own app would describe every internal route; the API page is enough.
        raise HTTPException(status_code=404)

    @app.get("/source/{doc_id}", response_class=HTMLResponse)
    def source(
        doc_id: str, start: int | None = Query(None, ge=1), end: int | None = Query(None, ge=1)
    ) -> HTMLResponse:
        row = service.live.get().document_by_id(doc_id)
        if row is None:
            raise HTTPException(status_code=404, detail="no such article")
        return HTMLResponse(
            source_page(row, start, end if end is not None else start),
            headers={
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        css=CSS,
        show_error=False,
        max_file_size=settings.ui_max_upload,
        enable_monitoring=False,
        footer_links=[],
        allowed_paths=[],
        blocked_paths=[str(settings.index_dir.resolve()), str(Path(".env").resolve())],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui", description="Serve the chat.")
    parser.add_argument("--host", help="address (env RAG_UI_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env RAG_UI_PORT; default 7860)")
    parser.add_argument("--seeds", metavar="DIR")
    parser.add_argument("--index", metavar="DIR")
    add_backend_flags(parser)
    args = parser.parse_args(argv)
    try:
        settings = load_settings(
            ui_host=args.host,
            ui_port=args.port,
            seeds_dir=args.seeds,
            index_dir=args.index,
            **backend_overrides(args),
        )

        open_engine(settings)  # builds the index on first run
        app = build_app(settings)
    except RagError as err:
        print(f"python -m ui: error: {err.message}", file=sys.stderr)
        return err.exit_code
    import uvicorn

    print(f"Serving the chat on http://{settings.ui_host}:{settings.ui_port}", file=sys.stderr)
    uvicorn.run(app, host=settings.ui_host, port=settings.ui_port, log_level="warning")
    return 0
