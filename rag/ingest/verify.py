"""Check a built generation before it is published, in a separate process.

A corrupt HNSW segment can crash the process that reads it (a segfault, not an
exception), so the check runs in a child: if the child dies, the parent only
learns "not good" and keeps serving the previous generation.

The check: the collection opens; its count matches the manifest; a sample of stored
embeddings is readable, finite and of the right size; a probe query with one of
them finds that very record at distance ~0; the BM25 sidecar and the leads load.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from rag.errors import IndexVerifyError, RagError
from rag.index import store
from rag.index.backend import open_store

SAMPLE = 16
SAME_VECTOR = 1e-4  # distance at which two stored vectors count as one


def check(path: Path, chroma_url: str | None = None) -> dict[str, int]:
    """Raise IndexVerifyError unless the generation at ``path`` is sound."""
    try:
        manifest = store.read_manifest(path)
        collection = open_store(path.parent, chroma_url).open_collection(path)
        count = collection.count()
    except Exception as err:  # anything that stops it opening means "not good"
        raise IndexVerifyError(f"the new index does not open: {err}") from None
    if count != int(manifest["chunk_count"]):
        raise IndexVerifyError(
            f"the new index holds {count} passages, its manifest says {manifest['chunk_count']}"
        )
    ids = store.all_records(collection, ())["ids"]
    step = max(1, len(ids) // SAMPLE)
    sample = ids[::step][:SAMPLE]
    got = collection.get(ids=sample, include=["embeddings"])
    vectors = np.asarray(got["embeddings"], dtype=np.float32)
    if vectors.shape[0] != len(sample) or not np.isfinite(vectors).all():
        raise IndexVerifyError("stored embeddings of the new index are unreadable")
    # Two files with the same text give equal vectors, so the first hit may be a twin:
    # it must be at distance ~0 and hold the same stored vector.
    probe = collection.query(query_embeddings=vectors[:1], n_results=1, include=["distances"])
    hit = probe["ids"][0][:1] if probe["ids"] else []
    if not hit or probe["distances"][0][0] > SAME_VECTOR:
        raise IndexVerifyError("a probe query on the new index did not find its own record")
    if hit[0] != got["ids"][0]:
        twin = collection.get(ids=hit, include=["embeddings"])["embeddings"]
        if len(twin) != 1 or not np.allclose(np.asarray(twin[0]), vectors[0], atol=1e-6):
            raise IndexVerifyError("a probe query on the new index found a different record")
    if not (path / "bm25").is_dir():
        raise IndexVerifyError("the new index lacks its BM25 sidecar")
    sources, leads = store.read_leads(path)
    if len(sources) != len(leads):
        raise IndexVerifyError("the new index's lead vectors do not match their sources")
    return {"count": count, "sampled": len(sample)}


def in_subprocess(
    path: Path, timeout: float = 120.0, chroma_url: str | None = None
) -> dict[str, int]:
    """``check`` in a child process; a crash or a hang counts as a failed check."""
    extra = ["--chroma-url", chroma_url] if chroma_url else []
    try:
        done = subprocess.run(
            [sys.executable, "-m", "rag.ingest.verify", str(path), *extra],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise IndexVerifyError(f"checking the new index took over {timeout:.0f} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        if done.returncode < 0:
            last = f"the checking process died (signal {-done.returncode})"
        raise IndexVerifyError(f"the new index failed its check: {last}")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    url = None
    if len(args) == 3 and args[1] == "--chroma-url":
        args, url = args[:1], args[2]
    if len(args) != 1:
        usage = "usage: python -m rag.ingest.verify GENERATION_DIR [--chroma-url URL]"
        print(usage, file=sys.stderr)
        return 2
    try:
        print(json.dumps(check(Path(args[0]), url)))
    except RagError as err:
        print(err.message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
