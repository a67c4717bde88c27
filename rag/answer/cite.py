"""Citations and answers as values, plus pure helpers for markers, spans and links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

from rag.model import REFUSAL, Answer, Chunk, Citation
from rag.text.markers import markers_in, strip_invalid_markers
from rag.text.spans import LineIndex, sentence_spans, words
from rag.text.support import annotate


def span_citation(
    chunk: Chunk, start: int, end: int, n: int, scores: dict[str, float | None]
) -> Citation:
    """A citation for ``chunk.text[start:end]`` (offsets relative to the chunk)."""
    index = LineIndex(chunk.text)
    return Citation(
        n=n,
        source=chunk.source,
        line_start=chunk.line_start + index.line_of(start) - 1,
        line_end=chunk.line_start + index.line_of(max(start, end - 1)) - 1,
        char_start=chunk.char_start + start,
        char_end=chunk.char_start + end,
        quote=chunk.text[start:end],
        title=chunk.meta.title,
        outlet=chunk.meta.outlet,
        published=chunk.meta.published,
        scores=scores,
    )


def text_citation(
    source: str, text: str, start: int, end: int, n: int, meta: dict[str, Any]
) -> Citation:
    """A citation for ``text[start:end]`` of a whole article that was not retrieved
    (a sentence another article's quote was matched to at ingest, rag/index/stories.py)."""
    index = LineIndex(text)
    return Citation(
        n=n,
        source=source,
        line_start=index.line_of(start),
        line_end=index.line_of(max(start, end - 1)),
        char_start=start,
        char_end=end,
        quote=text[start:end],
        title=meta.get("title"),
        outlet=meta.get("outlet"),
        published=meta.get("published"),
        scores={"dense": None, "bm25": None, "fused": None},
    )


def file_link(seeds_dir: Path, citation: Citation) -> tuple[str, str]:
    """(label, file:// URI) for a citation; the label is ``source:line[-line]``."""
    lines = (
        f"{citation.line_start}"
        if citation.line_start == citation.line_end
        else f"{citation.line_start}-{citation.line_end}"
    )
    label = f"{seeds_dir.as_posix().rstrip('/')}/{citation.source}:{lines}"
    path = (seeds_dir / citation.source).resolve()
    return label, "file://" + url_quote(path.as_posix()) + f"#L{citation.line_start}"


def osc8(label: str, uri: str) -> str:
    """A terminal hyperlink (OSC 8); terminals without support show the label."""
    return f"\x1b]8;;{uri}\x1b\\{label}\x1b]8;;\x1b\\"


def scores_of(passage: Any) -> dict[str, float | None]:
    """A retrieved passage's scores, rounded for output."""

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return {"dense": r(passage.dense), "bm25": r(passage.bm25), "fused": r(passage.fused)}


def passage_dict(passage: Any) -> dict[str, object]:
    chunk = passage.chunk
    return {
        "source": chunk.source,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "text": chunk.text,
        "title": chunk.meta.title,
        "scores": scores_of(passage),
        "story": getattr(passage, "story", None),  # grouped at ingest (rag/index/stories.py)
        # the same fact in other articles (rag/index/stories.py), not given a place of its own
        "also": [
            {
                "source": twin.chunk.source,
                "line_start": twin.chunk.line_start,
                "line_end": twin.chunk.line_end,
                "outlet": twin.chunk.meta.outlet,
            }
            for twin in getattr(passage, "also", ())
        ],
    }


_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]*)\)")
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,3}\])+)")
_REFUSAL_KEY = "articles don't say"


def _normal(text: str) -> str:
    return text.lower().replace("’", "'").replace("do not", "don't")


def finish_generated(
    question: str,
    raw: str,
    sources: dict[int, Any],
    backend: str,
    model: str | None = None,
    notices: list[str] | None = None,
) -> Answer:
    """Check a model's answer against the sources it was given.

    Markers pointing at no given source are removed; links and images are reduced
    to text; a sentence left without a citation is dropped (and said so in
    ``notices``). Each cited number becomes a citation narrowed to the sentence of
    its passage that shares most words with the sentences citing it.
    """
    notices = list(notices or [])
    passages = [passage_dict(p) for p in sources.values()]
    text = _LINK.sub(r"\1", _IMAGE.sub("", raw)).strip()
    text = _MARKERS_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    text = strip_invalid_markers(text, set(sources))
    # Spans of the flattened text, cut from that same text (cutting them from the
    # original, with its newlines, garbled every sentence after the first line break).
    flat = " ".join(text.split())
    sentences = [flat[s:e] for s, e in sentence_spans(flat)] if flat else []
    kept = [s for s in sentences if markers_in(s)]
    if len(kept) < len(sentences) and kept:
        notices.append(f"dropped {len(sentences) - len(kept)} sentence(s) without a citation")
    if not kept:
        if text and _REFUSAL_KEY not in _normal(text):
            notices.append("the model's answer cited none of the sources; shown as a refusal")
        return Answer(
            question, REFUSAL, True, backend, [], passages, None, notices=notices, model=model
        )

    citing: dict[int, list[str]] = {}
    for sentence in kept:
        for n in markers_in(sentence):
            citing.setdefault(n, []).append(sentence)
    citations = []
    for n in sorted(citing):
        passage = sources[n]
        chunk = passage.chunk
        asked = set(words(" ".join(citing[n])))
        best = max(
            chunk.sentences or [(0, len(chunk.text))],
            key=lambda span: len(asked & set(words(chunk.text[span[0] : span[1]]))),
        )
        citations.append(span_citation(chunk, best[0], best[1], n, scores_of(passage)))

    answer = Answer(
        question,
        " ".join(kept),
        False,
        backend,
        citations,
        passages,
        None,
        notices=notices,
        model=model,
    )
    return annotate(answer, {n: p.chunk.text for n, p in sources.items()})
