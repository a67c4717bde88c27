"""Separate an article from what is not the article, line by line.

Each line gets one label:

- ``title``: the headline (and a subtitle right after it)
- ``body``: article prose, the only lines answers are quoted from
- ``aside``: short non-sentence lines inside the article (section headings,
  captions, bullet headings); kept in passages for context
- ``meta``: lines that describe the article (Source:, ©, By-lines, author
  bios); turned into metadata
- ``boilerplate``: disclaimers, "Related posts", headline lists, "Read Full
  Article", section kickers: dropped
- ``blank``

The rules look at the shape of lines (headline-like vs prose), not at the
five seed files: a headline list can sit in the middle of an article and the
article go on after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.model import ArticleMeta
from rag.text.dates import parse_date
from rag.text.lexicon import MONTHS, SMALL_WORDS

CLEANER_VERSION = "clean-2"  # 2: dates from datelines and "Published:" lines

# A list of other stories follows these; it ends where prose resumes.
_LIST_HEADERS = re.compile(
    r"^(hot picks( today)?|related (posts|articles|stories|news|content)|read (more|next|also)"
    r"|more (stories|news|from .{1,40})|you (may|might) also like|recommended( for you)?"
    r"|most (read|popular|viewed)|trending( now| stories)?|top stories|latest news"
    r"|see also)\s*:?$",
    re.I,
)
# Everything from here to the end of the file is not the article.
_FOOTER_HEADERS = re.compile(
    r"^(post disclaimer|disclaimer|about the author|author|authors|comments?"
    r"|leave a (reply|comment)|share this( article| story)?|tags?)\s*:?$",
    re.I,
)
_BOILERPLATE = re.compile(
    r"^(continue reading|read (the )?full (article|story)( on .*)?|this is a summary\..*"
    r"|advertisement|sponsored( content)?|subscribe( now| to .*)?|sign up .*newsletter.*"
    r"|click here.*|share( on)? (this|facebook|twitter|x|linkedin).*|follow us.*"
    r"|(photo|image)( credit)?:.*|all rights reserved\.?)$",
    re.I,
)
_SOURCE = re.compile(r"^(source|via|originally published (by|in|at)|publisher)\s*:\s*(.+)$", re.I)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?(.+?)\s*(?:\(.*?\))?\.?\s*(all rights reserved\.?)?$",
    re.I,
)
_BYLINE = re.compile(r"^[Bb]y\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})(?:\s*[,|].*)?$")
_BIO = re.compile(
    r"^(?:[•\-*]\s*)?([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}) is (?:an? |the )?[\w\s-]{0,40}?"
    r"(journalist|writer|reporter|editor|author|correspondent|columnist|contributor)\b"
)
_PUBLISHED_BY = re.compile(r"published by ([A-Z][\w&' -]{0,60}?(?:\.[A-Za-z]{2,})*)[.,]\s", re.I)
_MONTH_STARTS = [m[:3].title() for m in MONTHS]  # Jan … Dec, and Sept beside Sep
_MONTH_STARTS.insert(_MONTH_STARTS.index("Sep") + 1, "Sept")
_MONTH = r"(?:" + "|".join(_MONTH_STARTS) + r")[a-z]*\.?"
_DAY_MONTH_YEAR = (
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
)
# "PARIS, Feb. 26, 2024 (Reuters) — …", "LONDON, 26 February 2024 – …": a date with its
# year; a dateline without one ("Feb 26 (Reuters) -") gives no date, never a guessed year.
_DATELINE = re.compile(
    rf"^(?:[A-Z][A-Za-z.'-]+(?:[ -][A-Z][A-Za-z.'-]+){{0,3}},\s+)?(?P<date>{_DAY_MONTH_YEAR})"
    r"\s*(?:\([^)]{1,40}\)\s*)?[-—–:]\s"
)
_DATE_LINE = re.compile(
    r"^(?:published|posted|first published|date|dated)(?:\s+on)?\s*:?\s*"
    rf"(?P<date>{_DAY_MONTH_YEAR})"
    r"(?:\s*(?:at\s+)?\d{1,2}[:.]\d{2}.*)?$",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[•▪◦●\-*–]|\d+[.)])\s+")


@dataclass(frozen=True)
class Cleaned:
    labels: tuple[str, ...]
    meta: ArticleMeta


def _words(line: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][\w'’.$€%-]*", line)


def is_headline_like(line: str) -> bool:
    """Short, or most words capitalised, and not ending like a sentence."""
    text = _BULLET.sub("", line).strip().strip("\"'“”‘’")
    words = _words(text)
    if not words:
        return False
    if len(words) <= 6 and not text.endswith((".", "?", "!")):
        return True
    content = [w for w in words if w.lower() not in SMALL_WORDS and not w[0].isdigit()]
    if not content:
        return False
    capitalised = sum(1 for w in content if w[0].isupper() or w[0] in "$€£")
    return capitalised / len(content) >= 0.6 and len(words) <= 30


def is_prose(line: str) -> bool:
    """A line that reads as sentences: long enough, mostly lower-case words."""
    text = line.strip()
    if _BULLET.match(text) and len(_words(text)) < 12:
        return False
    return len(_words(text)) >= 8 and not is_headline_like(text)


def _iso_day(text: str) -> str | None:
    day = parse_date(text)
    return day.isoformat() if day else None


def _meta_from_line(line: str) -> dict[str, str]:
    text = _BULLET.sub("", line).strip()
    if (m := _DATE_LINE.match(text)) and (day := _iso_day(m.group("date"))):
        return {"published": day}
    if m := _SOURCE.match(text):
        return {"outlet": m.group(3).strip().rstrip(".")}
    if m := _COPYRIGHT.match(text):
        outlet = re.sub(r"\s*\(.*?\)\s*$", "", m.group(1)).strip().rstrip(".")
        outlet = re.sub(r"\s*\.?\s*all rights reserved\.?$", "", outlet, flags=re.I)
        return {"outlet": outlet} if outlet else {}
    if m := _BYLINE.match(text):
        return {"byline": m.group(1)}
    if m := _BIO.match(text):
        return {"byline": m.group(1)}
    return {}


def clean_lines(lines: list[str], given: ArticleMeta | None = None) -> Cleaned:
    """Label every line; ``given`` metadata (front matter, HTML meta) wins over found."""
    labels = ["blank" if not line.strip() else "" for line in lines]
    _label_footer(lines, labels)
    _label_headline_lists(lines, labels)
    found = _label_meta(lines, labels)
    title_at = _label_title(lines, labels)
    for i, line in enumerate(lines):
        if labels[i] == "":
            labels[i] = "body" if is_prose(line) or _ends_sentence(line) else "aside"

    # A dateline opens the first paragraph of the article itself, which stays body text.
    first_body = next((i for i, label in enumerate(labels) if label == "body"), None)
    dateline = _DATELINE.match(lines[first_body].strip()) if first_body is not None else None
    if dateline and (day := _iso_day(dateline.group("date"))):
        found.setdefault("published", day)

    given = given or ArticleMeta()
    merged = ArticleMeta(
        title=given.title or (lines[title_at].strip() if title_at is not None else None),
        outlet=given.outlet or found.get("outlet"),
        byline=given.byline or found.get("byline"),
        published=given.published or found.get("published"),
    )
    return Cleaned(labels=tuple(labels), meta=merged)


def _label_footer(lines: list[str], labels: list[str]) -> None:
    """Footers: from the header to the end (meta lines inside still feed metadata)."""
    for i, line in enumerate(lines):
        if labels[i] == "" and _FOOTER_HEADERS.match(line.strip()):
            for j in range(i, len(lines)):
                if labels[j] != "blank":
                    labels[j] = "boilerplate"
            return


def _label_headline_lists(lines: list[str], labels: list[str]) -> None:
    """Headline lists: header, then headline-like lines until prose resumes."""
    n = len(lines)
    i = 0
    while i < n:
        if labels[i] == "" and _LIST_HEADERS.match(lines[i].strip()):
            labels[i] = "boilerplate"
            j = i + 1
            while j < n and (labels[j] in ("blank", "boilerplate") or not is_prose(lines[j])):
                if labels[j] != "blank":
                    labels[j] = "boilerplate"
                j += 1
            i = j
        else:
            i += 1


def _label_meta(lines: list[str], labels: list[str]) -> dict[str, str]:
    """Dates, outlets and bylines: their lines labelled, their values returned."""
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        text = line.strip()
        meta = _meta_from_line(text)
        if meta:
            for key, value in meta.items():
                found.setdefault(key, value)
            if labels[i] in ("", "boilerplate"):
                labels[i] = "meta"
            continue
        if labels[i] == "boilerplate" and (m := _PUBLISHED_BY.search(text)):
            found.setdefault("outlet", m.group(1).strip())
        if labels[i] == "" and _BOILERPLATE.match(text):
            labels[i] = "boilerplate"
    return found


def _label_title(lines: list[str], labels: list[str]) -> int | None:
    """Title: the longest headline-like line among those before the first prose line."""
    n = len(lines)
    first_prose = next((i for i in range(n) if labels[i] == "" and is_prose(lines[i])), n)
    lead = [i for i in range(first_prose) if labels[i] == ""]
    heads = [i for i in lead if is_headline_like(lines[i])]
    if not heads:
        return None
    title_at = max(heads, key=lambda i: len(_words(lines[i])))
    for i in lead:
        if i < title_at:
            labels[i] = "boilerplate"  # kicker / section label above the headline
        elif i == title_at or is_headline_like(lines[i]):
            labels[i] = "title"
    return title_at


def _ends_sentence(line: str) -> bool:
    text = line.strip().rstrip("\"'”’")
    return len(_words(text)) >= 4 and text.endswith((".", "?", "!"))
