"""Short names an article defines for itself: "Microsoft (MS)".

News copy names a company once in full and then only by the short form it chose, so two
articles can state one fact as "MS invested" and "Microsoft invested". Each article's
table comes from its own text (no list of any corpus's names), and it is used only where
sentences are compared for meaning (same-story facts, "reported by two articles"); quotes
and citations keep the article's own words.

Only a single capitalised word counts as the full form: "artificial intelligence (AI)" or
"large language models (LLMs)" define terms every outlet uses as they are, and reading
"AI" as "artificial intelligence" in one article would part it from the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DEFINITION = re.compile(r"\b([A-Z][\w&'’-]*)\s+\(([A-Z][A-Za-z&]{1,6})\)")


def defined(text: str) -> dict[str, str]:
    """Short form → the name it stands for, from "Name (SHORT)" in ``text``."""
    table: dict[str, str] = {}
    for match in _DEFINITION.finditer(text):
        name, short = match.group(1), match.group(2)
        if sum(c.isupper() for c in short) < 2 or short in table or short == name:
            continue
        if short[0] == name[0] and _in_order(short.lower(), name.lower()):
            table[short] = name
    return table


def _in_order(letters: str, text: str) -> bool:
    """Each of ``letters`` in ``text``, in order ("ms" in "microsoft")."""
    position = 0
    for letter in letters:
        position = text.find(letter, position) + 1
        if position == 0:
            return False
    return True


def expander(table: dict[str, str]) -> Callable[[str], str]:
    """A function reading each short form of ``table`` as its name (for matching only);
    made once per article, then applied to each of its sentences."""
    if not table:
        return _same
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(table, key=len)[::-1])) + r")\b")
    return lambda text: pattern.sub(lambda m: table[m.group(1)], text)


def expand(text: str, table: dict[str, str]) -> str:
    """``text`` with each short form of ``table`` read as its name."""
    return expander(table)(text)


def _same(text: str) -> str:
    return text
