"""Cut a cleaned document into passages sized in the embedder's own tokens.

Passages are runs of whole sentences (titles, headings and captions count as
one unit each) that never cross dropped text such as a headline list, so a
passage's line span covers only article text. Every passage's embedded text
fits the model's window: MiniLM silently truncates past 256 tokens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from rag.embed import MAX_TOKENS
from rag.model import Chunk, Document
from rag.text.spans import LineIndex, sentence_spans

CHUNKER_VERSION = "chunk-2"  # 2: chunk ids include the file name
CONTENT_LABELS = {"title", "body", "aside"}


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int  # without [CLS]/[SEP]
    answerable: bool


def _regions(doc: Document) -> list[list[int]]:
    """Runs of content lines (1-based), blank lines allowed inside a run."""
    regions: list[list[int]] = []
    current: list[int] = []
    for number, label in enumerate(doc.labels, start=1):
        if label in CONTENT_LABELS:
            current.append(number)
        elif label != "blank" and current:
            regions.append(current)
            current = []
    if current:
        regions.append(current)
    return regions


def _units(doc: Document, lines: list[int], index: LineIndex, count: Callable) -> list[_Unit]:
    spans: list[tuple[int, int, bool]] = []
    for number in lines:
        start, end = index.span(number)
        end = len(doc.text) if end == -1 else end
        if doc.labels[number - 1] == "body":
            spans.extend((s, e, True) for s, e in sentence_spans(doc.text, start, end))
        elif doc.labels[number - 1] != "blank" and doc.text[start:end].strip():
            s, e = _trimmed(doc.text, start, end)
            spans.append((s, e, False))  # a heading or caption: context, never quoted
    tokens = count([doc.text[s:e] for s, e, _ in spans]) if spans else []
    return [_Unit(s, e, n - 2, a) for (s, e, a), n in zip(spans, tokens, strict=True)]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())


def _split_long(doc: Document, unit: _Unit, budget: int, count: Callable) -> list[_Unit]:
    """Word windows for a sentence longer than a whole passage (rare)."""
    pieces: list[_Unit] = []
    text = doc.text
    words: list[tuple[int, int]] = []
    pos = unit.start
    for token in text[unit.start : unit.end].split():
        begin = text.index(token, pos)
        words.append((begin, begin + len(token)))
        pos = begin + len(token)
    first = 0
    while first < len(words):
        last = first
        while last + 1 < len(words):
            probe = text[words[first][0] : words[last + 1][1]]
            if count([probe])[0] - 2 > budget:
                break
            last += 1
        start, end = words[first][0], words[last][1]
        pieces.append(_Unit(start, end, count([text[start:end]])[0] - 2, unit.answerable))
        first = last + 1
    return pieces


def chunk_document(
    doc: Document,
    count_tokens: Callable[[list[str]], list[int]],
    chunk_tokens: int = 96,
    overlap_sentences: int = 1,
    embed_title: bool = False,
) -> list[Chunk]:
    """Passages of ``doc``; ``count_tokens`` gives the embedder's token counts."""
    index = LineIndex(doc.text)
    prefix = f"{doc.meta.title}\n" if embed_title and doc.meta.title else ""
    prefix_tokens = count_tokens([prefix])[0] - 2 if prefix else 0
    limit = min(chunk_tokens, MAX_TOKENS)
    budget = limit - 2 - prefix_tokens
    chunks: list[Chunk] = []
    for lines in _regions(doc):
        units: list[_Unit] = []
        for unit in _units(doc, lines, index, count_tokens):
            units.extend(
                _split_long(doc, unit, budget, count_tokens) if unit.tokens > budget else [unit]
            )
        first = 0
        while first < len(units):
            last, used = first, units[first].tokens
            while last + 1 < len(units) and used + units[last + 1].tokens <= budget:
                last += 1
                used += units[last].tokens
            chunk = _make_chunk(doc, units[first : last + 1], index, prefix)
            # Joined text can count a token or two more than its parts.
            while last > first and count_tokens([chunk.embed_text])[0] > limit:
                last -= 1
                chunk = _make_chunk(doc, units[first : last + 1], index, prefix)
            chunks.append(chunk)
            if last + 1 >= len(units):
                break
            # Step back for overlap, but always move forward.
            first = max(first + 1, last + 1 - overlap_sentences)
    return chunks


def _make_chunk(doc: Document, units: list[_Unit], index: LineIndex, prefix: str) -> Chunk:
    start, end = units[0].start, units[-1].end
    text = doc.text[start:end]
    # The file name is part of the id: two files with the same text (a copy, a re-post)
    # are two sources, and the store must keep both.
    digest = hashlib.sha256(f"{doc.source}\0{doc.sha256}:{start}:{end}".encode()).hexdigest()[:24]
    return Chunk(
        id=digest,
        source=doc.source,
        text=text,
        embed_text=prefix + text,
        char_start=start,
        char_end=end,
        line_start=index.line_of(start),
        line_end=index.line_of(end - 1),
        sentences=tuple((u.start - start, u.end - start) for u in units if u.answerable),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        file_sha256=doc.sha256,
        meta=doc.meta,
    )
