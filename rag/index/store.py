"""The index on disk: generations, the CURRENT pointer, the writer lock, and Chroma.

The only module that imports chromadb. Layout::

    index/
      CURRENT                  name of the published generation (swapped atomically)
      .lock                    the writer lock (one ingest at a time)
      g-<time>-<rand>/         one generation
        chroma/                Chroma persistent store (collection "chunks")
        bm25/                  the persisted BM25 index
        documents.jsonl        every indexed article: text, line labels, metadata
        manifest.json          fingerprint, chromadb version, per-file hashes, counts
      g-...building/           a generation being built (never served)

Two Chroma writers at once silently corrupt stored embeddings, so every write
happens under the lock, and readers only ever open a published generation.

These functions are the embedded store; rag/index/backend.py puts them and a Chroma
server (rag/index/remote.py, rag/index/replica.py) behind one ``Store``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexIncompatibleError, IndexLockedError, IndexNotFoundError

COLLECTION = "chunks"
MANIFEST = "manifest.json"
CURRENT = "CURRENT"
FORMAT = 2  # 2: leads.npy / leads.json beside the collection
LEADS = "leads"


def chromadb_version() -> str:
    return version("chromadb")


# -- the writer lock ----------------------------------------------------------


def writer_lock(index_dir: Path) -> Any:
    """Hold this while writing; a second writer fails at once. ``.release()`` when done."""
    from filelock import FileLock, Timeout

    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / ".lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise IndexLockedError(
            f"another ingest is writing to {index_dir} right now; wait for it to finish "
            "and run the command again"
        ) from None
    return lock


# -- generations --------------------------------------------------------------


@dataclass(frozen=True)
class Generation:
    path: Path
    manifest: dict[str, Any]
    chroma_url: str | None = None  # vectors on this Chroma server, not under path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def fingerprint(self) -> str:
        return str(self.manifest["fingerprint"])


def current_name(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def read_manifest(path: Path) -> dict[str, Any]:
    return json.loads((path / MANIFEST).read_text(encoding="utf-8"))


def open_current(index_dir: Path, expected_fingerprint: str | None = None) -> Generation:
    """The published generation, refusing one this code must not read."""
    name = current_name(index_dir)
    if name is None or not (index_dir / name / MANIFEST).is_file():
        raise IndexNotFoundError(f"no index in {index_dir}; build it with: python -m rag.ingest")
    generation = Generation(index_dir / name, read_manifest(index_dir / name))
    check_compatible(generation.manifest, expected_fingerprint)
    return generation


def check_compatible(manifest: dict[str, Any], expected_fingerprint: str | None) -> None:
    fix = "rebuild it with: python -m rag.ingest"
    if manifest.get("format") != FORMAT:
        raise IndexIncompatibleError(f"the index has an unknown layout; {fix}")
    if manifest.get("chromadb_version") != chromadb_version():
        raise IndexIncompatibleError(
            f"the index was written by chromadb {manifest.get('chromadb_version')} and this "
            f"is chromadb {chromadb_version()}; {fix}"
        )
    if expected_fingerprint and manifest.get("fingerprint") != expected_fingerprint:
        raise IndexIncompatibleError(
            "the index was built with other embedding/chunking settings "
            f"({manifest.get('fingerprint')} ≠ {expected_fingerprint}); {fix}"
        )


def new_generation_dir(index_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = index_dir / f"g-{stamp}-{secrets.token_hex(3)}.building"
    path.mkdir(parents=True)
    return path


def publish(index_dir: Path, building: Path) -> Path:
    """Rename the finished generation and point CURRENT at it, atomically."""
    final = finish(building)
    point_current(index_dir, final.name)
    return final


def finish(building: Path) -> Path:
    """Rename a finished generation to its published name (CURRENT not yet moved)."""
    final = building.with_name(building.name.removesuffix(".building"))
    os.replace(building, final)
    return final


def point_current(index_dir: Path, name: str) -> None:
    """Point CURRENT at generation ``name``, atomically."""
    tmp = index_dir / f"{CURRENT}.tmp"
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_leftovers(index_dir: Path, keep: int = 1, current: str | None = None) -> list[str]:
    """Remove unfinished generations and all but ``keep`` older published ones
    (``current``: the published one, where CURRENT here is not the authority).

    Call only under the writer lock. Readers that still hold an old generation
    open keep working on Linux until they close it.
    """
    removed: list[str] = []
    current = current or current_name(index_dir)
    published = sorted(
        (p for p in index_dir.glob("g-*") if p.is_dir() and not p.name.endswith(".building")),
        key=lambda p: p.name,
    )
    older = [p for p in published if p.name != current]
    for path in list(index_dir.glob("g-*.building")) + older[: max(0, len(older) - keep)]:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


# -- Chroma ---------------------------------------------------------------------


def open_collection(generation_path: Path, create: bool = False) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(generation_path / "chroma"),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )
    return collection_in(client, COLLECTION, create)


def collection_in(client: Any, name: str, create: bool) -> Any:
    if create:
        # embedding_function=None: chroma's default one downloads a model from S3.
        return client.create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
    return client.get_collection(name, embedding_function=None)


def vector_store(collection: Any) -> Any:
    """llama-index's view of a Chroma collection."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    return ChromaVectorStore(chroma_collection=collection)


