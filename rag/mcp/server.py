"""The articles as MCP tools for agents, on the official ``mcp`` SDK (an extra).

Tools: ``search_articles`` (passages with file, lines and scores), ``ask`` (the cited
answer with each sentence's support label), ``get_source`` (lines of an article) and
``list_articles``. Each result is readable text plus structured content with a schema.
Errors come back as tool errors naming the fix; a missing index is reported, never
built (building is a writer's job: ``python -m rag.ingest``).
"""

# No ``from __future__ import annotations``: the SDK reads the tools' annotations
# (``Annotated[CallToolResult, …]``) as objects, and CallToolResult is imported where the
# tools are made.
from typing import Annotated, Any

from pydantic import BaseModel, Field

from rag.answer.cite import passage_dict
from rag.answer.engine import Engine
from rag.answer.scope import Scope
from rag.chat import OnDemand, Session
from rag.config import Settings
from rag.errors import RagError
from rag.text.dates import parse_date

MAX_K = 20
MAX_LINES = 200


class Filters(BaseModel):
    """Which articles a tool looks at (all when omitted)."""

    sources: list[str] | None = Field(None, description="file names or globs, e.g. '00*'")
    outlets: list[str] | None = Field(None, description="outlet names (part of a name matches)")
    since: str | None = Field(None, description="published on or after, YYYY-MM-DD")
    until: str | None = Field(None, description="published on or before, YYYY-MM-DD")


class PassageOut(BaseModel):
    source: str
    title: str | None
    outlet: str | None
    published: str | None
    line_start: int
    line_end: int
    text: str
    scores: dict[str, float | None]


class SearchOut(BaseModel):
    query: str
    passages: list[PassageOut]
    notices: list[str]


class CitationOut(BaseModel):
    n: int
    source: str
    line_start: int
    line_end: int
    quote: str
    title: str | None
    outlet: str | None
    support: dict[str, Any] | None
    confidence: float | None = Field(
        None, description="the reader's calibrated probability that this sentence answers"
    )


class SentenceOut(BaseModel):
    text: str
    label: str
    score: float | None
    citations: list[int]
    confidence: float | None = None


class AnswerOut(BaseModel):
    question: str
    answer: str
    refused: bool
    confidence: float | None = Field(
        None,
        description="calibrated probability that the answer is right (for a refusal: that "
        "the articles did answer); null where the word rules decided",
    )
    backend: str
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    notices: list[str]


class SourceOut(BaseModel):
    source: str
    title: str | None
    line_start: int
    line_end: int
    lines: list[str]


class ArticleOut(BaseModel):
    source: str
    title: str | None
    outlet: str | None
    published: str | None


class ArticlesOut(BaseModel):
    articles: list[ArticleOut]


