"""Retrieval latency as the index grows: 1k, 10k and 100k chunks.

Embedding 100k real chunks takes hours on two cores, so the large indexes are made
from a real BBC index: its chunks and vectors are reused, each copy with a small
perturbation (Gaussian noise σ=0.02 on the unit vector, renormalised; one word of
the text dropped, so BM25 sees distinct passages) and its own source name. They are
written through the real path (llama-index nodes → Chroma, the BM25 sidecar) and
queried through the real ``Retriever``.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.retrieve import Retriever
from rag.config import Settings
from rag.embed import MiniLM
from rag.index import store
from rag.index.nodes import chunk_to_node, node_to_chunk

NOISE = 0.02


def base_records(generation: store.Generation) -> tuple[list[Any], np.ndarray]:
    """The chunks and vectors of a built generation."""
    from llama_index.core.schema import TextNode

    got = store.all_records(
        store.open_collection(generation.path), ("embeddings", "documents", "metadatas")
    )
    chunks = [
        node_to_chunk(TextNode(id_=i, text=t, metadata=dict(m)))
        for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    ]
    return chunks, np.asarray(got["embeddings"], dtype=np.float32)


def build_scaled(
    target: Path, chunks: Sequence[Any], vectors: np.ndarray, size: int, seed: int = 0
) -> store.Generation:
    """A generation of ``size`` chunks made from perturbed copies of ``chunks``."""
    from llama_index.retrievers.bm25 import BM25Retriever

    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    target.mkdir(parents=True)
    collection = store.open_collection(target, create=True)
    writer = store.vector_store(collection)
    nodes = []
    for i in range(size):
        base = i % len(chunks)
        copy = i // len(chunks)
        chunk = chunks[base]
        if copy:
            words = chunk.text.split(" ")
            del words[pick.randrange(len(words))]
            chunk = replace(
                chunk,
                id=f"{chunk.id}-{copy}",
                source=f"copy{copy}/{chunk.source}",
                text=" ".join(words),
                embed_text=" ".join(words),
            )
        node = chunk_to_node(chunk, embed_title=False)
        vector = vectors[base] + (rng.normal(0, NOISE, vectors.shape[1]) if copy else 0)
        node.embedding = (vector / np.linalg.norm(vector)).tolist()
        nodes.append(node)
    for first in range(0, len(nodes), 4000):  # under chroma's max batch size
        writer.add(nodes[first : first + 4000])
    bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=20, language="english")
    (target / "bm25").mkdir()
    bm25.persist(str(target / "bm25"), show_progress=False)
    store.write_leads(
        target,
        [n.metadata["source"] for n in nodes],
        [n.metadata["char_start"] for n in nodes],
        [n.embedding for n in nodes],
    )
    manifest = {"chunk_count": size, "scaled_from": len(chunks), "noise": NOISE}
    (target / store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return store.Generation(target, manifest)


def latency(
    generation: store.Generation,
    embedder: MiniLM,
    queries: Sequence[str],
    settings: Settings,
    warmup: int = 20,
) -> dict[str, Any]:
    """p50/p95 of hybrid retrieval with the query embedding, and without it."""
    retriever = Retriever(generation, embedder)
    vectors = embedder.encode(list(queries))
    for q, v in zip(queries[:warmup], vectors[:warmup], strict=False):
        retriever.retrieve(q, settings.k, settings.candidates, settings.rrf_k, vector=v)
    with_embed, without = [], []
    cpu = time.process_time()
    for q, v in zip(queries, vectors, strict=True):
        started = time.perf_counter()
        retriever.retrieve(q, settings.k, settings.candidates, settings.rrf_k, vector=v)
        without.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        retriever.retrieve(q, settings.k, settings.candidates, settings.rrf_k)
        with_embed.append((time.perf_counter() - started) * 1000)
    return {
        "chunks": int(generation.manifest["chunk_count"]),
        "queries": len(queries),
        "without_embedding_ms": _percentiles(without),
        "with_embedding_ms": _percentiles(with_embed),
        "cpu_s": round(time.process_time() - cpu, 2),
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[max(0, int(0.95 * len(ordered)) - 1)], 2),
        "min": round(ordered[0], 2),
    }
