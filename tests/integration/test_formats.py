"""Every supported format, end to end: metadata from the format itself, spans defined on
the text the index keeps (the file for .txt/.md, the extracted text for .html/.pdf)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import Engine, Settings, build_index

FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    base = tmp_path_factory.mktemp("formats")
    seeds = base / "seeds"
    shutil.copytree(FORMATS, seeds)
    settings = Settings(seeds_dir=seeds, index_dir=base / "index")
    report = build_index(settings)
    assert report.files_indexed == 4 and not report.skipped
    return Engine(settings)


@pytest.mark.parametrize(
    ("question", "source", "fact", "meta"),
    [
        (
            "How much will Acme pay for Widget Co?",
            "acme.html",
            "2 billion dollars",
            ("Acme buys Widget Co", "Example News", "2024-02-26"),
        ),
        (
            "How much did the new harbour cost?",
            "harbour.md",
            "750 million euros",
            ("Port of Zeeland opens a new harbour", "Coastal Times", "2023-06-01"),
        ),
        (
            "How many tonnes of apples did growers pick?",
            "orchard.txt",
            "12,000 tonnes",
            ("Record apple harvest in the valley", "Valley Herald", "2022-10-15"),
        ),
        (
            "How many grey seal pups were counted?",
            "seals.pdf",
            "310 grey seal pups",
            ("Seal pups at record high", None, None),
        ),
    ],
)
def test_each_format_answers_with_exact_spans_and_metadata(
    engine: Engine, question: str, source: str, fact: str, meta: tuple
) -> None:
    answer = engine.ask(question)
    assert not answer.refused and fact in answer.text
    citation = answer.citations[0]
    assert citation.source == source
    text = engine.document_text(source)
    assert text[citation.char_start : citation.char_end] == citation.quote
    assert citation.quote in text.split("\n")[citation.line_start - 1]
    assert (citation.title, citation.outlet, citation.published) == meta


def test_html_navigation_and_related_links_are_not_indexed(engine: Engine) -> None:
    text = engine.document_text("acme.html")
    assert "Home" not in text and "Other story" not in text and "Copyright" not in text


def test_markdown_front_matter_keeps_line_numbers(engine: Engine) -> None:
    answer = engine.ask("How much did the new harbour cost?")
    assert answer.citations[0].line_start == 10  # the line in the .md file itself
    raw = (FORMATS / "harbour.md").read_text(encoding="utf-8").split("\n")
    assert answer.citations[0].quote in raw[9]
