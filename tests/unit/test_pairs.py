"""Training pairs read from SQuAD-format articles (rag/train/pairs.py) and the
length-grouped batches (rag/train/cross.py): pure logic on a tiny article."""

from __future__ import annotations

import random

from rag.train.cross import batch_order
from rag.train.pairs import Mix, article_pairs, counts, split_groups

CONTEXT = (
    "The Normans were the people who gave their name to Normandy. "
    "They descended from Norse raiders led by Rollo. "
    "Their Norman duchy was founded in 911."
)
OTHER = "Normandy lies in the north of France. Its raiders sailed from Rouen, a river port."


def _article(qas: list[dict], more: list[dict] | None = None) -> dict:
    return {
        "title": "Normans",
        "paragraphs": [{"context": CONTEXT, "qas": qas}, {"context": OTHER, "qas": more or []}],
    }


def _qa(question: str, answer: str | None) -> dict:
    if answer is None:
        return {"question": question, "answers": [], "is_impossible": True, "id": question}
    return {
        "question": question,
        "answers": [{"text": answer, "answer_start": CONTEXT.index(answer)}],
        "id": question,
    }


def test_a_question_gives_its_sentence_and_paragraph_and_topical_negatives() -> None:
    pairs = article_pairs(
        [_article([_qa("Who led the Norse raiders?", "Rollo")])], mix=Mix(), seed=1
    )
    by_kind = {p.kind: p for p in pairs}
    assert counts(pairs) == {"positive": 1, "paragraph": 2, "topical": 1}
    assert by_kind["positive"].text == "Normans: They descended from Norse raiders led by Rollo."
    assert by_kind["positive"].label == 1.0
    assert all(p.label == 0.0 for p in pairs if p.kind != "positive")
    assert by_kind["topical"].text == "Normans: Its raiders sailed from Rouen, a river port."
    assert all(p.group == "Normans" for p in pairs)


def test_an_answer_stated_in_two_sentences_is_unlabelled_not_negative() -> None:
    # "Norman" stands in two sentences: which one was annotated is unknown
    qa = {"question": "Which people gave Normandy its name?", "id": "x"}
    qa["answers"] = [{"text": "Norman", "answer_start": 4}]
    pairs = article_pairs([_article([qa])], mix=Mix(), seed=1)
    assert pairs and not any(p.kind == "positive" for p in pairs)
    assert not any("norman" in p.text.split(": ", 1)[1].lower() for p in pairs)


def test_an_unanswerable_question_gives_only_negatives_from_its_article() -> None:
    pairs = article_pairs(
        [_article([_qa("When did Rollo found the duchy of Normandy?", None)])],
        mix=Mix(unanswerable=3),
        seed=1,
    )
    assert len(pairs) == 3 and {p.kind for p in pairs} == {"unanswerable"}
    assert all(p.label == 0.0 for p in pairs)


def test_sampling_keeps_every_unanswerable_question_and_is_seeded() -> None:
    qas = [_qa("Who led the Norse raiders?", "Rollo"), _qa("When was the duchy founded?", "911")]
    article = _article(qas + [_qa("Who founded Paris?", None)])
    one = article_pairs([article], mix=Mix(), questions=1, seed=3)
    assert counts(one)["positive"] == 1 and counts(one)["unanswerable"] >= 1
    assert one == article_pairs([article], mix=Mix(), questions=1, seed=3)


def test_held_out_articles_are_whole_and_seeded() -> None:
    articles = [{"title": f"T{i}", "paragraphs": []} for i in range(40)]
    kept, held = split_groups(articles, 0.1, seed=5)
    assert len(held) == 4 and len(kept) == 36
    assert {a["title"] for a in kept}.isdisjoint(a["title"] for a in held)
    assert split_groups(articles, 0.1, seed=5)[1] == held


def test_batches_cover_every_pair_once_and_group_similar_lengths() -> None:
    lengths = [random.Random(i).randint(10, 128) for i in range(3200)]
    batches = batch_order(lengths, 32, seed=1)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(3200))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches)
    assert spread / len(batches) < 10  # random batches would spread over ~100 tokens
    assert batch_order(lengths, 32, seed=1) == batches
