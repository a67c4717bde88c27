"""Build or update the index: discover, read, clean, chunk, embed, publish.

Incremental: a file whose sha256 is unchanged keeps its stored vectors (copied
into the new generation, never re-embedded); changed files are re-chunked and
re-embedded; deleted files simply are not carried over. Nothing changed →
no new generation at all. The new generation is published only when complete.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.embed import MiniLM, shared_minilm
from rag.errors import (
    IndexIncompatibleError,
    IndexNotFoundError,
    IndexVerifyError,
    IndexWriteError,
    NoArticlesError,
)
from rag.index import store
from rag.index.backend import Store, open_store
from rag.index.sidecars import (
    document_row,
    records_to_chunks,
    write_documents,
    write_sidecars_from,
)
from rag.ingest import verify, writer
from rag.ingest.chunk import chunk_document
from rag.ingest.fingerprint import fingerprint
from rag.ingest.loaders import SkipFile, discover, read_document
from rag.model import Chunk, Document

#: progress(done, total, stage) — the CLI draws a bar on stderr with it
Progress = Callable[[int, int, str], None]


@dataclass
class IngestReport:
    generation: str | None
    published: bool
    fingerprint: str
    files_indexed: int = 0
    files_embedded: list[str] = field(default_factory=list)
    files_reused: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    #: where the time went: read, chunk, embed, sidecars, store_wait (for the writer), verify (s)
    phases: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_index(
    settings: Settings,
    embedder: MiniLM | None = None,
    progress: Progress | None = None,
    rebuild: bool = False,
) -> IngestReport:
    """Bring ``settings.index_dir`` in line with ``settings.seeds_dir``.

    ``rebuild`` re-embeds every file into a new generation; the published one keeps
    answering until the new one replaces it.
    """
    started = time.perf_counter()
    seeds, index_dir = settings.seeds_dir, settings.index_dir
    if not seeds.is_dir():
        raise NoArticlesError(
            f"the seeds folder {seeds} does not exist; create it and put articles "
            "(.txt, .md, .html, .pdf) in it, or pass --seeds DIR"
        )
    embedder = embedder or shared_minilm(settings.embed_batch_size)
    fp = fingerprint(settings.shape())

    target = open_store(index_dir, settings.chroma_url)
    lock = target.writer_lock()
    try:
        target.clean_leftovers()
        documents, skipped = _read_all(seeds, settings.max_file_bytes)

        previous = None if rebuild else _previous(target, fp)
        old_files: dict[str, Any] = previous.manifest["files"] if previous else {}
        new_files = {d.source: d.sha256 for d in documents}
        report = IngestReport(generation=None, published=False, fingerprint=fp, skipped=skipped)
        report.files_removed = sorted(set(old_files) - set(new_files))
        if previous and {k: v["sha256"] for k, v in old_files.items()} == new_files:
            report.generation = previous.name
            report.files_indexed = len(documents)
            report.files_reused = sorted(new_files)
            report.chunks = int(previous.manifest["chunk_count"])
            report.seconds = time.perf_counter() - started
            return report

        phases = report.phases
        mark = time.perf_counter()
        phases["read"] = round(mark - started, 2)
        building = store.new_generation_dir(index_dir)
        old_collection = target.open_collection(previous.path) if previous else None
        files_manifest = _embed_and_store(
            building, documents, old_collection, old_files, report, embedder, settings, progress,
            target,
        )
        del old_collection
        mark = time.perf_counter()
        _write_manifest(building, fp, settings, report.chunks, files_manifest, skipped)
        try:
            target.put_documents(building, [document_row(d) for d in documents])
            verify.in_subprocess(building, chroma_url=target.url)
        except IndexVerifyError:
            target.discard(building)
            raise  # the published generation stays as it was
        mark = _phase(phases, "verify", mark)
        final = target.publish(building)
        target.clean_leftovers()
        report.generation = final.name
        report.published = True
        report.files_indexed = len(documents)
        report.seconds = time.perf_counter() - started
        return report
    finally:
        lock.release()


def _read_all(seeds: Path, max_bytes: int) -> tuple[list[Document], list[tuple[str, str]]]:
    """Every usable article in ``seeds``, and (file, why) for each file skipped."""
    candidates, skipped = discover(seeds)
    documents: list[Document] = []
    for candidate in candidates:
        try:
            documents.append(read_document(candidate, max_bytes))
        except SkipFile as why:
            skipped.append((candidate.source, str(why)))
    if not documents:
        detail = f" ({len(skipped)} files skipped)" if skipped else ""
        raise NoArticlesError(
            f"no usable articles in {seeds}{detail}; add .txt, .md, .html or .pdf files"
        )
    return documents, skipped


def _write_manifest(
    building: Path,
    fp: str,
    settings: Settings,
    chunks: int,
    files: dict[str, Any],
    skipped: list[tuple[str, str]],
) -> None:
    manifest = {
        "format": store.FORMAT,
        "fingerprint": fp,
        "shape": settings.shape(),
        "chromadb_version": store.chromadb_version(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "chunk_count": chunks,
        "files": files,
        "skipped": [list(s) for s in skipped],
    }
    (building / store.MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _writer(building: Path, settings: Settings, passages: int, target: Store) -> writer.Writer:
    if target.child_writer and passages >= settings.store_process_from:
        return writer.ChildWriter(building, settings.embed_title)
    return writer.ThreadWriter(
        lambda: target.open_collection(building, create=True), settings.embed_title
    )


def _embed_and_store(
    building: Path,
    documents: list[Document],
    old_collection: Any,
    old_files: dict[str, Any],
    report: IngestReport,
    embedder: MiniLM,
    settings: Settings,
    progress: Progress | None,
    target: Store,
) -> dict[str, Any]:
    """Chunk, embed and store what changed, reuse what did not, write the sidecars;
    fills ``report`` and returns the manifest's per-file entries."""
    phases = report.phases
    mark = time.perf_counter()
    files_manifest: dict[str, Any] = {}
    to_embed: list[tuple[Document, list[Chunk]]] = []
    reused: list[dict[str, Any]] = []  # records carried over unchanged
    for doc in documents:
        old = old_files.get(doc.source)
        if old_collection is not None and old and old["sha256"] == doc.sha256:
            where = {"$and": [{"source": doc.source}, {"file_sha256": doc.sha256}]}
            records = store.records_where(old_collection, where)
            if len(records["ids"]) == old["chunks"]:  # else: re-embed it whole
                reused.append(records)
                report.files_reused.append(doc.source)
                files_manifest[doc.source] = _file_entry(doc, old["chunks"])
                continue
        chunks = chunk_document(
            doc,
            embedder.count_tokens_batch,
            settings.chunk_tokens,
            settings.chunk_overlap_sentences,
            settings.embed_title,
        )
        to_embed.append((doc, chunks))
    mark = _phase(phases, "chunk", mark)

    # Embed across files, shortest first: batches of like lengths carry little padding
    # (the bare embedder's best case), and small files do not each pay a short batch.
    # Each slice goes to the writer as soon as it is embedded (rag/ingest/writer.py).
    pending = sorted(
        (chunk for _, chunks in to_embed for chunk in chunks),
        key=lambda chunk: len(chunk.embed_text),
    )
    # The sidecars (BM25, leads, stories) are built from these, not read back from Chroma.
    kept = [chunk for records in reused for chunk in records_to_chunks(records)]
    vectors = [vector for records in reused for vector in records["embeddings"]]
    sink = _writer(building, settings, len(pending) + len(kept), target)
    try:
        for records in reused:
            sink.send_records(records)
        step = max(settings.embed_batch_size * 32, 64)
        for first in range(0, len(pending), step):
            batch = pending[first : first + step]
            embedded = embedder.encode([c.embed_text for c in batch])
            sink.send_chunks(batch, embedded)
            vectors.extend(embedded)
            if progress:
                progress(min(first + step, len(pending)), len(pending), "embedding")
        mark = _phase(phases, "embed", mark)
        report.chunks = write_sidecars_from(building, kept + pending, vectors, settings.embed_title)
        write_documents(building, [document_row(doc) for doc in documents])
        mark = _phase(phases, "sidecars", mark)
        stored = sink.finish()
    except BaseException:
        sink.abort()
        raise
    _phase(phases, "store_wait", mark)
    if stored != report.chunks:
        raise IndexWriteError(f"the new index stored {stored} of {report.chunks} passages")
    for doc, chunks in to_embed:
        report.files_embedded.append(doc.source)
        files_manifest[doc.source] = _file_entry(doc, len(chunks))
        report.chunks_embedded += len(chunks)
    return files_manifest


def _phase(phases: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    phases[name] = round(now - since, 2)
    return now


def _previous(target: Store, fp: str) -> store.Generation | None:
    """The published generation, if its vectors may be reused."""
    try:
        return target.open_current(fp, local_copy=False)
    except (IndexNotFoundError, IndexIncompatibleError):
        return None  # nothing to reuse: build from scratch


def _file_entry(doc: Document, chunks: int) -> dict[str, Any]:
    return {
        "sha256": doc.sha256,
        "chunks": chunks,
        "kind": doc.kind,
        "title": doc.meta.title,
        "outlet": doc.meta.outlet,
    }
