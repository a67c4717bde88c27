"""Restrict a question to some articles: by file, by outlet, by publication date.

A scope resolves to the set of article sources it allows, which retrieval then applies
to the dense search (a Chroma ``where``), to BM25 (a weight mask) and to the lead
ranking alike, so fusion cannot let an excluded article back in.

Dates: an article's date comes from its front matter, HTML meta or sidecar
(``<file>.meta.json``). An article **without a date is outside every date range**: a
question limited to "since 2024-01-01" never quotes an undated article, and the answer's
notices say how many were left out for that reason.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date
from typing import Any

from rag.errors import ConfigError
from rag.text.dates import parse_date


@dataclass(frozen=True)
class Scope:
    sources: tuple[str, ...] = ()  # file names or glob patterns (relative to the seeds)
    outlets: tuple[str, ...] = ()  # case-insensitive, whole name or part of it
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(
        cls,
        sources: list[str] | None = None,
        outlets: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Scope:
        start, end = _user_date(since, "since"), _user_date(until, "until")
        if start and end and start > end:
            raise ConfigError(f"--since {start} is after --until {end}")
        return cls(tuple(sources or ()), tuple(outlets or ()), start, end)

    @property
    def empty(self) -> bool:
        return not (self.sources or self.outlets or self.since or self.until)

    def allowed(self, documents: dict[str, dict[str, Any]]) -> tuple[frozenset[str], list[str]]:
        """The sources this scope lets through, and notices for the answer; ConfigError
        if none is left."""
        kept = []
        undated = 0
        for source, row in documents.items():
            meta = row.get("meta") or {}
            if self.sources and not any(_matches(source, p) for p in self.sources):
                continue
            outlet = str(meta.get("outlet") or "").lower()
            if self.outlets and not any(o.lower() in outlet for o in self.outlets if o):
                continue
            if self.since or self.until:
                published = parse_date(meta.get("published"))
                if published is None:
                    undated += 1
                    continue
                if (self.since and published < self.since) or (
                    self.until and published > self.until
                ):
                    continue
            kept.append(source)
        notices = [f"limited to {self.describe()}"]
        if undated:
            notices.append(
                f"{undated} article(s) without a publication date were left out of the date range"
            )
        if not kept:
            raise ConfigError(
                f"no indexed article matches {self.describe()}"
                + (f" ({undated} have no date)" if undated else "")
            )
        return frozenset(kept), notices

    def describe(self) -> str:
        parts = []
        if self.sources:
            parts.append("source " + " or ".join(self.sources))
        if self.outlets:
            parts.append("outlet " + " or ".join(self.outlets))
        if self.since:
            parts.append(f"since {self.since}")
        if self.until:
            parts.append(f"until {self.until}")
        return ", ".join(parts) or "everything"


def _matches(source: str, pattern: str) -> bool:
    name = source.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(source, pattern) or fnmatch.fnmatchcase(name, pattern)


def _user_date(text: str | None, flag: str) -> date | None:
    if not text:
        return None
    parsed = parse_date(text)
    if parsed is None:
        raise ConfigError(f"--{flag} {text!r} is not a date; write it as YYYY-MM-DD")
    return parsed
