"""Values describing articles and their pieces (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.ingest.clean import ArticleMeta


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

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


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
