from pathlib import Path

import pytest

from rag.clean import clean_lines, is_headline_like, is_prose

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
