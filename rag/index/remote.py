"""A Chroma server as the shared store (``RAG_CHROMA_URL``): what lives on the server.

Several UI replicas (and one ingest job) share one server; nothing else is shared, so
everything a replica needs lives on the server too::

    rag-meta                      one small collection
      "current"                   document: the published manifest; metadata: its generation
      "lease"                     the ingest lease: holder, host, pid, expiry
    chunks-<generation>           the passages and their vectors (as in the embedded store)
    docs-<generation>             one record per article: its text, line labels, metadata

A generation is a collection-name suffix; publishing is one upsert of "current".
Readers keep the generation they opened; the previous one is kept for them.

The lease is best-effort (Chroma has no compare-and-set): a second ingest is refused
while a live lease exists, and two that start within the same fraction of a second are
told apart by reading the lease back. Run ingest as one job (one machine, one cron
entry); docs/RELIABILITY.md says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from typing import Any

from rag.errors import IndexLockedError, StoreUnavailableError
from rag.index.store import all_records, collection_in
from rag.urls import parse_chroma_url

META = "rag-meta"
CURRENT = "current"
LEASE = "lease"
LEASE_SECONDS = 3600.0
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 60.0  # a large add on a busy server; queries take milliseconds
_UNIT = [[1.0]]  # meta and docs records carry no meaning in their vector; Chroma needs one

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def client(url: str) -> Any:
    """One HTTP client per server per process (it is thread-safe)."""
    with _clients_lock:
        if url not in _clients:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            host, port, ssl = parse_chroma_url(url)
            try:
                _clients[url] = chromadb.HttpClient(
                    host=host,
                    port=port,
                    ssl=ssl,
                    settings=ChromaSettings(anonymized_telemetry=False),
                )
            except Exception as err:
                raise unreachable(url, err) from None
            _bound_waits(_clients[url])
        return _clients[url]


def _bound_waits(chroma_client: Any) -> None:
    """Chroma's HTTP client waits forever (httpx timeout=None) and has no setting for
    it: a stalled server would hang every question. Give its session deadlines."""
    import httpx

    session = getattr(getattr(chroma_client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)


def unreachable(url: str, err: BaseException) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"the Chroma server at {url} does not answer ({type(err).__name__}); start it "
        "(chroma run --path DIR --host HOST --port PORT) or unset RAG_CHROMA_URL"
    )


def call(url: str, action: Any) -> Any:
    """Run ``action(client)``; connection failures become StoreUnavailableError."""
    try:
        return action(client(url))
    except StoreUnavailableError:
        raise
    except Exception as err:
        if is_connection_error(err):
            raise unreachable(url, err) from None
        raise


def is_connection_error(err: BaseException) -> bool:
    import httpx

    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, httpx.TransportError | ConnectionError | OSError):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(err).lower()
    return "connect" in text or "connection" in text


def chunks_name(generation: str) -> str:
    return f"chunks-{generation.removesuffix('.building')}"


def docs_name(generation: str) -> str:
    return f"docs-{generation.removesuffix('.building')}"


def collection(url: str, generation: str, create: bool = False) -> Any:
    """The passages of ``generation`` on the server (``chunks-<generation>``)."""
    return call(url, lambda c: collection_in(c, chunks_name(generation), create))


def _meta(url: str) -> Any:
    return call(url, lambda c: c.get_or_create_collection(META, embedding_function=None))


# -- the published generation ---------------------------------------------------


def current(url: str) -> tuple[str, dict[str, Any]] | None:
    """(generation name, manifest) of the published generation, or None."""
    got = call(url, lambda _: _meta(url).get(ids=[CURRENT], include=["documents", "metadatas"]))
    if not got["ids"]:
        return None
    return str(got["metadatas"][0]["generation"]), json.loads(got["documents"][0])


def current_name(url: str) -> str | None:
    found = current(url)
    return found[0] if found else None


def publish(url: str, generation: str, manifest: dict[str, Any]) -> None:
    name = generation.removesuffix(".building")
    call(
        url,
        lambda _: _meta(url).upsert(
            ids=[CURRENT],
            embeddings=_UNIT,
            documents=[json.dumps(manifest)],
            metadatas=[{"generation": name, "published": time.time()}],
        ),
    )


# -- articles -------------------------------------------------------------------


def put_documents(url: str, generation: str, rows: list[dict[str, Any]]) -> None:
    def put(c: Any) -> None:
        docs = c.get_or_create_collection(docs_name(generation), embedding_function=None)
        for first in range(0, len(rows), 500):
            part = rows[first : first + 500]
            docs.add(
                ids=[row["source"] for row in part],
                embeddings=_UNIT * len(part),
                documents=[json.dumps(row, ensure_ascii=False) for row in part],
            )

    call(url, put)


def get_documents(url: str, generation: str) -> list[dict[str, Any]]:
    def get(c: Any) -> list[dict[str, Any]]:
        docs = c.get_collection(docs_name(generation), embedding_function=None)
        return [json.loads(text) for text in all_records(docs, ("documents",))["documents"]]

    return call(url, get)


# -- generations on the server --------------------------------------------------


def generations(url: str) -> list[str]:
    """Every generation with a collection on the server, oldest first."""
    names = call(url, lambda c: [col.name for col in c.list_collections()])
    found = {n.split("-", 1)[1] for n in names if n.startswith(("chunks-", "docs-"))}
    return sorted(found)


def drop(url: str, generation: str) -> None:
    def delete(c: Any) -> None:
        for name in (chunks_name(generation), docs_name(generation)):
            try:
                c.delete_collection(name)
            except Exception as err:  # already gone is fine; a dead server is not
                if is_connection_error(err):
                    raise

    call(url, delete)


def clean(url: str, keep: int = 1) -> list[str]:
    """Drop unfinished generations and all but ``keep`` older published ones (under the lease)."""
    published = current_name(url)
    all_names = generations(url)
    if published is None:
        doomed = all_names
    else:
        older = [g for g in all_names if g < published]
        newer = [g for g in all_names if g > published]  # builds that never published
        doomed = newer + older[: max(0, len(older) - keep)]
    for generation in doomed:
        drop(url, generation)
    return doomed


# -- the ingest lease -------------------------------------------------------------


class Lease:
    """Held by the one ingest writing to the server; ``release`` when done."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.token = f"{socket.gethostname()}:{os.getpid()}:{time.time_ns()}"
        self._acquire()

    def _record(self) -> dict[str, Any] | None:
        got = _meta(self.url).get(ids=[LEASE], include=["metadatas"])
        return got["metadatas"][0] if got["ids"] else None

    def _acquire(self) -> None:
        held = call(self.url, lambda _: self._record())
        if held and _alive(held):
            raise IndexLockedError(
                f"another ingest (pid {held.get('pid')} on {held.get('host')}) is writing to "
                f"the Chroma server at {self.url}; wait for it to finish and run the "
                "command again"
            )
        call(
            self.url,
            lambda _: _meta(self.url).upsert(
                ids=[LEASE],
                embeddings=_UNIT,
                documents=[self.token],
                metadatas=[
                    {
                        "token": self.token,
                        "host": socket.gethostname(),
                        "pid": os.getpid(),
                        "expires": time.time() + LEASE_SECONDS,
                    }
                ],
            ),
        )
        time.sleep(0.2)  # a rival that wrote at the same moment: the last write wins
        again = call(self.url, lambda _: self._record())
        if not again or again.get("token") != self.token:
            raise IndexLockedError(
                f"another ingest started on the Chroma server at {self.url} at the same "
                "moment; run the command again when it has finished"
            )

    def release(self) -> None:
        def drop_own(_: Any) -> None:
            held = self._record()
            if held and held.get("token") == self.token:
                _meta(self.url).delete(ids=[LEASE])

        with contextlib.suppress(StoreUnavailableError):  # it expires by itself
            call(self.url, drop_own)


def _alive(held: dict[str, Any]) -> bool:
    if float(held.get("expires", 0)) < time.time():
        return False
    if held.get("host") == socket.gethostname():
        try:  # same machine: a killed ingest leaves a lease we can see is stale
            os.kill(int(held.get("pid", 0)), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True
