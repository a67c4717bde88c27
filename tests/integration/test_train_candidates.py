"""rag.train's candidates come from the product's own retrieval, labelled by gold."""

from __future__ import annotations

import json
from pathlib import Path

from rag import Settings, open_engine
from rag.train.candidates import candidates, label


def test_the_candidates_of_a_question_are_its_scored_sentences_with_labels(built_index) -> None:
    seeds, index = built_index
    engine = open_engine(Settings(seeds_dir=seeds, index_dir=index), build=False)
    source = "000_1e069c046a7fec7f.txt"
    row = {
        "q": "Who is the CEO of Mistral?",
        "answerable": True,
        "sources": [source],
        "keywords": [["Arthur Mensch"]],
    }
    found = list(candidates(engine, row))
    assert len(found) > 10 and engine.extractive.lazy  # lazy is restored
    answering = [c for c in found if c["label"]]
    assert answering and all(c["source"] == source and "Mensch" in c["text"] for c in answering)
    best = max(found, key=lambda c: c["coverage"] + c["similarity"])
    assert best["label"]
    text = (seeds / best["source"]).read_text(encoding="utf-8")
    assert text[best["start"] : best["end"]] == best["text"]  # spans are exact
    json.dumps(found)  # a JSON line as written by write_candidates


def test_an_unanswerable_question_has_no_answering_candidate(tmp_path: Path) -> None:
    row = {"q": "How many staff?", "answerable": False, "sources": ["a.txt"], "keywords": []}
    assert not label(row, "a.txt", "Mistral has 40 staff.")
    answerable = {**row, "answerable": True, "keywords": [["40 staff", "forty"]]}
    assert label(answerable, "a.txt", "Mistral has 40 staff.")
    assert not label(answerable, "b.txt", "Mistral has 40 staff.")  # not a gold article
