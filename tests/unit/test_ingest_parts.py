"""Ingest's pure parts: the fingerprint, chunking, file reading, upload names."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest.chunk import chunk_document
from rag.ingest.fingerprint import fingerprint
from rag.ingest.loaders import Candidate, SkipFile, read_document
from rag.ingest.uploads import _free_name, add_articles


def test_the_fingerprint_follows_what_decides_the_vectors() -> None:
    base = fingerprint({"chunk_tokens": 96, "embed_title": False})
    assert base == fingerprint({"embed_title": False, "chunk_tokens": 96})  # order-free
    assert base != fingerprint({"chunk_tokens": 128, "embed_title": False})
    assert len(base) == 16


def _words(texts: list[str]) -> list[int]:
    return [len(t.split()) + 2 for t in texts]  # a token a word, plus [CLS] and [SEP]


def test_chunks_are_exact_slices_within_the_budget(tmp_path: Path) -> None:
    body = " ".join(f"Sentence number {i} says a thing about Mistral." for i in range(40))
    path = tmp_path / "a.txt"
    path.write_text(f"Mistral raises money\n\n{body}\n", encoding="utf-8")
    doc = read_document(Candidate(path, "a.txt"), 1_000_000)
    chunks = chunk_document(doc, _words, chunk_tokens=40, overlap_sentences=1)
    assert len(chunks) > 3
    for chunk in chunks:
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        assert _words([chunk.embed_text])[0] <= 40
        for start, end in chunk.sentences:
            assert chunk.text[start:end].endswith(".")
    assert chunks[0].meta.title == "Mistral raises money"


def test_unreadable_files_are_skipped_with_the_reason(tmp_path: Path) -> None:
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"abc\x00def")
    with pytest.raises(SkipFile, match="NUL bytes"):
        read_document(Candidate(binary, "b.txt"), 1000)
    big = tmp_path / "c.txt"
    big.write_text("word " * 500)
    with pytest.raises(SkipFile, match="too large"):
        read_document(Candidate(big, "c.txt"), 100)
    latin = tmp_path / "d.txt"
    latin.write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(SkipFile, match="invalid UTF-8"):
        read_document(Candidate(latin, "d.txt"), 1000)


def test_upload_names_are_safe_and_never_overwrite(tmp_path: Path) -> None:
    (tmp_path / "my_article.txt").write_text("x")
    assert _free_name(tmp_path, "my article", ".txt").name == "my_article-2.txt"
    assert _free_name(tmp_path, "../../etc/passwd", ".txt").name == "etc_passwd.txt"
    assert _free_name(tmp_path, "...", ".md").name == "article.md"


def test_an_upload_of_another_type_is_refused_and_nothing_is_indexed(tmp_path: Path) -> None:
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ")
    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    status = add_articles(settings, [str(bad)])
    assert status.startswith("Refused tool.exe: only ")
    assert list((tmp_path / "seeds").iterdir()) == []
    assert not (tmp_path / "index").exists()
