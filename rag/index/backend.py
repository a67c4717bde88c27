"""One store for a process, chosen once from the settings.

``LocalStore``: the embedded Chroma and everything else under ``index/`` (rag/index/store.py).
``ServerStore``: vectors, articles and the CURRENT pointer on a Chroma server
(``RAG_CHROMA_URL``, rag/index/remote.py); ``index/`` then holds only this process's copy
of a generation's BM25 index, leads and articles (rag/index/replica.py), and the writer
lock is the local file lock plus a lease on the server.

Ingest, the engine and the checks call the same methods on either, so no caller asks
which one it has.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.index import remote, replica, store
from rag.index.store import Generation


class LocalStore:
    """The embedded store under ``index_dir``."""

    url: str | None = None
    #: a large ingest may store its passages from a child process (rag/ingest/writer.py)
    child_writer = True

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def describe(self) -> str:
        return str(self.index_dir)

    def writer_lock(self) -> Any:
        """Held while writing; ``.release()`` when done."""
        return store.writer_lock(self.index_dir)

    def current_name(self) -> str | None:
        return store.current_name(self.index_dir)

    def open_current(
        self, expected_fingerprint: str | None = None, local_copy: bool = True
    ) -> Generation:
        """The published generation, refusing one this code must not read. ``local_copy``
        matters on a server only (an ingest reading just the manifest passes False)."""
        return store.open_current(self.index_dir, expected_fingerprint)

    def open_collection(self, generation: Path, create: bool = False) -> Any:
        return store.open_collection(generation, create)

    def put_documents(self, generation: Path, rows: list[dict[str, Any]]) -> None:
        """The articles of a generation being built (locally: its documents.jsonl)."""

    def publish(self, building: Path) -> Path:
        return store.publish(self.index_dir, building)

    def discard(self, building: Path) -> None:
        """Throw away a generation that failed its checks."""
        shutil.rmtree(building, ignore_errors=True)

    def clean_leftovers(self, keep: int = 1) -> list[str]:
        return store.clean_leftovers(self.index_dir, keep)

    def connection_error(self, err: BaseException) -> BaseException | None:
        """The error to raise instead of ``err`` when it means the store is gone."""
        return None


class ServerStore(LocalStore):
    """Vectors and articles on the Chroma server at ``url``; copies under ``index_dir``."""

    child_writer = False

    def __init__(self, index_dir: Path, url: str) -> None:
        super().__init__(index_dir)
        self.url = self.server = url

    def describe(self) -> str:
        return f"the Chroma server at {self.url}"

    def writer_lock(self) -> Any:
        local = store.writer_lock(self.index_dir)
        try:
            lease = remote.Lease(self.server)
        except BaseException:
            local.release()
            raise
        return _Both(local, lease)

    def current_name(self) -> str | None:
        return remote.current_name(self.server)

    def open_current(
        self, expected_fingerprint: str | None = None, local_copy: bool = True
    ) -> Generation:
        return replica.open_current(self.index_dir, self.server, expected_fingerprint, local_copy)

    def open_collection(self, generation: Path, create: bool = False) -> Any:
        return remote.collection(self.server, generation.name, create)

    def put_documents(self, generation: Path, rows: list[dict[str, Any]]) -> None:
        remote.put_documents(self.server, generation.name, rows)

    def publish(self, building: Path) -> Path:
        final = store.finish(building)
        remote.publish(self.server, final.name, store.read_manifest(final))
        store.point_current(self.index_dir, final.name)
        return final

    def discard(self, building: Path) -> None:
        super().discard(building)
        remote.drop(self.server, building.name)

    def clean_leftovers(self, keep: int = 1) -> list[str]:
        removed = remote.clean(self.server, keep)
        return removed + store.clean_leftovers(self.index_dir, keep, self.current_name())

    def connection_error(self, err: BaseException) -> BaseException | None:
        return remote.unreachable(self.server, err) if remote.is_connection_error(err) else None


@dataclass
class _Both:
    local: Any
    server: Any

    def release(self) -> None:
        self.server.release()
        self.local.release()


Store = LocalStore  # the interface; ServerStore is one


def open_store(index_dir: Path, chroma_url: str | None = None) -> Store:
    """The store these settings name: a Chroma server when ``chroma_url`` is set."""
    return ServerStore(index_dir, chroma_url) if chroma_url else LocalStore(index_dir)
