"""The store's parts that need no server: which store, names, copies, nodes."""

from __future__ import annotations

from pathlib import Path

from rag.index import remote, replica
from rag.index.backend import LocalStore, ServerStore, open_store
from rag.index.nodes import chunk_to_node, node_to_chunk
from rag.model import ArticleMeta, Chunk


def test_the_store_is_chosen_once_from_the_settings(tmp_path: Path) -> None:
    import httpx

    local = open_store(tmp_path)
    assert type(local) is LocalStore and local.url is None and local.child_writer
    server = open_store(tmp_path, "http://127.0.0.1:9")  # nothing is contacted here
    assert isinstance(server, ServerStore) and not server.child_writer
    assert server.describe() == "the Chroma server at http://127.0.0.1:9"
    assert local.connection_error(ConnectionError("x")) is None
    err = server.connection_error(httpx.ConnectError("refused"))
    assert err is not None and "does not answer" in str(err)
    assert server.connection_error(ValueError("a bad query")) is None


def test_a_generation_has_one_name_on_the_server_building_or_not() -> None:
    assert remote.chunks_name("g-1.building") == remote.chunks_name("g-1") == "chunks-g-1"
    assert remote.docs_name("g-1") == "docs-g-1"


def test_a_local_copy_counts_only_when_every_part_is_there(tmp_path: Path) -> None:
    copy = tmp_path / "g-1"
    copy.mkdir()
    for part in replica.PARTS[:-1]:
        (copy / part).write_text("x")
    assert not replica.complete(copy)
    (copy / replica.PARTS[-1]).write_text("x")
    assert replica.complete(copy)


def test_a_chunk_survives_its_trip_through_a_stored_node() -> None:
    chunk = Chunk(
        id="a.txt:0",
        source="a.txt",
        text="Arthur Mensch leads Mistral. He said so.",
        embed_text="Mistral\nArthur Mensch leads Mistral. He said so.",
        char_start=10,
        char_end=50,
        line_start=3,
        line_end=3,
        sentences=((0, 28), (29, 40)),
        content_hash="h",
        file_sha256="s",
        meta=ArticleMeta(title="Mistral", outlet="Le Monde", published="2024-02-27"),
    )
    node = chunk_to_node(chunk, embed_title=True)
    assert node_to_chunk(node) == chunk
