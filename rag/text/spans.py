"""Pure text helpers: sentence spans, line numbers, words. No I/O."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from rag.text.lexicon import ABBREVIATIONS, DEMONYMS, LEADER_WORDS, SPELLED_OUT, SYNONYMS

# A sentence ends at . ! ? (plus closing quotes/brackets), then space, then a
# capital, digit, quote or bracket.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9£$€])")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the sentences in ``text[start:end]``.

    Spans are trimmed of surrounding white space and never cross a newline.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line_start, line_end in _line_spans(text, start, end):
        cursor = line_start
        for match in _BOUNDARY.finditer(text, line_start, line_end):
            stop = match.start() + len(match.group().rstrip())
            before = text[cursor : match.start()].split()
            last_word = before[-1].lower().rstrip(".") if before else ""
            if last_word in ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue
            spans.append((cursor, stop))
            cursor = match.end()
        if cursor < line_end:
            spans.append((cursor, line_end))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _line_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    pos = start
    while pos < end:
        newline = text.find("\n", pos, end)
        stop = end if newline == -1 else newline
        yield pos, stop
        pos = stop + 1


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class LineIndex:
    """Maps character offsets to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def span(self, line: int) -> tuple[int, int]:
        """Character span of 1-based ``line`` (without its newline)."""
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else None
        return start, end if end is not None else -1


_WORD = re.compile(r"[a-z0-9]+(?:['’.][a-z0-9]+)*")


def words(text: str) -> list[str]:
    """Lower-case word tokens (keeps 2.5, 1,600 → 1 600, u.s)."""
    return _WORD.findall(text.lower())


_VARIANTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bchief executive(?: officer)?\b|\bCEO\b", re.I), "CEO"),
    (re.compile(r"\bchief technology officer\b|\bCTO\b", re.I), "CTO"),
    (re.compile(r"\bchief financial officer\b|\bCFO\b", re.I), "CFO"),
    (re.compile(r"\bU\.S\.(?!\w)|\b(?:US|USA|United States)\b"), "USA"),
    (re.compile(r"\bU\.K\.(?!\w)|\b(?:UK|United Kingdom)\b"), "Britain"),
    (re.compile(r"\b(?:EU|European Union)\b"), "EU"),
    (re.compile(r"\bR&D\b|\bresearch[- ]and[- ]development\b", re.I), "research development"),
    (re.compile(r"(?<=\d)\s?bn\b", re.I), " billion"),
    (re.compile(r"(?<=\d)\s?mn\b", re.I), " million"),
    (re.compile(r"\b(" + "|".join(DEMONYMS) + r")\b"), ""),
]


def canonical(text: str) -> str:
    """``text`` with variant spellings mapped to one form, for term matching."""
    for pattern, replacement in _VARIANTS:
        if replacement:
            text = pattern.sub(replacement, text)
        else:
            text = pattern.sub(lambda m: DEMONYMS[m.group(1)], text)
    return text


ALTERNATIVES: dict[str, tuple[str, ...]] = {
    word: tuple(other for other in group if other != word) for group in SYNONYMS for word in group
}
# "Who leads/runs/heads X?" asks for X's head, by whatever title the article uses.
LEADS = re.compile(
    r"^\s*(?:(?:and|so|but|then|also)\b[\s,]*)?who\s+(?P<verb>leads|runs|heads|led|ran|headed)\b",
    re.I,
)


def expand_query(question: str) -> str:
    """The question plus its other spellings, for keyword search: an article that
    says "chief executive" should match a question asking about the "CEO"."""
    normal = canonical(question)
    asked = set(words(question))
    extra = [w for w in dict.fromkeys(words(normal)) if w not in asked]
    extra += [
        longer for short, longer in SPELLED_OUT.items() if re.search(rf"\b{short}\b", normal)
    ]
    extra += [
        demonym for demonym, country in DEMONYMS.items() if re.search(rf"\b{country}\b", normal)
    ]
    extra += [alt for w in asked for alt in ALTERNATIVES.get(w, ()) if alt not in asked]
    if LEADS.search(question):
        extra.append(LEADER_WORDS)
    return " ".join([question, *dict.fromkeys(extra)])
