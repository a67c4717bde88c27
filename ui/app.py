"""The browser chat: ``build_app(settings)`` makes the ASGI app, ``main()`` serves it.

A FastAPI app carries our own route, ``/source/<document id>`` (the article, its
cited lines marked), and the Gradio Blocks mounted at ``/``. The article route takes
an id from the index, never a path, so nothing outside the indexed articles can be
reached through it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import rag  # noqa: F401  (offline switches before gradio is imported)
from rag import (
    Chat,
    Checking,
    Delta,
    Engine,
    IndexNotFoundError,
    RagError,
    Scope,
    Session,
    Settings,
    load_settings,
    open_engine,
)
from rag.cli.common import add_backend_flags, backend_overrides
from rag.ingest.uploads import ALLOWED_UPLOADS
from rag.pages import HEADERS, source_page
from ui.render import (
    CSS,
    chat_markdown,
    checking_markdown,
    evidence_html,
    export_markdown,
    streaming_markdown,
)

EXAMPLES = [
    "Does Microsoft own shares in Mistral?",
    "How much did Microsoft invest in OpenAI in 2019?",
    "Who is the CEO of Mistral?",
]


def build_app(settings: Settings, engine: Engine | None = None) -> Any:
    """``engine``: one already open on the index (start-up opens it once, not twice)."""
    import gradio as gr
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import HTMLResponse

    chat = Chat(settings, engine)
    with gr.Blocks(title="Ask the articles") as demo:
        gr.Markdown(
            "## Ask the articles\nAnswers come only from the indexed news articles; "
            "every sentence links to the lines it quotes."
        )
        gr.Markdown(f"**Backend:** {chat.backend_label()}", elem_id="backend")
        session = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                view = _conversation_view()
            with gr.Column(scale=2):
                gr.Markdown("### Evidence")
                evidence = gr.HTML(
                    "<div class='evidence'>Sources of the latest answer appear here.</div>",
                    elem_id="evidence",
                )
        for trigger in (view["box"].submit, view["send"].click):
            trigger(
                _responder(chat),
                [view[k] for k in ("box", "chat")] + [session]
                + [view[k] for k in ("articles", "outlets", "since", "until")],
                [view["chat"], evidence, session, view["download"], view["box"]],
                api_visibility="private",
            ).then(_export, session, view["download"], api_visibility="private")
        if settings.ui_uploads:
            _upload_box(chat)
        demo.load(
            _scope_choices(chat), None, [view["articles"], view["outlets"]],
            api_visibility="private",
        )
        ask_api = _api(chat)
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

    app.get("/source/{doc_id}", response_class=HTMLResponse)(_source_route(chat))
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


def _conversation_view() -> dict[str, Any]:
    """The chat, the question box, its buttons and the scope controls."""
    import gradio as gr

    view: dict[str, Any] = {}
    view["chat"] = gr.Chatbot(
        label="Conversation",
        height=480,
        elem_id="chat",
        sanitize_html=True,
        feedback_options=None,
        buttons=["copy"],
    )
    view["box"] = gr.Textbox(
        placeholder="Ask about the articles…", show_label=False, elem_id="question", max_lines=3
    )
    with gr.Row():
        view["send"] = gr.Button("Ask", variant="primary", elem_id="ask")
        view["download"] = gr.DownloadButton("Export as Markdown", elem_id="export")
    gr.Examples(EXAMPLES, inputs=view["box"])
    with gr.Accordion("Limit to some articles", open=False, elem_id="scope"):
        view["articles"] = gr.Dropdown(
            choices=[], multiselect=True, label="Articles", elem_id="scope-articles"
        )
        view["outlets"] = gr.Dropdown(
            choices=[], multiselect=True, label="Outlets", elem_id="scope-outlets"
        )
        with gr.Row():
            view["since"] = gr.Textbox(
                label="Published since", placeholder="YYYY-MM-DD", elem_id="since"
            )
            view["until"] = gr.Textbox(
                label="Published until", placeholder="YYYY-MM-DD", elem_id="until"
            )
        gr.Markdown(
            "<small>An article without a publication date is outside every date range.</small>"
        )
    return view


def _responder(chat: Chat) -> Any:
    import gradio as gr

    def respond(
        message: str,
        history: list[dict],
        session: Session | None,
        articles: list[str] | None = None,
        outlets: list[str] | None = None,
        since: str | None = "",
        until: str | None = "",
    ) -> Any:
        session = session or Session()
        message = (message or "").strip()
        if not message:
            yield history, gr.skip(), session, gr.skip(), gr.skip()
            return
        history = [
            *history,
            {"role": "user", "content": message},
            {"role": "assistant", "content": "…"},
        ]
        # The box is emptied as the question is taken, not when the answer is done: a
        # next question typed meanwhile is not wiped.
        yield history, gr.skip(), session, gr.skip(), ""
        streamed = ""
        try:
            # Untouched controls may arrive as None rather than "" or [].
            scope = Scope.from_args(
                articles or None,
                outlets or None,
                (since or "").strip() or None,
                (until or "").strip() or None,
            )
            for item in chat.turn(message, session, scope=scope):
                if isinstance(item, Delta):
                    streamed += item.text
                    history[-1] = {"role": "assistant", "content": streaming_markdown(streamed)}
                    yield history, gr.skip(), session, gr.skip(), gr.skip()
                    continue
                if isinstance(item, Checking):
                    content = checking_markdown(streamed, item.text)
                    history[-1] = {"role": "assistant", "content": content}
                    yield history, gr.skip(), session, gr.skip(), gr.skip()
                    continue
                documents = item.engine.documents()
                ids = {source: row["id"] for source, row in documents.items()}
                content = chat_markdown(item.answer, ids, item.asked_as)
                history[-1] = {"role": "assistant", "content": content}
                evidence = evidence_html(item.answer, documents)
                yield history, evidence, session, gr.skip(), gr.skip()
        except RagError as err:
            history[-1] = {"role": "assistant", "content": f"*Error: {err.message}*"}
            yield history, gr.skip(), session, gr.skip(), gr.skip()

    return respond


def _export(session: Session | None) -> str | None:
    if not session or not session.turns:
        return None
    folder = Path(tempfile.mkdtemp(prefix="rag-export-"))
    path = folder / "conversation.md"
    path.write_text(export_markdown(session.turns), encoding="utf-8")
    return str(path)


def _api(chat: Chat) -> Any:
    import gradio as gr

    def ask_api(question: str, request: gr.Request) -> dict:
        """One question, one JSON answer (the CLI's --json shape)."""
        # One API session (a gradio_client Client) is one conversation for the limit.
        key = request.session_hash or getattr(request.client, "host", None) or "unknown"
        try:
            return chat.ask(question, key=f"api:{key}").answer.to_dict()
        except RagError as err:
            # An expected refusal (limit, bad input), not a fault: no traceback in the log.
            raise gr.Error(err.message, print_exception=False) from None

    return ask_api


def _upload_box(chat: Chat) -> None:
    import gradio as gr

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
            return chat.add_articles(list(paths), report)
        except RagError as err:
            return f"**Not added:** {err.message}"

    add.click(on_add, files, added, api_visibility="private")


def _scope_choices(chat: Chat) -> Any:
    import gradio as gr

    def choices() -> tuple[Any, Any]:
        # At each page load: articles added since start-up are offered too.
        documents = chat.engine().documents()
        named = sorted(
            ((row.get("meta") or {}).get("title") or source, source)
            for source, row in documents.items()
        )
        found = {(row.get("meta") or {}).get("outlet") for row in documents.values()}
        return gr.update(choices=[(f"{t} — {s}" if t != s else s, s) for t, s in named]), (
            gr.update(choices=sorted(o for o in found if o))
        )

    return choices


def _source_route(chat: Chat) -> Any:
    from fastapi import HTTPException, Query
    from fastapi.responses import HTMLResponse

    def source(
        doc_id: str, start: int | None = Query(None, ge=1), end: int | None = Query(None, ge=1)
    ) -> HTMLResponse:
        row = chat.engine().document_by_id(doc_id)
        if row is None:
            raise HTTPException(status_code=404, detail="no such article")
        return HTMLResponse(
            source_page(row, start, end if end is not None else start), headers=HEADERS
        )

    return source


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

        app = build_app(settings, _first_index(settings))
    except RagError as err:
        print(f"python -m ui: error: {err.message}", file=sys.stderr)
        return err.exit_code
    import uvicorn

    print(f"Serving the chat on http://{settings.ui_host}:{settings.ui_port}", file=sys.stderr)
    uvicorn.run(app, host=settings.ui_host, port=settings.ui_port, log_level="warning")
    return 0


def _first_index(settings: Settings) -> Engine:
    """The engine, building the index on first run and saying so (it takes a minute)."""
    try:
        return open_engine(settings, build=False)
    except IndexNotFoundError:
        print(f"python -m ui: no index yet; indexing {settings.seeds_dir} first", file=sys.stderr)
        return open_engine(settings)
