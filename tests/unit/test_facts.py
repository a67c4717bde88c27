"""Number, money, date and quote normalisation (rag/text/facts.py): pure text, no model."""

import pytest

from rag.text.facts import extract, missing


def values(text: str) -> list[tuple[str, float | str, str | None]]:
    return [(f.kind, f.value, f.unit) for f in extract(text)]


@pytest.mark.parametrize(
    ("sentence", "cited"),
    [
        ("Microsoft put $13 billion into OpenAI.", "Microsoft has invested $13bn into OpenAI"),
        ("It invested 13 billion dollars.", "Microsoft has invested $13bn"),
        ("It is thought to be $10 billion.", "around the $10billion mark"),
        ("The round raised €400 million.", "a round of funding worth approximately €400mn"),
        ("a 49 per cent stake", "a 49% net stake"),
        ("1600 models", "1,600 AI models"),
        ("ten times its first investment", "10 times its first investment"),
        ("the second company", "became the second company"),
        ("three quarters of the profits", "three-quarters of OpenAI’s profits"),
        ("On 26 Feb 2024 it was announced.", "Announced on 2024-02-26."),
        ("on Monday", "with Paris-based Mistral Monday"),
        (
            "Smith called them “very important partners”.",
            'both are "very important partners", he said',
        ),
        ("They don’t “control OpenAI”.", "“Microsoft doesn't control OpenAI”"),
    ],
)
def test_one_fact_in_another_spelling_is_found(sentence: str, cited: str) -> None:
    assert missing(sentence, cited) == []


@pytest.mark.parametrize(
    ("sentence", "cited", "flagged"),
    [
        ("Microsoft invested $10 billion.", "Microsoft has invested $13bn", "$10 billion"),
        ("It raised €400 million.", "It raised $400 million.", "€400 million"),  # currency
        ("It raised $400 million.", "It raised $400 billion.", "$400 million"),  # scale
        ("a 51% stake", "a 49% net stake", "51%"),
        ("the third company", "became the second company", "third"),
        ("in March", "in December", "March"),
        ("In 2021 it invested.", "In 2019 it invested.", "2021"),
        ("1,500 models", "1,600 AI models", "1,500"),
        ("He said “Microsoft controls OpenAI”.", "“Microsoft doesn’t control OpenAI”", "controls"),
        ("half of the profits", "three-quarters of the profits", "half"),
    ],
)
def test_a_changed_fact_is_flagged(sentence: str, cited: str, flagged: str) -> None:
    absent = missing(sentence, cited)
    assert absent and flagged in absent[0].text


def test_scale_letters_count_only_after_money() -> None:
    assert values("a Series B round") == []
    assert values("$5m") == [("amount", 5e6, "USD")]
    assert values("May I ask") == []  # the modal verb is not a month
    assert values("by May 2023")[0] == ("amount", 2023.0, None)
