"""The values the library passes around: articles, passages, citations, answers (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
#: The one sentence every backend gives when the articles do not answer.
REFUSAL = "The articles don't say."


@dataclass(frozen=True)
class ArticleMeta:
    title: str | None = None
    outlet: str | None = None
    byline: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class Document:
    """One article: the text every span refers to, its line labels and metadata.

    For .txt/.md the text is the file's text; for .html/.pdf it is the
    extracted text (spans are defined on that).
    """

    source: str  # path relative to the seeds folder, with forward slashes
    text: str
    labels: tuple[str, ...]
    meta: ArticleMeta
    sha256: str
    kind: str  # txt, md, html, pdf


@dataclass(frozen=True)
class Chunk:
    """A passage: a contiguous slice of a document's text."""

    id: str
    source: str
    text: str  # == document.text[char_start:char_end]
    embed_text: str
    char_start: int
    char_end: int
    line_start: int
    line_end: int
    #: sentences that may be quoted as answers: (start, end) relative to char_start
    sentences: tuple[tuple[int, int], ...]
    content_hash: str
    file_sha256: str
    meta: ArticleMeta = field(default_factory=ArticleMeta)


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    dense: float | None  # cosine similarity, when the dense retriever found it
    bm25: float | None  # BM25 score, when BM25 found it
    fused: float  # reciprocal-rank fusion score (the ranking used)
    #: passages of other articles saying the same thing, kept out of the k (rag/index/stories.py)
    also: tuple[Passage, ...] = ()
    story: int | None = None  # the article's story id from ingest (rag/index/stories.py)


@dataclass(frozen=True)
class Evidence:
    """A span of a retrieved passage given to a model as one numbered source: a
    sentence the decision ranked, or (``whole``) the whole passage."""

    passage: Passage
    start: int  # relative to the passage's chunk text
    end: int

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]

    @classmethod
    def whole(cls, passage: Passage) -> Evidence:
        return cls(passage, 0, len(passage.chunk.text))


@dataclass
class Retrieval:
    passages: list[Passage]
    query_vector: Any
    timings_ms: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # e.g. what a scope left out
    sources: frozenset[str] | None = None  # the articles a scope allowed (None: all)
    #: a compound question's parts (rag/text/question.py ``clauses``) → their query vectors
    parts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Checking:
    """Said between a model's streamed text and its checked answer when the checks take
    a while (the model is asked again): what the system is doing, for display only;
    the checked answer still comes last."""

    text: str


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    line_start: int
    line_end: int
    char_start: int
    char_end: int
    quote: str
    title: str | None
    outlet: str | None
    published: str | None
    scores: dict[str, float | None]
    support: dict[str, object] | None = None
    #: the reader's calibrated probability that this sentence answers (None: rules)
    confidence: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "source": self.source,
            "line_start": self.line_start,
            "line_end": self.line_end,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "quote": self.quote,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "scores": self.scores,
            "support": self.support,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    backend: str
    citations: list[Citation]
    passages: list[dict[str, object]]
    index_fingerprint: str | None
    timings_ms: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    model: str | None = None  # the generative model that answered, if any
    # per sentence: text (with its markers), label, score, citations, flags (rag/text/support.py)
    sentences: list[dict[str, object]] = field(default_factory=list)
    #: a model's sentences the checks removed: text and reason (shown struck out)
    dropped: list[dict[str, str]] = field(default_factory=list)
    # other articles reporting the same thing: kind same / differs / detail, with sides
    relations: list[dict[str, object]] = field(default_factory=list)
    #: calibrated probability that the answer is right (for a refusal: that the articles
    #: did answer); None where the word rules decided or a model wrote the answer
    confidence: float | None = None
    decided_by: str = "rules"  # "reader" (with its sha256 in reader) or "rules"
    reader: str | None = None  # the reader model's sha256

    def to_dict(self) -> dict[str, object]:
        return {
            "schema_version": SCHEMA_VERSION,
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "decided_by": self.decided_by,
            "reader": self.reader,
            "backend": self.backend,
            "model": self.model,
            "index_fingerprint": self.index_fingerprint,
            "citations": [c.to_dict() for c in self.citations],
            "sentences": self.sentences,
            "dropped": self.dropped,
            "relations": self.relations,
            "passages": self.passages,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "notices": self.notices,
        }
