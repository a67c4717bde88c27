"""Real Chroma on disk, real embedder, real files."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag import (
    REFUSAL,
    Engine,
    IndexIncompatibleError,
    IndexLockedError,
    IndexVerifyError,
    IndexWriteError,
    NoArticlesError,
    Settings,
    build_index,
)
from rag.answer.live import LiveEngine
from rag.embed import MAX_TOKENS, MiniLM
from rag.index import store
from rag.index.sidecars import write_search_sidecars
from rag.ingest import verify, writer


def settings(seeds: Path, index: Path, **extra) -> Settings:
    return Settings(seeds_dir=seeds, index_dir=index, **extra)


def test_round_trip_answers_with_a_citation_whose_span_holds_the_quote(built_index) -> None:
    seeds, index = built_index
    engine = Engine(settings(seeds, index))
    answer = engine.ask("Does Microsoft own shares in Mistral?")
    assert not answer.refused
    assert answer.citations
    for citation in answer.citations:
        text = (seeds / citation.source).read_text(encoding="utf-8")
        assert text[citation.char_start : citation.char_end] == citation.quote
        lines = text.split("\n")[citation.line_start - 1 : citation.line_end]
        assert citation.quote in "\n".join(lines)
        assert f"[{citation.n}]" in answer.text
    assert any("shares" in c.quote or "equity" in c.quote for c in answer.citations)


def test_no_stored_passage_is_truncated_by_the_embedder(built_index) -> None:
    seeds, index = built_index
    generation = store.open_current(index)
    collection = store.open_collection(generation.path)
    records = store.all_records(collection)
    counter = MiniLM()
    counts = counter.count_tokens_batch(records["documents"])
    assert len(counts) == generation.manifest["chunk_count"] > 5
    assert max(counts) <= MAX_TOKENS
    # and every passage is the exact slice of its file that its metadata says
    for text, meta in zip(records["documents"], records["metadatas"], strict=True):
        body = (seeds / meta["source"]).read_text(encoding="utf-8")
        assert body[meta["char_start"] : meta["char_end"]] == text


def test_boilerplate_is_never_indexed(built_index) -> None:
    _, index = built_index
    generation = store.open_current(index)
    text = " ".join(store.all_records(store.open_collection(generation.path))["documents"])
    for noise in (
        "Hot Picks Today",
        "Post Disclaimer",
        "Read Full Article",
        "Related posts",
        "Virtual Shaman",
        "Manisha Patel",
    ):
        assert noise not in text


def test_unanswerable_questions_get_the_fixed_refusal(built_index) -> None:
    engine = Engine(settings(*built_index))
    for question in ("What is the capital of Peru?", "How many employees does Mistral have?"):
        answer = engine.ask(question)
        assert answer.refused and answer.text == REFUSAL and answer.citations == []
        assert answer.passages  # the closest passages are still shown


def test_incremental_ingest_embeds_only_what_changed(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = build_index(settings(seeds_copy, index))
    assert first.published and first.chunks_embedded == first.chunks

    counting = MiniLM()
    again = build_index(settings(seeds_copy, index), embedder=counting)
    assert not again.published and counting.texts_embedded == 0
    assert again.generation == first.generation

    changed = seeds_copy / "002_853ff7962201d64c.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8").replace(
            "Mustafa Suleyman", "Mustafa Suleyman (a test edit)"
        ),
        encoding="utf-8",
    )
    (seeds_copy / "004_3ca911a4c31bdd1a.txt").unlink()
    update = build_index(settings(seeds_copy, index), embedder=counting)
    assert update.published
    assert update.files_embedded == ["002_853ff7962201d64c.txt"]
    assert update.files_removed == ["004_3ca911a4c31bdd1a.txt"]
    assert counting.texts_embedded == update.chunks_embedded > 0

    generation = store.open_current(index)
    records = store.all_records(store.open_collection(generation.path))
    sources = {m["source"] for m in records["metadatas"]}
    assert "004_3ca911a4c31bdd1a.txt" not in sources
    assert any("(a test edit)" in d for d in records["documents"])
    assert not any(
        "Mustafa Suleyman, signals" in d for d in records["documents"]
    )  # the old version of the changed file is gone
    assert len(records["ids"]) == generation.manifest["chunk_count"]


def test_two_files_with_the_same_text_are_both_kept(seeds_copy: Path, tmp_path: Path) -> None:
    # A re-post under another name is another source: losing it would lose a citation.
    original = seeds_copy / "000_1e069c046a7fec7f.txt"
    (seeds_copy / "repost.txt").write_bytes(original.read_bytes())
    report = build_index(settings(seeds_copy, tmp_path / "index"))
    generation = store.open_current(tmp_path / "index")
    records = store.all_records(store.open_collection(generation.path))
    per_source = [m["source"] for m in records["metadatas"]]
    assert per_source.count("repost.txt") == per_source.count(original.name) > 0
    assert len(records["ids"]) == report.chunks == generation.manifest["chunk_count"]


def test_other_settings_mean_a_new_index_not_a_mixed_one(built_index, tmp_path: Path) -> None:
    seeds, index = built_index
    with pytest.raises(IndexIncompatibleError, match="rag.ingest"):
        Engine(settings(seeds, index, chunk_tokens=128))
    other = tmp_path / "index2"
    build_index(settings(seeds, other))
    report = build_index(settings(seeds, other, chunk_tokens=128))
    assert report.published and report.files_reused == []  # rebuilt, nothing reused
    assert Engine(settings(seeds, other, chunk_tokens=128)).ask("Who is the CEO of Mistral?")


def test_bad_files_are_reported_and_good_ones_kept(seeds_copy: Path, tmp_path: Path) -> None:
    (seeds_copy / "bad_utf8.txt").write_bytes(b"Caf\xe9 au lait \xff\xfe is not UTF-8.")
    (seeds_copy / "empty.txt").write_text("")
    (seeds_copy / "blank.md").write_text("   \n\n  \n")
    (seeds_copy / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (seeds_copy / "huge.txt").write_text("word " * 300_000)
    (seeds_copy / "notes.docx").write_bytes(b"PK\x03\x04")
    outside = tmp_path / "secret.txt"
    outside.write_text("A secret sentence that must never be indexed by anyone at all.")
    (seeds_copy / "link.txt").symlink_to(outside)
    unreadable = seeds_copy / "unreadable.txt"
    unreadable.write_text("Microsoft said something nobody may read in this test file.")
    unreadable.chmod(0)
    report = build_index(settings(seeds_copy, tmp_path / "index", max_file_bytes=1_000_000))
    reasons = dict(report.skipped)
    assert "invalid UTF-8" in reasons["bad_utf8.txt"]
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.md"]
    assert "binary" in reasons["binary.txt"]
    assert "too large" in reasons["huge.txt"]
    assert "unsupported" in reasons["notes.docx"]
    assert "outside" in reasons["link.txt"]
    if os.geteuid() != 0:  # root reads any file
        assert "unreadable" in reasons["unreadable.txt"]
    assert report.files_indexed >= 5
    clean = build_index(settings(Path(__file__).resolve().parents[2] / "seeds", tmp_path / "clean"))
    generation = store.open_current(tmp_path / "index")
    stored = store.all_records(store.open_collection(generation.path))
    good = [m for m in stored["metadatas"] if m["source"] != "unreadable.txt"]
    assert len(good) == clean.chunks
    assert not any("secret sentence" in d for d in stored["documents"])


def test_an_empty_seeds_folder_is_a_usage_error_and_leaves_the_index(built_index, tmp_path):
    _, index = built_index
    before = store.current_name(index)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NoArticlesError) as caught:
        build_index(settings(empty, index))
    assert caught.value.exit_code == 2
    assert store.current_name(index) == before


def test_a_second_writer_is_refused_at_once(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    lock = store.writer_lock(index)
    try:
        started = time.perf_counter()
        with pytest.raises(IndexLockedError, match="another ingest"):
            build_index(settings(seeds_copy, index))
        assert time.perf_counter() - started < 2
    finally:
        lock.release()


def _writers(index: Path) -> list[str]:
    """Command lines of live ``rag.writer`` processes storing into ``index``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "rag.ingest.writer" in line and str(index) in line:
            found.append(line)
    return found


