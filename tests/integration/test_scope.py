"""Limiting a question to some articles (rag/answer/scope.py), on dated fixtures of our own:
the seeds carry no dates. Both retrievers and the lead ranking must honour the scope."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from rag import ConfigError, Engine, Scope, Settings, build_index
from rag.cli.gold import load_gold
from rag.text.dates import parse_date
from tests.conftest import ROOT, SEEDS, run_rag

EARLY = """---
title: Acme hires engineers
outlet: Harbour Times
date: 2023-03-01
---
Acme Robotics hired 120 engineers for its Leeds plant, the company said.
The Leeds plant builds warehouse robots.
"""
LATE_HTML = """<html><head><title>Acme grows again</title>
<meta property="article:published_time" content="2024-05-10T09:00:00Z">
<meta property="og:site_name" content="Valley Post"></head><body><article>
<h1>Acme grows again</h1>
<p>Acme Robotics hired 150 engineers for its Leeds plant this spring, its chief executive said.</p>
<p>The hiring follows a new contract with a grocery chain.</p>
</article></body></html>
"""
SIDECAR_TEXT = "Acme Robotics opened a second plant in York with 40 staff.\n"


@pytest.fixture(scope="module")
def dated(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("dated")
    seeds = base / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "acme-early.md").write_text(EARLY, encoding="utf-8")
    (seeds / "acme-late.html").write_text(LATE_HTML, encoding="utf-8")
    (seeds / "acme-york.txt").write_text(SIDECAR_TEXT, encoding="utf-8")
    (seeds / "acme-york.txt.meta.json").write_text(
        json.dumps({"published": "26 February 2025", "outlet": "North News"}), encoding="utf-8"
    )
    build_index(Settings(seeds_dir=seeds, index_dir=base / "index"))
    return seeds, base / "index"


def engine_for(dated) -> Engine:
    seeds, index = dated
    return Engine(Settings(seeds_dir=seeds, index_dir=index))


QUESTION = "How many engineers did Acme Robotics hire for its Leeds plant?"


def test_a_date_range_keeps_every_ranking_to_the_articles_in_it(dated) -> None:
    engine = engine_for(dated)
    unscoped = engine.ask(QUESTION, k=8)
    assert {"acme-early.md", "acme-late.html"} <= {p["source"] for p in unscoped.passages}

    answer = engine.ask(QUESTION, k=8, scope=Scope.from_args(since="2024-01-01"))
    sources = {p["source"] for p in answer.passages} | {c.source for c in answer.citations}
    assert sources <= {"acme-late.html", "acme-york.txt"}  # k=8 > the matches: no leaks
    assert "150" in answer.text and "120" not in answer.text
    assert "limited to since 2024-01-01" in answer.notices
    assert any("5 article(s) without a publication date" in n for n in answer.notices)


def test_until_source_and_outlet(dated) -> None:
    engine = engine_for(dated)
    early = engine.ask(QUESTION, scope=Scope.from_args(until="2023-12-31"))
    assert "120" in early.text and {c.source for c in early.citations} == {"acme-early.md"}

    only = engine.retrieve(QUESTION, k=10, scope=Scope.from_args(sources=["acme-york*"]))
    assert {p.chunk.source for p in only.passages} == {"acme-york.txt"}

    outlet = engine.ask(QUESTION, k=6, scope=Scope.from_args(outlets=["valley"]))
    assert {p["source"] for p in outlet.passages} == {"acme-late.html"}


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_retriever_alone_honours_the_scope(dated, mode: str) -> None:
    engine = engine_for(dated)
    scope = Scope.from_args(sources=["000_*"])
    got = engine.retrieve("Who is the CEO of Mistral?", k=20, mode=mode, scope=scope)
    assert got.passages and {p.chunk.source for p in got.passages} == {"000_1e069c046a7fec7f.txt"}


def test_a_scope_nothing_matches_is_a_clear_error(dated) -> None:
    with pytest.raises(ConfigError, match="no indexed article matches outlet Nowhere"):
        engine_for(dated).ask(QUESTION, scope=Scope.from_args(outlets=["Nowhere"]))


def test_the_cli_flags_and_the_article_list(dated) -> None:
    seeds, index = dated
    listed = run_rag("ask", seeds, index, "--list", "--json")
    rows = {r["source"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["acme-early.md"]["published"] == "2023-03-01"
    assert rows["acme-late.html"]["published"] == "2024-05-10"
    assert rows["acme-york.txt"]["published"] == "2025-02-26"
    assert rows["000_1e069c046a7fec7f.txt"]["published"] is None

    got = run_rag(
        "ask", seeds, index, "--json", "--since", "2024-01-01", "--until", "2024-12-31", QUESTION
    )
    answer = json.loads(got.stdout)
    assert {c["source"] for c in answer["citations"]} == {"acme-late.html"}

    bad = run_rag("ask", seeds, index, "--since", "last tuesday", QUESTION)
    assert bad.returncode == 2 and "write it as YYYY-MM-DD" in bad.stderr
    backwards = run_rag(
        "ask", seeds, index, "--since", "2025-01-01", "--until", "2024-01-01", QUESTION
    )
    assert backwards.returncode == 2 and "is after" in backwards.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-26", date(2024, 2, 26)),
        ("2024-02-26T09:00:00Z", date(2024, 2, 26)),
        ("26 February 2024", date(2024, 2, 26)),
        ("Feb 26, 2024", date(2024, 2, 26)),
        ("February 26th, 2024", date(2024, 2, 26)),
        ("2024/02/26", date(2024, 2, 26)),
        ("February 2024", date(2024, 2, 1)),
        ("2024", date(2024, 1, 1)),
        ("last tuesday", None),
        ("", None),
    ],
)
def test_dates_in_the_spellings_articles_use(text: str, expected) -> None:
    assert parse_date(text) == expected


# -- same story, agreement and disagreement (rag/text/agree.py) ----------------------------


def test_two_outlets_giving_other_figures_are_both_cited_oldest_first(dated) -> None:
    answer = engine_for(dated).ask(QUESTION)
    assert "120" in answer.text and "150" in answer.text  # both sides are quoted
    differs = [r for r in answer.relations if r["kind"] == "differs"]
    assert len(differs) == 1
    sides = differs[0]["sides"]
    assert [s["source"] for s in sides] == ["acme-early.md", "acme-late.html"]  # by date
    notice = next(n for n in answer.notices if n.startswith("sources differ"))
    assert "Harbour Times, 2023-03-01" in notice and "Valley Post" in notice


def test_the_seeds_agree_and_are_never_called_a_conflict(built_index) -> None:
    seeds, index = built_index
    engine = Engine(Settings(seeds_dir=seeds, index_dir=index))
    kinds = []
    for gold in load_gold(ROOT / "eval" / "gold.jsonl"):
        kinds += [r["kind"] for r in engine.ask(gold.q).relations]
    assert "differs" not in kinds  # the seeds never contradict each other
    assert kinds.count("same") >= 3  # e.g. the 1,600 models, the $13bn and regulators

    # an estimate in one OpenAI article, "not disclosed" in the other: a detail
    detail = engine.ask("How much is the third-phase investment in OpenAI thought to be?")
    (relation,) = detail.relations
    assert relation["kind"] == "detail"
    assert {s["source"] for s in relation["sides"]} == {
        "003_6bf9b9a1e930f917.txt",
        "004_3ca911a4c31bdd1a.txt",
    }
    assert "$10billion" in detail.text and "has not been disclosed" in detail.text
    assert any(n.startswith("sources differ in detail") for n in detail.notices)

    both = engine.ask("How many AI models does Microsoft run in its data centers?")
    assert [r["kind"] for r in both.relations] == ["same"]
    assert {c.source for c in both.citations} == {
        "000_1e069c046a7fec7f.txt",
        "001_897f894024ca4c72.txt",
    }
    assert any(n.startswith("reported by 2 articles") for n in both.notices)
