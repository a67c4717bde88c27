"""Candidate sentences for each question of a part, as the product finds them.

A part's folder (rag/train/data.py) is ingested into its own index, each question
retrieved by the engine, and every sentence of the retrieved passages (with the
sentence before it where it points back) scored by the cheap signals of
rag/answer/extractive.py. Each candidate is labelled: it answers when the question is
answerable, the sentence is in a gold article and it holds a gold string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.answer.engine import Engine
from rag.config import load_settings
from rag.embed import MiniLM
from rag.ingest.build import build_index


def open_part(folder: Path, index: Path) -> Engine:
    """Ingest ``folder/articles`` into ``index`` (incremental) and open it."""
    settings = load_settings(seeds_dir=folder / "articles", index_dir=index)
    build_index(settings, embedder=MiniLM(settings.embed_batch_size, bulk=True))
    return Engine(settings)


def gold_rows(folder: Path) -> list[dict[str, Any]]:
    path = folder / "gold.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def label(row: dict[str, Any], source: str, text: str) -> bool:
    if not row["answerable"] or source not in row.get("sources", []):
        return False
    lowered = text.lower()
    return any(any(k.lower() in lowered for k in group) for group in row.get("keywords", []))


def candidates(engine: Engine, row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every scored sentence of the question's retrieval, with its signals and label."""
    retrieval = engine.retrieve(row["q"])
    answerer = engine.extractive
    lazy, answerer.lazy = answerer.lazy, False
    try:
        scored = answerer.score(row["q"], retrieval.query_vector, retrieval.passages)
    finally:
        answerer.lazy = lazy
    rank = {id(p): i for i, p in enumerate(retrieval.passages)}
    for s in scored:
        chunk = s.passage.chunk
        yield {
            "source": chunk.source,
            "start": chunk.char_start + s.start,
            "end": chunk.char_start + s.end,
            "text": s.text,
            "title": chunk.meta.title or "",
            "rank": rank[id(s.passage)],
            "dense": s.passage.dense or 0.0,
            "bm25": s.passage.bm25 or 0.0,
            "fused": s.passage.fused,
            "similarity": s.similarity,
            "coverage": s.coverage,
            "typed": s.typed,
            "entities": s.entities,
            "target_similarity": s.target_similarity,
            "label": label(row, chunk.source, s.text),
        }


def write_candidates(folder: Path, index: Path, out: Path) -> int:
    """One JSON line a question: the gold row and its candidates. Returns the count."""
    engine = open_part(folder, index)
    rows = gold_rows(folder)
    partial = out.with_suffix(".partial")  # a crash leaves no file that looks complete
    with partial.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {**row, "candidates": list(candidates(engine, row))}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    partial.replace(out)
    return len(rows)
