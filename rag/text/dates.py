"""Dates as articles and users write them."""

from __future__ import annotations

import re
from datetime import date, datetime

_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%Y-%m",
    "%B %Y",
    "%b %Y",
    "%Y",
)


def parse_date(text: str | None) -> date | None:
    """A date from the spellings articles and users write; None if there is none."""
    if not text:
        return None
    clean = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", str(text).strip())
    clean = clean.replace(",", " ").replace(".", " ")
    clean = " ".join(clean.split())
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", clean):
        clean = clean[:10]  # an ISO timestamp: its day
    for form in _FORMATS:
        try:
            return datetime.strptime(clean, form).date()
        except ValueError:
            continue
    return None
