"""What the API does for a request, in library terms: the conversation rebuilt from the
messages, one turn of ``rag.Chat``, the answer in the wire format. Nothing here knows
HTTP; rag/api/app.py does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rag.answer.cite import text_citation
from rag.answer.engine import Engine
from rag.api.guard import Guard
from rag.api.wire import (
    EXTRACTIVE_MODEL,
    ApiError,
    ChatRequest,
    background_reply,
    content,
    earlier_sources,
    rag_field,
)
from rag.chat import Delta, OnDemand, Reply, Session
from rag.config import Settings
from rag.model import Answer, Citation
from rag.text.spans import sentence_spans


@dataclass
class Result:
    text: str
    #: the top-level extras: ``citations`` (links in [n] order) and ``rag``
    extra: dict[str, Any]
    sentences: list[str]  # the text cut where it may be streamed


class ApiService:
    """One ``Chat`` for every client, opened when the first request needs it (an index
    built after the server started is found then)."""

    def __init__(self, settings: Settings, guard: Guard) -> None:
        self.settings = settings
        self.guard = guard
        self.chat = OnDemand(settings).get  # IndexNotFoundError until one is built

    def models(self) -> list[str]:
        """rag-extractive, and the generative backend the operator enabled, if usable."""
        names = [EXTRACTIVE_MODEL]
        if self.settings.llm != "extractive":
            names.append(f"rag-{self.settings.llm}")
        return names

    def check_model(self, model: str) -> None:
        if model not in self.models():
            raise ApiError(
                404,
                f"the model {model!r} does not exist here; GET /v1/models lists "
                f"{', '.join(self.models())}",
                "model_not_found",
            )

    def answer(self, request: ChatRequest, key: str, base_url: str) -> Result:
        result = None
        for item in self.stream(request, key, base_url):
            if isinstance(item, Result):
                result = item
        assert result is not None  # stream always ends with one
        return result

    def stream(self, request: ChatRequest, key: str, base_url: str) -> Iterator[str | Result]:
        """A model's text as it is written (unchecked), then the checked ``Result``."""
        if request.background_task:
            first = request.history[0][0] if request.history else request.question
            text = background_reply(request.question, first)
            yield Result(text, {"citations": [], "rag": None}, [text])
            return
        chat = self.chat()
        engine = chat.engine()
        session = self.resume(request.history, engine)
        generate = request.model != EXTRACTIVE_MODEL
        reply = None
        for item in chat.turn(request.question, session, key=key, generate=generate):
            if isinstance(item, Delta):
                yield item.text
            elif isinstance(item, Reply):  # a Checking is for people watching a chat
                reply = item
        assert reply is not None  # turn always ends with one
        links = {n: self._link(base_url, engine, c) for n, c in self._numbered(session).items()}
        for c in reply.answer.citations:
            links[c.n] = self._link(base_url, engine, c)
        text = content(reply.answer, lambda c: links[c.n])
        ordered = [links.get(n, "") for n in range(1, max(links, default=0) + 1)]
        extra = {"citations": ordered, "rag": rag_field(reply.answer, reply.asked_as)}
        yield Result(text, extra, _pieces(text, len(reply.answer.text)))

    def resume(self, history: list[tuple[str, str]], engine: Engine) -> Session:
        """The conversation so far, from the client's messages: each earlier reply's
        Sources list gives back its numbers, so they stay the same in this answer."""
        session = Session()
        for question, reply in history:
            citations = []
            for n, query in sorted(earlier_sources(reply).items()):
                row = engine.document_by_id(query.get("id", ""))
                start, _, end = query.get("chars", "").partition("-")
                if row is None or not (start.isdigit() and end.isdigit()):
                    continue  # an article no longer indexed: its number stays taken
                begin, stop = int(start), min(int(end), len(row["text"]))
                session.conversation.numbers[(row["source"], begin, stop)] = n
                citations.append(
                    text_citation(row["source"], row["text"], begin, stop, n, row["meta"])
                )
            refused = not citations
            answer = Answer(question, reply, refused, "history", citations, [], None)
            session.turns.append((question, answer))
        return session

    def _numbered(self, session: Session) -> dict[int, Citation]:
        return {c.n: c for _, answer in session.turns for c in answer.citations}

    def _link(self, base_url: str, engine: Engine, citation: Citation) -> str:
        row = engine.documents().get(citation.source)
        doc_id = row["id"] if row else "unknown"
        chars = f"{citation.char_start}-{citation.char_end}"
        sig = self.guard.sign(doc_id, citation.line_start, citation.line_end, chars)
        return (
            f"{base_url}/v1/sources/{doc_id}?start={citation.line_start}"
            f"&end={citation.line_end}&chars={chars}&sig={sig}#L{citation.line_start}"
        )


_MARKERS_AFTER = re.compile(r"(?:\s*\[\d{1,3}\])+")


def _pieces(text: str, answer_length: int) -> list[str]:
    """The message cut after each sentence of the answer, then its notes and sources,
    so a stream carries one checked sentence at a time; joined, the whole text."""
    ends = []
    for _, end in sentence_spans(text, 0, answer_length):
        markers = _MARKERS_AFTER.match(text, end)  # a sentence travels with its [n]
        ends.append(markers.end() if markers else end)
    pieces, last = [], 0
    for end in ends:
        if end > last:
            pieces.append(text[last:end])
            last = end
    if last < len(text):
        pieces.append(text[last:])
    return pieces