def nearest(
    collection: Any, vector: Any, k: int, sources: frozenset[str] | None = None
) -> tuple[list[str], list[float]]:
    """The ``k`` closest records: ids and cosine similarities, nothing else.

    llama-index's ``ChromaVectorStore.query`` always fetches every hit's document and
    metadata (the whole serialised node): 4 of its 8 ms at 10k chunks here. The caller
    already holds every passage in memory (the BM25 corpus), so ids are enough."""
    where = {"source": {"$in": sorted(sources)}} if sources is not None else None
    got = collection.query(
        query_embeddings=[list(map(float, vector))],
        n_results=k,
        where=where,
        include=["distances"],
    )
    ids, distances = got["ids"][0], got["distances"][0]
    return list(ids), [1.0 - float(d) for d in distances]  # cosine space: d = 1 - cos


def records_by_id(collection: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Metadata (the serialised node) of some records, by id."""
    got = collection.get(ids=ids, include=["metadatas"])
    return {i: dict(m) for i, m in zip(got["ids"], got["metadatas"], strict=True)}


def records_where(collection: Any, where: dict[str, Any]) -> dict[str, Any]:
    """The records matching ``where``, whole (ids, embeddings, documents, metadatas), to
    carry into a new generation unchanged (no re-embedding)."""
    got = collection.get(where=where, include=["embeddings", "documents", "metadatas"])
    return {key: list(got[key]) for key in ("ids", "embeddings", "documents", "metadatas")}


#: Records fetched per call: one get() of a whole large collection fails inside
#: chromadb's sqlite ("too many SQL variables", seen at 100k records).
PAGE = 5000


def all_records(
    collection: Any, include: tuple[str, ...] = ("documents", "metadatas")
) -> dict[str, Any]:
    """Every record, fetched in pages; keys "ids" and each of ``include``."""
    out: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
    offset = 0
    while True:
        got = collection.get(include=list(include), limit=PAGE, offset=offset)
        if not got["ids"]:
            return out
        out["ids"].extend(got["ids"])
        for key in include:
            out[key].extend(list(got[key]))
        offset += len(got["ids"])


# -- leads ----------------------------------------------------------------------
# A news article puts its story in its first paragraph. The vector of each article's
# first chunk is kept beside the collection so retrieval can ask, cheaply and in
# memory, which articles are about the question's story (rag/answer/retrieve.py).


def write_leads(
    generation_path: Path, sources: Sequence[str], starts: Sequence[int], vectors: Any
) -> int:
    """Keep the vector of each article's first passage: ``sources[i]``'s passage starting
    at character ``starts[i]`` has vector ``vectors[i]``."""
    first: dict[str, tuple[int, int]] = {}  # source → (char_start, row)
    for row, (source, start) in enumerate(zip(sources, starts, strict=True)):
        if source not in first or start < first[source][0]:
            first[source] = (start, row)
    names = sorted(first)
    dimension = len(vectors[0]) if len(vectors) else 0
    matrix = np.zeros((len(names), dimension), dtype=np.float32)
    for i, source in enumerate(names):
        matrix[i] = vectors[first[source][1]]
    np.save(generation_path / f"{LEADS}.npy", matrix)
    (generation_path / f"{LEADS}.json").write_text(json.dumps(names), encoding="utf-8")
    return len(names)


def read_leads(generation_path: Path) -> tuple[list[str], Any]:
    sources = json.loads((generation_path / f"{LEADS}.json").read_text(encoding="utf-8"))
    return sources, np.load(generation_path / f"{LEADS}.npy")