class Tools:
    """The tools' work in library terms; one ``Chat`` opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.chat = OnDemand(settings).get

    def engine(self) -> Engine:
        return self.chat().engine()

    def search(self, query: str, k: int, filters: Filters | None) -> SearchOut:
        k = max(1, min(int(k), MAX_K))
        retrieval = self.engine().retrieve(query, k, scope=_scope(filters))
        passages = [_passage(passage_dict(p)) for p in retrieval.passages]
        return SearchOut(query=query, passages=passages, notices=retrieval.notices)

    def ask(self, question: str, filters: Filters | None) -> AnswerOut:
        reply = self.chat().ask(question, Session(), key="mcp", scope=_scope(filters))
        answer = reply.answer
        return AnswerOut(
            question=question,
            answer=answer.text,
            refused=answer.refused,
            confidence=answer.confidence,
            backend=answer.backend,
            citations=[
                CitationOut(
                    n=c.n,
                    source=c.source,
                    line_start=c.line_start,
                    line_end=c.line_end,
                    quote=c.quote,
                    title=c.title,
                    outlet=c.outlet,
                    support=c.support,
                    confidence=c.confidence,
                )
                for c in answer.citations
            ],
            sentences=[_sentence(s) for s in answer.sentences],
            notices=list(answer.notices),
        )

    def source(self, source: str, line_start: int, line_end: int) -> SourceOut:
        row = self.engine().documents().get(source)
        if row is None:
            raise RagError(f"no article named {source!r} is indexed; list_articles names them")
        lines = row["text"].split("\n")
        first = max(1, int(line_start))
        last = min(len(lines), int(line_end), first + MAX_LINES - 1)
        if first > len(lines) or last < first:
            raise RagError(f"{source} has lines 1-{len(lines)}; asked {line_start}-{line_end}")
        meta = row.get("meta") or {}
        return SourceOut(
            source=source,
            title=meta.get("title"),
            line_start=first,
            line_end=last,
            lines=lines[first - 1 : last],
        )

    def articles(self, filters: Filters | None) -> ArticlesOut:
        documents = self.engine().documents()
        scope = _scope(filters)
        allowed = scope.allowed(documents)[0] if scope else frozenset(documents)
        found = []
        for source in sorted(allowed):
            meta = documents[source].get("meta") or {}
            day = parse_date(meta.get("published"))
            found.append(
                ArticleOut(
                    source=source,
                    title=meta.get("title"),
                    outlet=meta.get("outlet"),
                    published=day.isoformat() if day else None,
                )
            )
        return ArticlesOut(articles=found)


def _scope(filters: Filters | None) -> Scope | None:
    if filters is None:
        return None
    scope = Scope.from_args(filters.sources, filters.outlets, filters.since, filters.until)
    return None if scope.empty else scope


def _pick(row: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    return {name: row.get(name) for name in model.model_fields}


def _passage(row: dict[str, Any]) -> PassageOut:
    return PassageOut(**_pick(row, PassageOut))


def _sentence(row: dict[str, Any]) -> SentenceOut:
    score = row.get("score")
    return SentenceOut(
        text=str(row["text"]),
        label=str(row["label"]),
        score=float(score) if isinstance(score, int | float) else None,
        citations=[int(n) for n in row.get("citations") or []],
        confidence=float(sure) if isinstance(sure := row.get("confidence"), int | float) else None,
    )


def answer_text(out: AnswerOut) -> str:
    lines = [out.answer]
    if out.confidence is not None:
        lines.append(f"(confidence {out.confidence:.2f}, calibrated)")
    if out.citations:
        lines.append("\nSources:")
        lines += [
            f"[{c.n}] {c.source}:{c.line_start}-{c.line_end} “{c.quote}”" for c in out.citations
        ]
    lines += [f"\nNote: {n}" for n in out.notices]
    return "\n".join(lines)


def search_text(out: SearchOut) -> str:
    return (
        "\n\n".join(
            f"{i}. {p.source}:{p.line_start}-{p.line_end} ({p.title or 'untitled'})\n{p.text}"
            for i, p in enumerate(out.passages, start=1)
        )
        or "No passage found."
    )


def build_server(settings: Settings) -> Any:
    """The MCP server with its four tools (the ``mcp`` SDK is imported here only)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp_types import CallToolResult, TextContent

    tools = Tools(settings)
    server = MCPServer(
        "rag-news",
        instructions="Answers only from the indexed news articles, with the exact lines "
        "each claim comes from. Prefer `ask`; use `search_articles` and `get_source` to read.",
        log_level="WARNING",
    )

    def result(text: str, data: BaseModel) -> CallToolResult:
        return CallToolResult(
            content=[TextContent(type="text", text=text)],
            structured_content=data.model_dump(mode="json"),
        )

    def run(work: Any) -> Any:
        try:
            return work()
        except RagError as err:  # the message names the fix; no traceback
            raise ToolError(err.message) from None

    @server.tool()
    def search_articles(
        query: str, k: int = 5, filters: Filters | None = None
    ) -> Annotated[CallToolResult, SearchOut]:
        """Passages of the articles closest to ``query`` (hybrid search), with file, lines
        and scores; ``k`` at most 20."""
        out = run(lambda: tools.search(query, k, filters))
        return result(search_text(out), out)

    @server.tool()
    def ask(question: str, filters: Filters | None = None) -> Annotated[CallToolResult, AnswerOut]:
        """An answer made only of the articles' sentences, each with its citation and a
        support label; or "The articles don't say." when they don't."""
        out = run(lambda: tools.ask(question, filters))
        return result(answer_text(out), out)

    @server.tool()
    def get_source(
        source: str, line_start: int, line_end: int
    ) -> Annotated[CallToolResult, SourceOut]:
        """Lines ``line_start``..``line_end`` of an indexed article (at most 200)."""
        out = run(lambda: tools.source(source, line_start, line_end))
        numbered = [f"{out.line_start + i}: {line}" for i, line in enumerate(out.lines)]
        return result("\n".join(numbered), out)

    @server.tool()
    def list_articles(filters: Filters | None = None) -> Annotated[CallToolResult, ArticlesOut]:
        """The indexed articles: file, title, outlet, publication date."""
        out = run(lambda: tools.articles(filters))
        text = "\n".join(
            f"{a.source}  {a.published or '(no date)'}  {a.outlet or '-'}  {a.title or ''}"
            for a in out.articles
        )
        return result(text, out)

    return server
