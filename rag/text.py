"""Pure text helpers: sentence spans, line numbers, words. No I/O."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

# Words that end with a period without ending a sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "inc",
    "ltd",
    "co",
    "corp",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "no",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "gen",
    "gov",
    "sen",
    "rep",
    "approx",
}
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
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
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
