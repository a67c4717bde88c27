"""The shipped reader deciding, as a user meets it: the real int8 model (its sha256
checked) over the bundled articles, through the library, ``rag.ask --json`` and the
generative path's gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rag
from rag.reader import CALIBRATION_PATH, MODEL_PATH, Reader
from tests.conftest import run_rag


@pytest.fixture(scope="module")
def engine(built_index: tuple[Path, Path]) -> rag.Engine:
    seeds, index = built_index
    return rag.open_engine(rag.load_settings(seeds_dir=seeds, index_dir=index, decider="reader"))


def test_the_shipped_model_is_the_pinned_one() -> None:
    pinned = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))["sha256"]
    assert Reader().sha256 == pinned
    assert MODEL_PATH.stat().st_size < 25_000_000


def test_the_reader_ranks_the_sentence_the_word_rules_missed_first(built_index) -> None:
    seeds, index = built_index
    # threshold 0: the reader's own pick, whatever its calibrated confidence
    engine = rag.open_engine(
        rag.load_settings(seeds_dir=seeds, index_dir=index, decider="reader", min_confidence=0.0)
    )
    answer = engine.ask("What valuation did Mistral reach?")
    assert not answer.refused, answer.notices
    assert "2 billion euros" in answer.text or "€2bn" in answer.text
    assert answer.decided_by == "reader" and answer.reader == Reader().sha256
    assert all(c.confidence is not None and 0 <= c.confidence <= 1 for c in answer.citations)
    for c in answer.citations:  # still verbatim, with exact spans
        text = engine.document_text(c.source)
        assert text[c.char_start : c.char_end] == c.quote


def test_the_calibrated_threshold_decides(engine) -> None:
    threshold = Reader().calibration.threshold
    for question in ("Who is the CEO of Mistral?", "What valuation did Mistral reach?"):
        answer = engine.ask(question)
        assert answer.confidence is not None
        assert answer.refused == (answer.confidence < threshold), (question, answer.confidence)


def test_what_the_articles_do_not_say_is_refused_with_a_low_confidence(engine) -> None:
    answer = engine.ask("What is the population of Mars?")
    assert answer.refused and answer.text == rag.REFUSAL
    assert answer.confidence is not None and answer.confidence < Reader().calibration.threshold


def test_a_threshold_setting_changes_the_decision(built_index: tuple[Path, Path]) -> None:
    seeds, index = built_index
    strict = rag.open_engine(
        rag.load_settings(seeds_dir=seeds, index_dir=index, decider="reader", min_confidence=1.0)
    )
    assert strict.ask("Who is the CEO of Mistral?").refused  # nothing is that sure


def test_the_json_carries_the_decision(built_index: tuple[Path, Path]) -> None:
    seeds, index = built_index
    done = run_rag(
        "ask", seeds, index, "--json", "Who is the CEO of Mistral?", env={"RAG_DECIDER": "reader"}
    )
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["decided_by"] == "reader" and 0 <= row["confidence"] <= 1
    assert row["reader"] == Reader().sha256
    assert all("confidence" in c for c in row["citations"])
    assert all("confidence" in s for s in row["sentences"])


def test_a_generative_backend_is_not_asked_when_the_reader_refuses(engine) -> None:
    class FakeGenerator:
        asked = 0

        def answer(self, question, passages, conversation):  # pragma: no cover - must not run
            FakeGenerator.asked += 1
            raise AssertionError("the model was asked")

    answer = engine.ask("What is the population of Mars?", generator=FakeGenerator())
    assert answer.refused and FakeGenerator.asked == 0
    assert any("no model was asked" in n for n in answer.notices)
