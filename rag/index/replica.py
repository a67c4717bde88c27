"""This process's copy of a generation published on a Chroma server.

BM25 and the lead vectors are in-process indexes, and the articles' texts are read for
the source view; none of them can be shared as files between replicas on different
machines. So each replica rebuilds them from the server (the passages of
``chunks-<gen>``, the articles of ``docs-<gen>``) into ``index/<gen>/`` when it first
opens a generation, and reuses that copy afterwards. The copy is made in a scratch
folder and renamed into place, so two processes sharing ``index/`` never see half of one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

from rag.errors import IndexNotFoundError
from rag.index import remote, store
from rag.index.sidecars import write_documents, write_search_sidecars

KEEP = 2  # local copies kept: the current one and the one in-flight questions may use
PARTS = ("bm25", f"{store.LEADS}.npy", f"{store.LEADS}.json", "documents.jsonl", store.MANIFEST)


def open_current(
    index_dir: Path, url: str, expected_fingerprint: str | None, local_copy: bool
) -> store.Generation:
    found = remote.current(url)
    if found is None:
        raise IndexNotFoundError(
            f"no index on the Chroma server at {url}; build it with: python -m rag.ingest "
            "(with the same RAG_CHROMA_URL)"
        )
    name, manifest = found
    store.check_compatible(manifest, expected_fingerprint)
    path = index_dir / name
    if local_copy and not complete(path):
        copy_generation(index_dir, url, name, manifest)
        _prune(index_dir, name)
    return store.Generation(path, manifest, chroma_url=url)


def complete(path: Path) -> bool:
    return all((path / part).exists() for part in PARTS)


def copy_generation(index_dir: Path, url: str, name: str, manifest: dict) -> Path:
    """Rebuild BM25, leads and articles of generation ``name`` from the server."""
    final = index_dir / name
    scratch = index_dir / f"{name}.copy-{secrets.token_hex(3)}"
    scratch.mkdir(parents=True)
    try:
        collection = remote.collection(url, name)
        embed_title = bool(manifest.get("shape", {}).get("embed_title", False))
        write_search_sidecars(scratch, collection, embed_title)
        write_documents(scratch, remote.get_documents(url, name))
        (scratch / store.MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            os.rename(scratch, final)
        except OSError:
            if not complete(final):  # neither another process's copy: a real failure
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return final


def _prune(index_dir: Path, current: str) -> None:
    copies = sorted(p for p in index_dir.glob("g-*") if p.is_dir() and "." not in p.name)
    for path in [p for p in copies if p.name != current][: max(0, len(copies) - KEEP)]:
        shutil.rmtree(path, ignore_errors=True)
