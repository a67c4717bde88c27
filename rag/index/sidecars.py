"""What a generation keeps beside its Chroma collection for search: the BM25 index, the
lead vectors, the same-story groups, and every article's text (documents.jsonl).

Written at ingest from the passages just embedded, and by a replica from a generation
on a Chroma server (rag/index/replica.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rag.index import store, stories
from rag.index.nodes import chunk_to_node, node_to_chunk
from rag.model import Chunk, Document


def records_to_chunks(records: dict[str, Any]) -> list[Chunk]:
    """Chunks from stored Chroma records (ids, documents, metadatas)."""
    from llama_index.core.schema import TextNode

    return [
        node_to_chunk(TextNode(id_=node_id, text=text, metadata=dict(metadata)))
        for node_id, text, metadata in zip(
            records["ids"], records["documents"], records["metadatas"], strict=True
        )
    ]


def write_search_sidecars(building: Path, collection: Any, embed_title: bool) -> int:
    """BM25, lead vectors and same-story groups, from the passages in ``collection``
    (a replica's copy of a generation on a Chroma server)."""
    records = store.all_records(collection, ("documents", "metadatas", "embeddings"))
    return write_sidecars_from(
        building, records_to_chunks(records), list(records["embeddings"]), embed_title
    )


def write_sidecars_from(
    building: Path, chunks: list[Chunk], vectors: list[Any], embed_title: bool
) -> int:
    """BM25, lead vectors and same-story groups for ``chunks`` (``vectors[i]`` is
    ``chunks[i]``'s)."""
    from llama_index.retrievers.bm25 import BM25Retriever

    nodes = [chunk_to_node(chunk, embed_title) for chunk in chunks]
    nodes.sort(key=lambda n: (n.metadata["source"], n.metadata["char_start"]))
    # similarity_top_k is set per query (rag/answer/retrieve.py); this is only its start value.
    bm25 = BM25Retriever.from_defaults(
        nodes=nodes, similarity_top_k=min(20, len(nodes)), language="english"
    )
    bm25_dir = building / "bm25"
    bm25_dir.mkdir()
    bm25.persist(str(bm25_dir), show_progress=False)
    store.write_leads(building, [c.source for c in chunks], [c.char_start for c in chunks], vectors)
    stories.write(building, stories.group(chunks))
    return len(nodes)


def document_row(doc: Document) -> dict[str, Any]:
    return {
        "source": doc.source,
        "sha256": doc.sha256,
        "kind": doc.kind,
        "meta": asdict(doc.meta),
        "labels": list(doc.labels),
        "text": doc.text,
    }


def write_documents(building: Path, rows: list[dict[str, Any]]) -> None:
    with (building / "documents.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