def _checking(pid: int) -> bool:
    return any("rag.ingest.verify" in c for c in _children(pid))


def _children(pid: int) -> list[str]:
    """Command lines of the direct children of ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize("point", ["starting", "embedding", "verifying"])
def test_kill_9_during_an_ingest_leaves_the_published_index_answering(
    point: str, seeds_copy: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    build_index(settings(seeds_copy, index))
    published = store.current_name(index)
    for i in range(40):  # enough new text that the ingest runs for a while
        (seeds_copy / f"extra_{i}.txt").write_text(
            " ".join(
                f"Extra article {i} sentence {j} says Microsoft did thing {j}." for j in range(200)
            ),
            encoding="utf-8",
        )
    env = {**os.environ, "RAG_SEEDS_DIR": str(seeds_copy), "RAG_INDEX_DIR": str(index)}
    env["RAG_STORE_PROCESS_FROM"] = "0"  # store from a child process, as big ingests do
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.ingest"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    chance = random.Random()
    deadline = time.time() + 120
    if point == "starting":  # somewhere in start-up: imports, reading, chunking
        time.sleep(chance.uniform(0.2, 3.0))
    elif point == "embedding":  # somewhere while the new generation is being written
        while time.time() < deadline and not list(index.glob("g-*.building")):
            time.sleep(0.05)
        time.sleep(chance.uniform(0.2, 3.0))
    else:  # the new generation is complete and its check runs in a child process
        while time.time() < deadline and not _checking(proc.pid):
            time.sleep(0.02)
        assert time.time() < deadline, "the ingest never reached its check"
    assert proc.poll() is None, "the ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while _writers(index) and time.time() < deadline:
        time.sleep(0.05)
    assert not _writers(index), "the storing child outlived the killed ingest"
    assert store.current_name(index) == published
    answer = Engine(settings(seeds_copy, index)).ask("Who is the CEO of Mistral?")
    assert "Mensch" in answer.text
    report = build_index(settings(seeds_copy, index))
    assert report.published and report.files_indexed == 45
    assert not list(index.glob("g-*.building"))
    assert store.current_name(index) != published


def test_the_passage_an_answer_quotes_is_listed_first(built_index) -> None:
    engine = Engine(settings(*built_index))
    for question in (
        "How much did Microsoft invest in OpenAI in 2019?",
        "What is the name of the chatbot Mistral launched?",
    ):
        answer = engine.ask(question)
        first, cited = answer.passages[0], answer.citations[0]
        assert first["source"] == cited.source
        assert first["line_start"] <= cited.line_start <= cited.line_end <= first["line_end"]


def test_a_question_in_flight_finishes_on_the_generation_it_started_on(
    seeds_copy: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    build_index(settings(seeds_copy, index))
    live = LiveEngine(settings(seeds_copy, index), check_every=0)
    before = live.get()  # a question holding this engine is "in flight"
    (seeds_copy / "004_3ca911a4c31bdd1a.txt").unlink()
    build_index(settings(seeds_copy, index))
    after = live.get()
    assert after is not before and after.generation.name != before.generation.name
    assert "$1 billion" in before.ask("How much did Microsoft invest in OpenAI in 2019?").text
    assert "004_3ca911a4c31bdd1a.txt" not in after.documents()


def _corrupt_chroma(generation: Path) -> None:
    """Scribble over the stored vectors: the HNSW segment files and the sqlite pages."""
    for path in (generation / "chroma").rglob("*.bin"):
        path.write_bytes(b"\xff" * max(path.stat().st_size, 64))
    db = generation / "chroma" / "chroma.sqlite3"
    data = bytearray(db.read_bytes())
    data[4096:] = b"\x00" * (len(data) - 4096)
    db.write_bytes(bytes(data))


def _published_copy_and_a_new_article(
    built_index: tuple[Path, Path], seeds_copy: Path, tmp_path: Path
) -> tuple[Path, str]:
    """A copy of the shared index (and its published generation's name), with one more
    article in the seeds, so the next ingest builds a new generation."""
    index_copy = tmp_path / "index"
    shutil.copytree(built_index[1], index_copy)
    (seeds_copy / "extra.txt").write_text("A new article about harbour seals.\n", encoding="utf-8")
    return index_copy, store.current_name(index_copy)


def test_a_corrupt_new_generation_is_never_published(
    built_index, seeds_copy: Path, tmp_path: Path, monkeypatch
) -> None:
    index_copy, before = _published_copy_and_a_new_article(built_index, seeds_copy, tmp_path)

    real = verify.in_subprocess

    def corrupt_then_check(building, *args, **kwargs):
        _corrupt_chroma(building)  # as if the disk had mangled what was just written
        return real(building, *args, **kwargs)

    monkeypatch.setattr(verify, "in_subprocess", corrupt_then_check)
    with pytest.raises(IndexVerifyError):
        build_index(settings(seeds_copy, index_copy))
    assert store.current_name(index_copy) == before
    assert [p.name for p in index_copy.glob("g-*")] == [before]  # the bad build is gone
    answer = Engine(settings(seeds_copy, index_copy)).ask("Who is the CEO of Mistral?")
    assert "Mensch" in answer.text


def test_the_check_passes_a_sound_generation_in_a_child_process(built_index) -> None:
    _, index = built_index
    generation = store.open_current(index)
    got = verify.in_subprocess(generation.path)
    assert got["count"] == generation.manifest["chunk_count"] and got["sampled"] > 0


def test_the_check_accepts_records_with_equal_vectors(built_index, tmp_path: Path) -> None:
    # Equal texts give equal vectors; which of them a query returns first is arbitrary.

    _, index = built_index
    generation = tmp_path / "g"
    shutil.copytree(store.open_current(index).path, generation)
    collection = store.open_collection(generation)
    first = store.all_records(collection, ())["ids"][0]
    record = collection.get(ids=[first], include=["embeddings", "documents", "metadatas"])
    twins = [f"twin-{n}" for n in range(12)]
    collection.add(
        ids=twins,
        embeddings=[record["embeddings"][0]] * len(twins),
        documents=record["documents"] * len(twins),
        metadatas=record["metadatas"] * len(twins),
    )
    manifest = store.read_manifest(generation)
    manifest["chunk_count"] += len(twins)
    (generation / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    del collection
    assert verify.in_subprocess(generation)["count"] == manifest["chunk_count"]


def test_sidecars_built_from_memory_match_those_rebuilt_from_chroma(
    built_index, seeds_copy: Path, tmp_path: Path
) -> None:
    """The ingest builds BM25, leads and stories from the passages it holds (reused and
    new); a replica rebuilds them from the stored records. Both must agree exactly."""
    _, index = built_index
    index_copy = tmp_path / "index"
    shutil.copytree(index, index_copy)
    (seeds_copy / "extra.txt").write_text(
        "Mistral AI, the Paris start-up, agreed a partnership with Microsoft.\n"
        "Microsoft will invest 15 million euros in Mistral AI, the start-up said.\n",
        encoding="utf-8",
    )
    report = build_index(settings(seeds_copy, index_copy))
    assert report.files_embedded == ["extra.txt"] and len(report.files_reused) == 5
    generation = store.open_current(index_copy)
    again = tmp_path / "again"
    again.mkdir()
    write_search_sidecars(again, store.open_collection(generation.path), embed_title=False)
    for name in ("bm25/corpus.jsonl", "bm25/vocab.index.json", "leads.json", "stories.json"):
        assert (again / name).read_text() == (generation.path / name).read_text(), name
    # Chroma hands back a new article's vector a rounding step away (7e-9 here).
    stored, kept = np.load(again / "leads.npy"), np.load(generation.path / "leads.npy")
    assert stored.shape == kept.shape and np.allclose(stored, kept, atol=1e-6)
    assert '"extra.txt"' in (generation.path / "leads.json").read_text()


def test_a_child_process_stores_the_same_index_as_a_thread(
    built_index, seeds_copy: Path, tmp_path: Path
) -> None:
    """Large ingests store from a child process (rag/ingest/writer.py); its generation holds
    exactly the records, vectors and texts the in-process writer stores."""
    _, index = built_index
    by_child = tmp_path / "child"
    report = build_index(settings(seeds_copy, by_child, store_process_from=0))
    assert report.published
    ours = store.all_records(
        store.open_collection(store.open_current(by_child).path),
        ("documents", "metadatas", "embeddings"),
    )
    theirs = store.all_records(
        store.open_collection(store.open_current(index).path),
        ("documents", "metadatas", "embeddings"),
    )
    order = sorted(range(len(ours["ids"])), key=lambda i: ours["ids"][i])
    other = sorted(range(len(theirs["ids"])), key=lambda i: theirs["ids"][i])
    assert [ours["ids"][i] for i in order] == [theirs["ids"][i] for i in other]
    assert [ours["documents"][i] for i in order] == [theirs["documents"][i] for i in other]
    assert [ours["metadatas"][i] for i in order] == [theirs["metadatas"][i] for i in other]
    mine = np.asarray([ours["embeddings"][i] for i in order])
    assert np.allclose(mine, np.asarray([theirs["embeddings"][i] for i in other]), atol=1e-5)


def test_a_failed_store_is_an_error_and_publishes_nothing(
    built_index, seeds_copy: Path, tmp_path: Path, monkeypatch
) -> None:
    index_copy, before = _published_copy_and_a_new_article(built_index, seeds_copy, tmp_path)
    # The child process is told to store into a folder it cannot create.
    real = writer.ChildWriter.__init__

    def into_a_file(self, generation, embed_title):
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("x", encoding="utf-8")
        real(self, blocker / "gen", embed_title)

    monkeypatch.setattr(writer.ChildWriter, "__init__", into_a_file)
    with pytest.raises(IndexWriteError, match="storing the new index failed"):
        build_index(settings(seeds_copy, index_copy, store_process_from=0))
    assert store.current_name(index_copy) == before
    answer = Engine(settings(seeds_copy, index_copy)).ask("Who is the CEO of Mistral?")
    assert "Mensch" in answer.text
