"""Store a new generation's passages while the embedding goes on.

chromadb's ``add`` holds the GIL for the whole call (a Python thread beside a writing
thread got almost no time here), so a writer thread stalls the embedding sessions
between batches, and writing after the embedding adds its whole time (50 s of a
full-BBC ingest). So, for an index on disk, a child process stores the passages: it has
its own GIL and takes only a share of the CPU. (For a Chroma server, the server does the
work, and a thread that waits on HTTP is enough.)

The child is the only process that opens the new generation's collection. It reads
pickled messages from stdin, stores them in calls of at least ``MIN_CALL`` records (each
call has a fixed cost), and prints its count as JSON when stdin closes. The parent feeds
it from a thread, so a busy child never blocks the embedding loop. The child dies with
its parent (``PR_SET_PDEATHSIG``): a killed ingest leaves no writer behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import pickle
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rag.errors import IndexWriteError
from rag.index import store
from rag.index.nodes import chunk_to_node

MIN_CALL = 1024  # records per chromadb call: 4,000 cost 5.3 s in one call, 8.4 s in 256s
MAX_CALL = 4000  # chromadb refuses calls of much over 5,000 records
#: (kind, payload): ("chunks", (chunks, vectors)) or ("records", chroma records)
Message = tuple[str, Any]


def store_all(collection: Any, embed_title: bool, messages: Iterator[Message]) -> int:
    """Store every message's passages in ``collection``; returns the count."""
    vectors = store.vector_store(collection)
    nodes: list[Any] = []
    count = 0

    def flush(limit: int) -> None:
        nonlocal count
        while nodes and len(nodes) >= limit:
            call, nodes[:] = nodes[:MAX_CALL], nodes[MAX_CALL:]
            vectors.add(call)
            count += len(call)

    for kind, payload in messages:
        if kind == "records":
            if payload["ids"]:
                collection.add(
                    ids=payload["ids"],
                    embeddings=payload["embeddings"],
                    documents=payload["documents"],
                    metadatas=payload["metadatas"],
                )
                count += len(payload["ids"])
            continue
        chunks, embedded = payload
        for chunk, vector in zip(chunks, embedded, strict=True):
            node = chunk_to_node(chunk, embed_title)
            node.embedding = vector.tolist()
            nodes.append(node)
        flush(MIN_CALL)
    flush(1)
    return count


class Writer:
    """The ingest's side: ``send_chunks`` / ``send_records``, then ``finish`` (or
    ``abort``). Messages are queued, so sending never waits for storage."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Message | None] = queue.Queue()
        self._failure: list[BaseException] = []
        self._worker = threading.Thread(target=self._run, name="chroma-writer", daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def _messages(self) -> Iterator[Message]:
        while (message := self._queue.get()) is not None:
            yield message

    def send_chunks(self, chunks: list[Any], vectors: Any) -> None:
        """New passages and their vectors (one row each)."""
        self._check()
        self._queue.put(("chunks", (chunks, vectors)))

    def send_records(self, records: dict[str, Any]) -> None:
        """Records copied unchanged from the previous generation."""
        self._check()
        self._queue.put(("records", records))

    def _check(self) -> None:
        """Raise at once if storing has already failed (no point embedding on)."""

    def finish(self) -> int:
        """Wait until everything is stored; returns how many records were."""
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class ThreadWriter(Writer):
    """Stores from a thread of this process: for a Chroma server (the server does the
    work), and for small ingests, where starting a process would cost more than it saves."""

    def __init__(self, open_collection: Callable[[], Any], embed_title: bool) -> None:
        super().__init__()
        # Imported in the caller's thread: llama-index imported by two threads at once
        # fails half-way (KeyError: 'llama_index.core.indices').
        import llama_index.vector_stores.chroma  # noqa: F401

        self._open, self._embed_title, self._count = open_collection, embed_title, 0
        self._worker.start()

    def _run(self) -> None:
        try:
            self._count = store_all(self._open(), self._embed_title, self._messages())
        except BaseException as err:  # re-raised by finish() in the ingest's thread
            self._failure.append(err)
            for _ in self._messages():  # keep draining so finish() never hangs
                pass

    def finish(self) -> int:
        self._queue.put(None)
        self._worker.join()
        if self._failure:
            raise self._failure[0]
        return self._count

    def abort(self) -> None:
        self._queue.put(None)


class ChildWriter(Writer):
    """Stores from a child process (``python -m rag.ingest.writer``): for an index on disk."""

    def __init__(self, generation: Path, embed_title: bool) -> None:
        super().__init__()
        # Files, not pipes: the child's chatter can never fill one and block it.
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish/abort
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        self._child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rag.ingest.writer",
                str(generation),
                "1" if embed_title else "0",
            ],
            stdin=subprocess.PIPE,
            stdout=self._out,
            stderr=self._err,
        )
        self._worker.start()

    def _run(self) -> None:
        stdin = self._child.stdin
        assert stdin is not None
        try:
            for message in self._messages():
                data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
                stdin.write(len(data).to_bytes(8, "little") + data)  # waits without the GIL
            stdin.close()
        except OSError as err:  # the child died; finish() says why
            self._failure.append(err)

    def _check(self) -> None:
        if self._child.poll() not in (None, 0):
            self.finish()  # raises IndexWriteError with the child's last words

    def finish(self, timeout: float = 900.0) -> int:
        self._queue.put(None)
        self._worker.join()
        try:
            code = self._child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.abort()
            raise IndexWriteError(f"storing the new index took over {timeout:.0f} s") from None
        if code != 0:
            self._err.seek(0)
            lines = self._err.read().decode("utf-8", "replace").strip().splitlines()
            last = lines[-1] if lines else f"exit code {code}"
            if code < 0:
                last = f"the writing process died (signal {-code})"
            self._close()
            raise IndexWriteError(f"storing the new index failed: {last}")
        self._out.seek(0)
        count = int(json.loads(self._out.read())["count"])
        self._close()
        return count

    def abort(self) -> None:
        self._child.kill()
        self._child.wait()
        self._close()

    def _close(self) -> None:
        self._out.close()
        self._err.close()


def _die_with_parent() -> None:
    # not Linux: the closed stdin still ends the child
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _read(stream: Any) -> Iterator[Message]:
    while len(head := stream.read(8)) == 8:
        message: Message = pickle.loads(stream.read(int.from_bytes(head, "little")))
        yield message


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("usage: python -m rag.ingest.writer GENERATION_DIR EMBED_TITLE(0|1)", file=sys.stderr)
        return 2
    _die_with_parent()

    collection = store.open_collection(Path(args[0]), create=True)
    count = store_all(collection, args[1] == "1", _read(sys.stdin.buffer))
    print(json.dumps({"count": count}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
