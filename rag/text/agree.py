"""Do two sentences from different articles report the same thing, and do they agree?

Two sentences are *about the same thing* when each holds most of the other's content
words (numbers aside): "Acme hired 120 engineers for its Leeds plant" and "Acme hired 150
engineers for its Leeds plant this spring". Then:

- ``same``     their figures, dates and quotes agree (or neither has any): corroboration,
               "reported by 2 articles";
- ``differs``  each gives a figure of the same kind that the other lacks: the sources
               differ, and the answer cites both sides, oldest first where dated;
- ``detail``   one gives a figure and the other says it is not known ("not disclosed",
               "unconfirmed"): a difference in detail, shown as such, not as a conflict.

Within one story (rag/index/stories.py) a looser rule holds too: two sentences that each say
a figure is not known, one of them giving an estimate ("around the $10billion mark … the
exact figure remains unconfirmed" / "the exact amount of which has not been disclosed"),
differ in detail even when they share few words (``estimate_vs_unknown``).

The seeds mostly agree, which tests not crying wolf: "$13bn invested in total" and "$1
billion in 2019" are not about the same thing (they share too few words), so they are
never called a conflict.
"""

from __future__ import annotations

import re

from rag.text import facts
from rag.text.support import checker

SAME, DIFFERS, DETAIL = "same", "differs", "detail"
OVERLAP = 0.6  # share of each sentence's content words the other must hold
_UNKNOWN = re.compile(
    r"\bnot (yet )?(been )?(disclosed|confirmed|available|known|revealed|made public)\b"
    r"|\bundisclosed\b|\bunconfirmed\b|\bremains? unknown\b|\bdid not say\b",
    re.IGNORECASE,
)
_FIGURES = ("amount", "percent", "fraction")


def overlap(a: str, b: str) -> float:
    """The smaller of the two shares of content words one sentence holds of the other."""
    terms = checker().terms
    first, second = terms(a), terms(b)
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return min(shared / len(first), shared / len(second))


def compare(a: str, b: str) -> str | None:
    """``same``, ``differs`` or ``detail``; None when they are not about the same thing."""
    if overlap(a, b) < OVERLAP:
        return None
    mine = [f for f in facts.extract(a) if f.kind in _FIGURES]
    theirs = [f for f in facts.extract(b) if f.kind in _FIGURES]
    if mine and theirs:
        only_mine = [f for f in mine if not any(f.matches(o) for o in theirs)]
        only_theirs = [f for f in theirs if not any(f.matches(o) for o in mine)]
        return DIFFERS if only_mine and only_theirs else SAME
    if (mine and _UNKNOWN.search(b)) or (theirs and _UNKNOWN.search(a)):
        return DETAIL
    return SAME


def says_unknown(text: str) -> bool:
    """Says a figure is not known: "not disclosed", "unconfirmed", "did not say"."""
    return bool(_UNKNOWN.search(text))


def estimate_vs_unknown(a: str, b: str) -> bool:
    """Both say a figure is not known and only one gives one (an estimate), sharing at
    least one content word: for two articles already known to tell one story."""
    if not (says_unknown(a) and says_unknown(b)):
        return False
    figures = [any(f.kind in _FIGURES for f in facts.extract(text)) for text in (a, b)]
    terms = checker().terms
    return figures[0] != figures[1] and bool(terms(a) & terms(b))
