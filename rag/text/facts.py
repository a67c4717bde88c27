"""Numbers, money, percentages, dates and quoted phrases in a sentence, normalised so
that "$13bn", "$13 billion" and "13 billion dollars" are one fact. Pure text; no model.

``missing(sentence, cited)`` lists what the sentence states that the cited text does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.lexicon import (
    CURRENCY_SIGN,
    CURRENCY_WORD,
    FRACTION,
    MONTHS,
    ORDINAL,
    SCALE,
    WEEKDAYS,
    WORD_NUMBER,
)

_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)}

_AMOUNT = re.compile(
    r"(?P<sign>us\$|[$€£¥₩])?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|mln|bn|mn|tn|k|m|b)\b)?"
    r"(?:\s?(?P<pct>%|per ?cent\b|percent\b))?"
    r"(?:\s(?P<cur>dollars?|euros?|pounds?|sterling|yen|won|usd|eur|gbp)\b)?",
    re.IGNORECASE,
)
_WORDS = re.compile(
    r"\b(?P<word>" + "|".join(sorted(WORD_NUMBER, key=len, reverse=True)) + r")\b"
    r"(?:[\s-](?P<scale>thousand|million|billion|trillion)\b)?"
    r"(?:\s(?P<cur>dollars?|euros?|pounds?)\b)?",
    re.IGNORECASE,
)
_ORDINALS = re.compile(r"\b(" + "|".join(ORDINAL) + r")\b", re.IGNORECASE)
_FRACTIONS = re.compile(r"\b(three[- ]quarters|half|quarter)\b", re.IGNORECASE)
_MONTH = re.compile(
    r"\b(" + "|".join(MONTHS[:4] + MONTHS[5:]) + r"|May(?=\s+\d)|"
    r"(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?(?=\s+\d))\b",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_QUOTE = re.compile(r"“([^”]{3,}?)”|\"([^\"]{3,}?)\"")


@dataclass(frozen=True)
class Fact:
    kind: str  # "amount" | "percent" | "ordinal" | "fraction" | "month" | "weekday" | "quote"
    value: float | str
    unit: str | None = None  # currency of an amount
    text: str = ""  # as written in the sentence

    def matches(self, other: Fact) -> bool:
        if self.kind == "quote":
            return other.kind == "quote" and self.value == other.value
        if self.kind in ("month", "weekday"):
            return other.kind == self.kind and self.value == other.value
        if other.kind not in ("amount", "percent", "ordinal", "fraction"):
            return False
        if self.unit and other.unit and self.unit != other.unit:
            return False
        if self.kind == "percent" and other.kind not in ("percent", "amount"):
            return False
        a, b = float(self.value), float(other.value)
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def extract(text: str) -> list[Fact]:
    """Every number-like fact and quoted phrase in ``text``."""
    clean = text.replace("\u00a0", " ")
    facts, taken = _dates(clean)
    facts += _amounts(clean, taken)
    facts += _number_words(clean)
    facts += _named(clean)
    return facts


def _dates(clean: str) -> tuple[list[Fact], list[tuple[int, int]]]:
    """ISO dates as year, month and day; with the spans they take."""
    facts: list[Fact] = []
    taken: list[tuple[int, int]] = []
    for match in _ISO_DATE.finditer(clean):
        year, month, day = (int(g) for g in match.groups())
        facts += [Fact("amount", year, None, match.group()), Fact("month", month, None, "")]
        facts.append(Fact("amount", day, None, ""))
        taken.append(match.span())
    return facts, taken


def _amounts(clean: str, taken: list[tuple[int, int]]) -> list[Fact]:
    """Numbers written in digits, with their currency, scale or percent sign."""
    facts: list[Fact] = []
    for match in _AMOUNT.finditer(clean):
        if any(s <= match.start("num") < e for s, e in taken):
            continue
        value = _number(match.group("num"))
        scale = (match.group("scale") or "").lower()
        sign = (match.group("sign") or "").lower()
        word = (match.group("cur") or "").lower()
        unit = CURRENCY_SIGN.get(sign) or CURRENCY_WORD.get(word)
        if scale in ("m", "b", "k") and not unit:
            scale = ""  # "5 m" (metres?) or "Series B": a scale letter only counts after money
        value *= SCALE.get(scale, 1.0)
        kind = "percent" if match.group("pct") else "amount"
        facts.append(Fact(kind, value, unit, match.group().strip()))
    return facts


def _number_words(clean: str) -> list[Fact]:
    """Numbers written in words ("three", "two million euros")."""
    facts: list[Fact] = []
    fractions = [m.span() for m in _FRACTIONS.finditer(clean)]
    for match in _WORDS.finditer(clean):
        if any(s <= match.start() < e for s, e in fractions):
            continue  # the "three" of "three-quarters"
        value = WORD_NUMBER[match.group("word").lower()] * SCALE.get(
            (match.group("scale") or "").lower(), 1.0
        )
        unit = CURRENCY_WORD.get((match.group("cur") or "").lower())
        facts.append(Fact("amount", value, unit, match.group()))
    return facts


def _named(clean: str) -> list[Fact]:
    """Ordinals, fractions, months, weekdays and quoted phrases."""
    facts = [
        Fact("ordinal", ORDINAL[m.group(1).lower()], None, m.group())
        for m in _ORDINALS.finditer(clean)
    ]
    for match in _FRACTIONS.finditer(clean):
        key = match.group(1).lower().replace("-", " ")
        facts.append(Fact("fraction", FRACTION.get(key, 0.75), None, match.group()))
    for match in _MONTH.finditer(clean):
        name = match.group(1).lower().rstrip(".")
        number = MONTHS.index(name) + 1 if name in MONTHS else _MONTH_ABBR[name[:3]]
        facts.append(Fact("month", number, None, match.group()))
    facts += [
        Fact("weekday", m.group(1).lower(), None, m.group()) for m in _WEEKDAY.finditer(clean)
    ]
    for match in _QUOTE.finditer(clean):
        quoted = normal_quote(match.group(1) or match.group(2))
        if len(quoted.split()) >= 2:
            facts.append(Fact("quote", quoted, None, match.group()))
    return facts


def normal_quote(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").lower()
    return " ".join(re.findall(r"[a-z0-9']+", text))


def missing(sentence: str, cited: str) -> list[Fact]:
    """Facts of ``sentence`` that no fact of ``cited`` matches (quotes: as a phrase)."""
    have = extract(cited)
    cited_words = " " + normal_quote(cited) + " "
    absent = []
    for fact in extract(sentence):
        if fact.kind == "quote":
            if f" {fact.value} " not in cited_words:
                absent.append(fact)
        elif not any(fact.matches(other) for other in have):
            absent.append(fact)
    return absent


def describe(fact: Fact) -> str:
    shown = fact.text or str(fact.value)
    kinds = {
        "quote": "quoted phrase",
        "month": "date",
        "weekday": "date",
        "percent": "percentage",
        "ordinal": "number",
        "fraction": "number",
    }
    kind = kinds.get(fact.kind, "money amount" if fact.unit else "number")
    return f"{kind} {shown!r} is not in the cited passage"
