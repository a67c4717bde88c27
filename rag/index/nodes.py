"""Chunk ⇄ llama-index node. The metadata keys here are the index's schema."""

from __future__ import annotations

import json
from typing import Any

from rag.model import ArticleMeta, Chunk

_META_KEYS = ("title", "outlet", "byline", "published")


def chunk_to_node(chunk: Chunk, embed_title: bool) -> Any:
    from llama_index.core.schema import TextNode

    metadata: dict[str, Any] = {
        "source": chunk.source,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "file_sha256": chunk.file_sha256,
        "content_hash": chunk.content_hash,
        "sentences": json.dumps(chunk.sentences),
    }
    for key in _META_KEYS:
        value = getattr(chunk.meta, key)
        if value:
            metadata[key] = value
    embedded = {"title"} if embed_title else set()
    node = TextNode(
        id_=chunk.id,
        text=chunk.text,
        metadata=metadata,
        excluded_embed_metadata_keys=[k for k in metadata if k not in embedded],
        excluded_llm_metadata_keys=list(metadata),
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}",
    )
    return node


def node_to_chunk(node: Any) -> Chunk:
    meta = node.metadata
    return Chunk(
        id=node.node_id,
        source=meta["source"],
        text=node.get_content(),
        embed_text=node.get_content(metadata_mode="embed"),
        char_start=int(meta["char_start"]),
        char_end=int(meta["char_end"]),
        line_start=int(meta["line_start"]),
        line_end=int(meta["line_end"]),
        sentences=tuple(tuple(pair) for pair in json.loads(meta.get("sentences") or "[]")),
        content_hash=meta.get("content_hash", ""),
        file_sha256=meta.get("file_sha256", ""),
        meta=ArticleMeta(**{k: (meta.get(k) or None) for k in _META_KEYS}),
    )
