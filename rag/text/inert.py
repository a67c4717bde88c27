"""A model's text while it streams, made inert before anyone renders it.

The text is unchecked and may carry what a planted instruction asked for: an image
that a Markdown client fetches (``![x](http://…)``), a link, HTML, a bare URL, or a
terminal escape sequence. The constructs span token boundaries, so this works one
character at a time with the few characters before it as memory: ``](`` and ``![``
are broken by escaping their second character, ``<`` and ``>`` become entities, a
URL scheme or ``www.`` gets a zero-width space before its ``:`` or ``.``, and control
characters (ESC and the like) are dropped.
"""

from __future__ import annotations

ZWSP = "\u200b"
_SCHEMES = ("http", "https", "ftp", "file", "javascript", "data", "vbscript")
_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\n\t"} | {"\x7f"}


class InertStream:
    """Feed deltas in order; each call returns the safe text for that delta.
    ``markdown`` False: for a terminal, where only control characters matter."""

    def __init__(self, markdown: bool = True) -> None:
        self.markdown = markdown
        self._tail = ""  # the last characters seen (as written by the model)

    def feed(self, delta: str) -> str:
        out = []
        for ch in delta:
            if ch in _CONTROL:
                continue
            out.append(self._safe(ch) if self.markdown else ch)
            self._tail = (self._tail + ch)[-12:]
        return "".join(out)

    def _safe(self, ch: str) -> str:
        previous = self._tail[-1:] if self._tail else ""
        if ch == "<":
            return "&lt;"
        if ch == ">":
            return "&gt;"
        if ch == "(" and previous == "]":
            return "\\("  # no link: "](" is never formed
        if ch == "[" and previous == "!":
            return "\\["  # no image: "![" is never formed
        if ch == ":" and self._tail.lower().endswith(_SCHEMES):
            return ZWSP + ":"
        if ch == "." and self._tail.lower().endswith("www"):
            return ZWSP + "."
        return ch


def inert(text: str, markdown: bool = True) -> str:
    """The whole text at once, as a stream of it would come out."""
    return InertStream(markdown).feed(text)
