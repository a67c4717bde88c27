"""The article page every face serves: the whole article, lines numbered, the cited
ones marked and scrolled to. Built from the index's copy of the article (by its id,
never a path), every character escaped."""

from __future__ import annotations

import html
from typing import Any

#: sent with the page: no scripts, no outside requests, no MIME sniffing
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def source_page(row: dict[str, Any], start: int | None, end: int | None) -> str:
    """The whole article, numbered, with the cited lines marked and scrolled to."""
    lines = row["text"].split("\n")
    labels = row.get("labels") or []
    body = []
    for number, line in enumerate(lines, start=1):
        cited = start is not None and end is not None and start <= number <= end
        label = labels[number - 1] if number - 1 < len(labels) else "body"
        classes = (
            "line"
            + (" hit" if cited else "")
            + (" dropped" if label in ("boilerplate", "meta") else "")
        )
        text = f"<mark>{html.escape(line)}</mark>" if cited else html.escape(line)
        body.append(
            f'<div class="{classes}" id="L{number}"><span class="ln">{number}</span>'
            f'<span class="tx">{text}</span></div>'
        )
    title = html.escape(page_title(row))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title><style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; }}
.line {{ display: flex; gap: 1rem; padding: 1px 0; scroll-margin-top: 30vh; }}
.ln {{ color: #9ca3af; min-width: 3ch; text-align: right; user-select: none; }}
.hit {{ background: #fef3c7; }} mark {{ background: #fde68a; }}
.dropped .tx {{ color: #9ca3af; }}
</style></head><body><h1>{title}</h1>
<p>{html.escape(row["source"])}{
        " — " + html.escape(row["meta"]["outlet"]) if (row.get("meta") or {}).get("outlet") else ""
    }</p>
{"".join(body)}</body></html>"""


def page_title(row: dict[str, Any]) -> str:
    """An article's title, or its first line where it has none."""
    title = (row.get("meta") or {}).get("title")
    if title:
        return str(title)
    first = next((line for line in row["text"].split("\n") if line.strip()), row["source"])
    return first[:80] + ("…" if len(first) > 80 else "")
