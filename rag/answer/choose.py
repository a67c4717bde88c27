"""Which of a model's checked answers to show, when it was asked again (resampling).

A 1.5B model told what its sentence got wrong repeats the sentence word for word;
sampled again, it often keeps to the passage's words. The checks then choose: the
better-supported answer, but never one that loses what the first answer had right
(a sampled answer can be "supported" by saying something else: "Until the oil shock,
the price had remained stable" for "When did OPEC start to readjust oil prices?",
where the first answer gave the year its passage gives).

An answer can also be wholly supported and no answer: "The second oil crisis was later
called the second oil shock" for "When was the second oil crisis?". Where the words of
an answer show the kind of fact asked for (a date for "when", a figure for "how much",
a number for "how many"), one without it is short of an answer, asked again the same
way, and, when no try gives it, replaced by the quoted answer (rag/answer/engine.py).
"""

from __future__ import annotations

import re
from typing import cast

from rag.answer.extractive import has_type
from rag.model import Answer
from rag.text import facts
from rag.text.lexicon import NOT_NAMES
from rag.text.markers import MARKER
from rag.text.question import answer_type, clauses, entities
from rag.text.support import PARTLY, SUPPORTED, UNSUPPORTED, mentions, said

#: The kinds of fact an answer's words show surely (names and places are read less
#: surely, and are not checked here), and what each is called in a notice.
SHOWN_KINDS = {"date": "date", "number": "figure", "count": "number"}


_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
_DIGIT = re.compile(r"\d")


def asked_kind(question: str) -> str | None:
    """The kind of fact a one-part question asks for, when an answer's words show it."""
    kind = answer_type(question)
    return kind if kind in SHOWN_KINDS and len(clauses(question)) == 1 else None


def gives(answer: Answer, kind: str | None) -> bool:
    """Whether ``answer`` holds the kind of fact asked for (any, when none is)."""
    if kind is None or answer.refused:
        return True
    for row in answer.sentences:
        text = MARKER.sub(" ", str(row["text"]))
        if kind == "number":  # "How much…?" is not answered by "in 2019"
            text = _YEAR.sub(" ", text)
        # the quoted answerer's dates are news dates (1800-2099, months): "in 1596" and
        # "the 10th century" answer "when" too, so any figure counts for a date here
        if has_type(kind, text) or (kind == "date" and _DIGIT.search(text)):
            return True
    return False


def short_of_answer(answer: Answer, kind: str | None) -> bool:
    """An answer that does not hold the kind of fact its question asks for."""
    return not gives(answer, kind)


def short_of_support(answer: Answer) -> bool:
    """An answer with a sentence the checks did not find wholly supported."""
    return not answer.refused and not_supported(answer) > 0


def not_supported(answer: Answer) -> int:
    """Sentences of ``answer`` not wholly supported ("partly" or "unsupported")."""
    return sum(s["label"] != SUPPORTED for s in answer.sentences)


def support_rank(answer: Answer) -> tuple[bool, int, int, int]:
    """Better first: an answer over a refusal, then fewer unsupported sentences, fewer
    partly supported ones, more supported ones."""
    labels = [s["label"] for s in answer.sentences]
    return (
        not answer.refused,
        -labels.count(UNSUPPORTED),
        -labels.count(PARTLY),
        labels.count(SUPPORTED),
    )


def kept_facts(answer: Answer, question: str, texts: dict[int, str]) -> list[str]:
    """What ``answer`` says that its cited passages give, and the question does not:
    each figure, date or quote found in the passages it cites, and each name."""
    asked = said(question)
    found: list[str] = []
    for row in answer.sentences:
        plain = " ".join(MARKER.sub(" ", str(row["text"])).split())
        numbers = cast(list[int], row["citations"])
        cited = " ".join(texts[n] for n in numbers if n in texts)
        if not cited:
            continue
        absent = facts.missing(plain, cited)
        unasked = facts.missing(plain, question)  # "in 2019" for "…in 2019?" is no news
        found += [
            f.text or str(f.value) for f in facts.extract(plain) if f not in absent and f in unasked
        ]
        have = said(cited)
        found += [
            n
            for n in dict.fromkeys(entities(plain))
            if n not in NOT_NAMES and mentions(have, n) and not mentions(asked, n)
        ]
    return list(dict.fromkeys(found))


def keeps(candidate: Answer, wanted: list[str]) -> bool:
    """Whether ``candidate`` still says each of ``wanted`` (facts matched as facts:
    "$13bn" is "$13 billion"; names as words)."""
    text = candidate.text
    names = said(text)
    for item in wanted:
        if facts.extract(item):
            if facts.missing(item, text):
                return False
        elif not mentions(names, item):
            return False
    return True


def better(candidate: Answer, best: Answer, wanted: list[str], kind: str | None = None) -> bool:
    """Whether ``candidate`` should replace ``best``: better supported (as well
    supported and giving the ``kind`` of fact asked for where ``best`` does not), and
    keeping what the first answer had from its passages."""

    def rank(answer: Answer) -> tuple[bool, int, int, bool, int]:
        fits, unsupported, partly, supported = support_rank(answer)
        return (fits, unsupported, partly, gives(answer, kind), supported)

    return rank(candidate) > rank(best) and keeps(candidate, wanted)
