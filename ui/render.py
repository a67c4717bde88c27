"""Pure rendering for the browser chat: chat text with linked markers, the evidence
panel, the source page and the Markdown export. Every piece of article or model text
is HTML-escaped here; nothing from an article can add a tag, a link or a script."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from rag import Answer, Citation
from rag.pages import page_title
from rag.text.markers import MARKER

CSS = """
.refusal { border-left: 4px solid #b45309; background: #fffbeb; padding: 8px 12px; }
.evidence .cite { border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 12px;
                  margin: 8px 0; }
.evidence .cite h4 { margin: 0 0 4px 0; font-size: 0.95em; }
.evidence mark { background: #fde68a; padding: 0 2px; }
.evidence .where { color: #6b7280; font-size: 0.85em; }
.evidence .also { color: #374151; font-size: 0.85em; font-style: italic; }
.notice { color: #92400e; font-size: 0.9em; }
.support-unsupported { color: #b91c1c; font-weight: 600; font-size: 0.85em; }
.removed { color: #6b7280; font-size: 0.9em; }
.support-partly { color: #b45309; font-size: 0.85em; }
.checking { color: #6b7280; font-size: 0.9em; font-style: italic; }
"""


def source_url(doc_id: str, start: int, end: int) -> str:
    return f"/source/{doc_id}?{urlencode({'start': start, 'end': end})}#L{start}"


_SUPPORT_WORDS = {"partly": "partly supported", "unsupported": "not supported by its source"}


def chat_markdown(answer: Answer, ids: dict[str, str], asked_as: str | None = None) -> str:
    """The assistant's chat message: markers become links to the cited lines."""
    by_n = {c.n: c for c in answer.citations}

    def link(match: re.Match[str]) -> str:
        citation = by_n.get(int(match.group(1)))
        if citation is None or citation.source not in ids:
            return match.group(0)
        url = source_url(ids[citation.source], citation.line_start, citation.line_end)
        return f"[\\[{citation.n}\\]]({url})"

    parts = []
    if asked_as:
        parts.append(f"*Read as: {_md_escape(asked_as)}*\n")
    if answer.refused:
        parts.append(f"**{_md_escape(answer.text)}** Closest passages are in the evidence panel.")
    elif any(s["label"] != "supported" for s in answer.sentences):
        parts.extend(_flagged(answer, link))
    else:
        parts.append(MARKER.sub(link, _md_escape(answer.text, keep_markers=True)))
    for row in answer.dropped:  # a model's sentence the checks removed, struck out
        parts.append(
            f'\n\n<span class="removed">Removed: ~~{_md_escape(row["text"])}~~ '
            f"({_md_escape(row['reason'])})</span>"
        )
    for notice in answer.notices:
        parts.append(f"\n\n*Note: {_md_escape(notice)}*")
    who = answer.backend + (f" · {answer.model}" if answer.model else "")
    if answer.confidence is not None:
        what = "that the articles answer" if answer.refused else ""
        who += f" · confidence {what + ' ' if what else ''}{answer.confidence:.2f}"
    parts.append(f"\n\n<sub>answered by {html.escape(who)}</sub>")
    return "".join(parts)


def _flagged(answer: Answer, link: Callable[[re.Match[str]], str]) -> list[str]:
    """The answer with each sentence the support check could not back marked where it
    stands, then why, sentence by sentence."""
    shown = []
    for sentence in answer.sentences:
        text = MARKER.sub(link, _md_escape(str(sentence["text"]), keep_markers=True))
        label = sentence["label"]
        if label != "supported":
            text += f' <span class="support-{label}">⚠ {_SUPPORT_WORDS[str(label)]}</span>'
        shown.append(text)
    parts = [" ".join(shown)]
    for number, sentence in enumerate(answer.sentences, start=1):
        if sentence["label"] != "supported":
            why = "; ".join(str(f) for f in sentence["flags"]) or "weakly matched"
            parts.append(f"\n\n*Check, sentence {number}: {_md_escape(why)}*")
    return parts


def streaming_markdown(text: str) -> str:
    """A model's answer while it streams, before any check: shown inert. Its images,
    links and HTML are text here, so a planted instruction that makes the model emit
    ``![x](http://…)`` cannot make the browser fetch anything."""
    return _md_escape(text, keep_markers=True)


def checking_markdown(text: str, status: str) -> str:
    """The streamed text, unchecked, with what the checks are doing below it (the
    model is asked again, which takes seconds)."""
    return f'{streaming_markdown(text)}\n\n<span class="checking">{html.escape(status)}</span>'


# The chat's Markdown turns bare URLs into links; a zero-width space after the scheme
# (or after "www") keeps the text readable and leaves nothing to click or fetch.
_BARE_URL = re.compile(r"(?i)\b(https?|ftp|file|javascript|data|vbscript)(:)|\b(www)(\.)")


def _defang(text: str) -> str:
    return _BARE_URL.sub(
        lambda m: (m.group(1) or m.group(3)) + "\u200b" + (m.group(2) or m.group(4)), text
    )


def _md_escape(text: str, keep_markers: bool = False) -> str:
    """Neutralise Markdown, HTML and bare URLs in quoted text (the chat renders Markdown)."""
    escaped = re.sub(r"([\\`*_{}\[\]()#+!|~>])", r"\\\1", html.escape(_defang(text), quote=False))
    if keep_markers:  # citation markers stay, to become links
        escaped = re.sub(r"\\\[(\d{1,3})\\\]", r"[\1]", escaped)
    return escaped


def _highlight(paragraph: str, quote: str) -> str:
    at = paragraph.find(quote)
    if at < 0:
        return html.escape(paragraph)
    return (
        html.escape(paragraph[:at])
        + "<mark>"
        + html.escape(quote)
        + "</mark>"
        + html.escape(paragraph[at + len(quote) :])
    )


def evidence_html(answer: Answer, documents: dict[str, dict[str, Any]]) -> str:
    """Each cited source with its quote highlighted inside its paragraph; for a refusal,
    the closest passages instead."""
    out = ['<div class="evidence">']
    if answer.refused:
        out.append(
            '<div class="refusal"><strong>The articles don\'t say.</strong> '
            "No sentence in the indexed articles answers this. Closest passages:</div>"
        )
        for passage in answer.passages[:3]:
            row = documents.get(str(passage["source"]))
            if not row:
                continue
            url = source_url(row["id"], int(passage["line_start"]), int(passage["line_end"]))
            out.append(
                f'<div class="cite"><h4><a href="{html.escape(url)}" target="_blank">'
                f"{html.escape(page_title(row))}</a></h4>"
                f'<div class="where">{html.escape(str(passage["source"]))}:'
                f"{passage['line_start']}-{passage['line_end']}</div>"
                f"<p>{html.escape(str(passage['text']))}</p>{_also(passage)}</div>"
            )
    for citation in answer.citations:
        row = documents.get(citation.source)
        if not row:
            continue
        out.append(_citation_block(citation, row))
    out.append("</div>")
    return "".join(out)


def _also(passage: dict[str, Any]) -> str:
    """Other articles' passages saying the same thing (rag/index/stories.py)."""
    twins = passage.get("also") or []
    if not twins:
        return ""
    items = ", ".join(
        html.escape(f"{t['outlet'] or t['source']} ({t['source']}:{t['line_start']})")
        for t in twins
    )
    return f'<div class="also">Also reported by {items}</div>'


def _citation_block(citation: Citation, row: dict[str, Any]) -> str:
    lines = row["text"].split("\n")
    paragraph = "\n".join(lines[citation.line_start - 1 : citation.line_end])
    span = (
        f"{citation.line_start}"
        if citation.line_start == citation.line_end
        else f"{citation.line_start}-{citation.line_end}"
    )
    url = source_url(row["id"], citation.line_start, citation.line_end)
    outlet = f" — {html.escape(citation.outlet)}" if citation.outlet else ""
    return (
        f'<div class="cite" id="cite-{citation.n}"><h4>'
        f'<a href="{html.escape(url)}" target="_blank">[{citation.n}] '
        f"{html.escape(page_title(row))}</a>{outlet}</h4>"
        f'<div class="where">{html.escape(citation.source)}:{span}</div>'
        f"<p>{_highlight(paragraph, citation.quote)}</p></div>"
    )


def export_markdown(turns: list[tuple[str, Answer]], seeds_label: str = "seeds") -> str:
    """The conversation with its sources, for the export button."""
    out = ["# Conversation\n"]
    for question, answer in turns:
        out.append(f"## Q: {question}\n")
        out.append(answer.text + "\n")
        if answer.citations:
            out.append("Sources:\n")
            for c in answer.citations:
                span = (
                    f"{c.line_start}"
                    if c.line_start == c.line_end
                    else f"{c.line_start}-{c.line_end}"
                )
                title = f" — {c.title}" if c.title else ""
                out.append(f"- [{c.n}] {seeds_label}/{c.source}:{span}{title}\n  > {c.quote}\n")
        out.append(
            f"\n*answered by {answer.backend}{' · ' + answer.model if answer.model else ''}*\n"
        )
    return "\n".join(out)
