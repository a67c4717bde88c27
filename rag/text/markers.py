"""``[n]`` citation markers in answer text."""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d{1,3})\]")


def markers_in(text: str) -> list[int]:
    return [int(m) for m in MARKER.findall(text)]


def strip_invalid_markers(text: str, valid: set[int]) -> str:
    """Remove ``[n]`` markers that point at no given source."""
    cleaned = MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
    return re.sub(r"[ \t]{2,}", " ", cleaned).replace(" .", ".").strip()
