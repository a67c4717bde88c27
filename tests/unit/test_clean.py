from pathlib import Path

import pytest

from rag.ingest.clean import clean_lines, is_headline_like, is_prose
from rag.model import ArticleMeta

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
LABELS = Path(__file__).resolve().parents[1] / "fixtures" / "labels"


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_labels_match_the_hand_checked_fixture(name: str) -> None:
    lines = (SEEDS / name).read_text(encoding="utf-8").split("\n")
    expected = (LABELS / f"{name}.labels").read_text().split("\n")[: len(lines)]
    got = list(clean_lines(lines).labels)
    pairs = enumerate(zip(expected, got, strict=True))
    diffs = [(i + 1, e, g, lines[i][:50]) for i, (e, g) in pairs if e != g]
    assert not diffs


def test_headline_list_in_the_middle_does_not_end_the_article() -> None:
    lines = (SEEDS / "001_897f894024ca4c72.txt").read_text(encoding="utf-8").split("\n")
    labels = clean_lines(lines).labels
    assert labels[9] == "boilerplate"  # "Hot Picks Today"
    assert set(labels[10:15]) == {"boilerplate"}
    assert labels[15] == "body"  # the article goes on after the list


def test_metadata_is_extracted() -> None:
    def meta(name: str):
        return clean_lines((SEEDS / name).read_text(encoding="utf-8").split("\n")).meta

    assert meta("001_897f894024ca4c72.txt").outlet == "The Asia Business Daily"
    assert meta("001_897f894024ca4c72.txt").title.startswith("OpenAI Investor Microsoft")
    assert meta("004_3ca911a4c31bdd1a.txt").outlet == "La Neta Neta"
    assert meta("004_3ca911a4c31bdd1a.txt").byline == "Jason Jack"
    assert meta("000_1e069c046a7fec7f.txt").outlet == "Stockmark.IT"
    assert meta("003_6bf9b9a1e930f917.txt").title.startswith("Microsoft Makes Multi-Billion")


def test_an_unseen_layout_is_cleaned_by_shape() -> None:
    lines = [
        "Tech",
        "Acme Buys Widget Maker For Record Sum",
        "",
        "Acme said on Tuesday that it agreed to buy the widget maker for an undisclosed sum.",
        "Read more",
        "- Another Headline About Something Else Entirely",
        "- Yet Another Story Title Here",
        "The deal is expected to close next year, the company said in a statement on Tuesday.",
        "By Jane Doe",
        "Copyright 2024 Example News. All rights reserved.",
    ]
    cleaned = clean_lines(lines)
    assert cleaned.labels == (
        "boilerplate",
        "title",
        "blank",
        "body",
        "boilerplate",
        "boilerplate",
        "boilerplate",
        "body",
        "meta",
        "meta",
    )
    assert cleaned.meta.byline == "Jane Doe"
    assert cleaned.meta.outlet == "Example News"


def test_shape_predicates() -> None:
    assert is_headline_like("Microsoft Makes Multi-Billion Dollar Investment in OpenAI")
    assert not is_headline_like("Microsoft has made a small investment but holds no equity.")
    assert is_prose("Microsoft has made a small investment but holds no equity in Mistral.")


# -- publication dates from the article's own text (cleaner version 2) -----------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["Acme opens plant", "LEEDS, Feb. 26, 2024 (Reuters) — Acme opened a plant today."],
            "2024-02-26",
        ),
        (
            ["Acme opens plant", "PARIS, 26 February 2024 – Acme opened a new plant in Paris."],
            "2024-02-26",
        ),
        (
            ["Acme opens plant", "NEW YORK, March 3rd, 2023: Acme opened a new plant here."],
            "2023-03-03",
        ),
        (
            ["Acme opens plant", "Published: March 3, 2023 at 10:15 am", "Acme opened a plant."],
            "2023-03-03",
        ),
        (
            ["Acme opens plant", "Date: 2023-03-03", "Acme opened a new plant in Paris today."],
            "2023-03-03",
        ),
        # no year: no date, rather than a guessed one
        (["Acme opens plant", "Feb 26 (Reuters) - Acme opened a new plant in Paris today."], None),
        # a date inside a sentence is not a dateline
        (
            ["Acme opens plant", "Acme said on March 3, 2023 - its best day - it opened a plant."],
            None,
        ),
    ],
)
def test_dates_come_from_datelines_and_published_lines(lines, expected) -> None:
    assert clean_lines(lines).meta.published == expected


def test_a_date_line_is_metadata_and_a_dateline_stays_article_text() -> None:
    cleaned = clean_lines(
        [
            "Acme opens plant",
            "Published: 3 March 2023",
            "LEEDS, 2 March 2023 — Acme opened a new battery plant in Leeds, hiring 120 engineers.",
        ]
    )
    assert cleaned.labels == ("title", "meta", "body")
    assert cleaned.meta.published == "2023-03-03"  # the first date found wins


def test_given_metadata_wins_over_a_dateline() -> None:
    cleaned = clean_lines(
        ["Acme opens plant", "LEEDS, 2 March 2023 — Acme opened a new plant."],
        ArticleMeta(published="2023-01-01"),
    )
    assert cleaned.meta.published == "2023-01-01"
