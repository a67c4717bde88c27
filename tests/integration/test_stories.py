"""Same-story grouping at ingest and diversified retrieval, on the seeds and on a
syndicated copy (the same wire story under another outlet), with real Chroma on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag import Engine, Settings, build_index
from rag.cli.gold import load_gold
from rag.text.question import clauses
from tests.conftest import ROOT, SEEDS, run_rag

MISTRAL = ["000_1e069c046a7fec7f.txt", "001_897f894024ca4c72.txt"]
THIRD_PHASE = ["003_6bf9b9a1e930f917.txt", "004_3ca911a4c31bdd1a.txt"]
MODELS = "How many AI models does Microsoft have in its data centers?"
QUOTE = "What does Marshall Choy say about Azure being OpenAI's exclusive cloud provider?"


def test_the_seeds_two_retold_stories_are_grouped_and_nothing_else(built_index) -> None:
    seeds, index = built_index
    engine = Engine(Settings(seeds_dir=seeds, index_dir=index))
    stories = engine.retriever.stories
    assert stories.stories == [MISTRAL, THIRD_PHASE]
    assert stories.story("002_853ff7962201d64c.txt") is None
    # every shared fact joins the two articles of one story, never across stories
    pairs = {tuple(sorted((a[0], b[0]))) for a, b in stories.facts}
    assert pairs == {tuple(MISTRAL), tuple(THIRD_PHASE)}


def test_a_passage_another_article_repeats_takes_no_place_of_its_own(built_index) -> None:
    seeds, index = built_index
    engine = Engine(Settings(seeds_dir=seeds, index_dir=index))
    links = engine.retriever.stories.links
    folded = 0
    for gold in load_gold(ROOT / "eval" / "gold.jsonl"):
        retrieval = engine.retrieve(gold.q)
        ids = [p.chunk.id for p in retrieval.passages]
        parts = len(clauses(gold.q))  # a compound question also searches for each part
        assert len(ids) == 5 if parts == 1 else 5 <= len(ids) <= 5 * parts
        assert not any(other in links.get(key, ()) for key in ids for other in ids), gold.q
        for passage in retrieval.passages:
            for twin in passage.also:
                assert passage.chunk.id in links[twin.chunk.id]
                assert twin.chunk.source != passage.chunk.source
                folded += 1
    assert folded >= 5  # e.g. the Nadella quote both OpenAI articles carry

    quote = engine.retrieve(QUOTE)
    top = quote.passages[0]
    assert {top.chunk.source, *(t.chunk.source for t in top.also)} == set(THIRD_PHASE)
    plain = Engine(Settings(seeds_dir=seeds, index_dir=index, diversify=False))
    sources = [p.chunk.source for p in plain.retrieve(QUOTE).passages]
    assert set(THIRD_PHASE) <= set(sources)  # without it both take a place


def test_the_same_fact_quoted_from_two_articles_is_said_once_with_both_citations(
    built_index,
) -> None:
    seeds, index = built_index
    engine = Engine(Settings(seeds_dir=seeds, index_dir=index))
    answer = engine.ask(MODELS)
    assert answer.text.count("1,600") == 1
    assert answer.text.endswith("[1][2]")
    assert {c.source for c in answer.citations} == set(MISTRAL)
    assert any(n.startswith("reported by 2 articles") for n in answer.notices)
    assert [s["label"] for s in answer.sentences] == ["supported"]
    assert answer.passages[0]["story"] == 0


@pytest.fixture(scope="module")
def syndicated(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("syndicated")
    seeds = base / "seeds"
    shutil.copytree(SEEDS, seeds)
    wire = (SEEDS / THIRD_PHASE[1]).read_text(encoding="utf-8")
    (seeds / "005_wire_copy.txt").write_text(wire + "\nSource: Wire Daily\n", encoding="utf-8")
    index = base / "index"
    build_index(Settings(seeds_dir=seeds, index_dir=index))
    return seeds, index


def test_a_syndicated_copy_joins_its_story_and_never_takes_a_second_place(syndicated) -> None:
    seeds, index = syndicated
    engine = Engine(Settings(seeds_dir=seeds, index_dir=index))
    assert engine.retriever.stories.stories == [
        MISTRAL,
        [THIRD_PHASE[0], THIRD_PHASE[1], "005_wire_copy.txt"],
    ]
    question = "How much did Microsoft invest in OpenAI in 2019?"
    retrieval = engine.retrieve(question, k=8)
    texts = [p.chunk.text for p in retrieval.passages]
    assert len(texts) == len(set(texts)), "the copy's passages repeat the original's"
    twins = [t.chunk for p in retrieval.passages for t in p.also]
    assert any(t.source == "005_wire_copy.txt" for t in twins) or any(
        p.chunk.source == "005_wire_copy.txt" for p in retrieval.passages
    )

    plain = Engine(Settings(seeds_dir=seeds, index_dir=index, diversify=False))
    repeated = [p.chunk.text for p in plain.retrieve(question, k=8).passages]
    assert len(repeated) > len(set(repeated))  # what diversification prevents


def test_the_cli_json_and_passage_list_show_what_else_reports_it(built_index) -> None:
    seeds, index = built_index
    result = run_rag("ask", seeds, index, "--json", "--retrieve-only", QUOTE)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["passages"]
    assert all("also" in row and "story" in row for row in rows)
    twinned = rows[0]
    assert twinned["story"] == 1 and twinned["source"] in THIRD_PHASE
    (twin,) = twinned["also"]
    assert twin["source"] in THIRD_PHASE and twin["source"] != twinned["source"]
    assert set(twin) == {"source", "line_start", "line_end", "outlet"}
    where = f"also reported by {twin['source']}:{twin['line_start']}-{twin['line_end']}"
    text = run_rag("ask", seeds, index, "--retrieve-only", QUOTE)
    assert where in text.stdout
