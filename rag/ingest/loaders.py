"""Find article files and read them into :class:`Document` values.

A file that cannot be used raises :class:`SkipFile` with a reason; the caller
reports it and goes on with the others.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.clean import clean_lines
from rag.model import ArticleMeta, Document

SUFFIXES = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


class SkipFile(Exception):
    """This file is left out of the index; ``str()`` says why."""


@dataclass(frozen=True)
class Candidate:
    path: Path
    source: str  # relative to the seeds folder, forward slashes


def discover(root: Path) -> tuple[list[Candidate], list[tuple[str, str]]]:
    """Article files under ``root`` and the files passed over, with reasons."""
    root_real = root.resolve()
    found: list[Candidate] = []
    skipped: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            source = path.relative_to(root).as_posix()
            if name.startswith(".") or name.endswith(".meta.json"):
                continue
            if path.suffix.lower() not in SUFFIXES:
                skipped.append((source, f"unsupported file type {path.suffix or '(none)'}"))
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root_real):
                    skipped.append((source, "symlink to a file outside the seeds folder"))
                    continue
            found.append(Candidate(path, source))
    return found, skipped


def read_document(candidate: Candidate, max_bytes: int) -> Document:
    path = candidate.path
    raw = _read_bytes(path, max_bytes)
    kind = SUFFIXES[path.suffix.lower()]
    text, meta = _read_pdf(raw) if kind == "pdf" else _read_text(raw, kind)
    if not text.strip():
        raise SkipFile("empty (no text)")
    meta = _merge(_read_sidecar(path), meta)
    cleaned = clean_lines(text.split("\n"), meta)
    if "body" not in cleaned.labels:
        raise SkipFile("no article text found (only headings or boilerplate)")
    return Document(
        source=candidate.source,
        text=text,
        labels=cleaned.labels,
        meta=cleaned.meta,
        sha256=hashlib.sha256(raw).hexdigest(),
        kind=kind,
    )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(
                f"too large ({size:,} bytes; the limit is RAG_MAX_FILE_BYTES={max_bytes:,})"
            )
        return path.read_bytes()
    except PermissionError:
        raise SkipFile("unreadable (permission denied)") from None
    except OSError as err:
        raise SkipFile(f"unreadable ({err.strerror or err})") from None


def _read_text(raw: bytes, kind: str) -> tuple[str, ArticleMeta]:
    """Text and metadata of a .txt, .md or .html file."""
    if b"\x00" in raw[:8192]:
        raise SkipFile("binary content (NUL bytes) in a text file")
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SkipFile(f"invalid UTF-8 at byte {err.start}") from None
    if kind == "html":
        return _read_html(decoded)
    if kind == "md":
        return _read_markdown(decoded)
    return decoded, ArticleMeta()


def _merge(first: ArticleMeta, second: ArticleMeta) -> ArticleMeta:
    return ArticleMeta(
        title=first.title or second.title,
        outlet=first.outlet or second.outlet,
        byline=first.byline or second.byline,
        published=first.published or second.published,
    )


def _read_sidecar(path: Path) -> ArticleMeta:
    """``<file>.meta.json`` lets a user supply title, outlet, byline, published."""
    sidecar = path.with_name(path.name + ".meta.json")
    if not sidecar.is_file():
        return ArticleMeta()
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SkipFile(f"unreadable sidecar {sidecar.name}: {err}") from None
    if not isinstance(data, dict):
        raise SkipFile(f"sidecar {sidecar.name} must hold a JSON object")
    return ArticleMeta(**{k: str(v) for k, v in data.items() if k in ArticleMeta.__annotations__})


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def _read_markdown(text: str) -> tuple[str, ArticleMeta]:
    """Front matter (title/outlet/author/date) becomes metadata; its lines become blank
    so that line numbers still match the file."""
    match = _FRONT_MATTER.match(text)
    fields: dict[str, str] = {}
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().lower()] = value.strip().strip("\"'")
        text = "\n" * match.group(0).count("\n") + text[match.end() :]
    # "# Title" keeps its line; the marker is markup, not text.
    text = re.sub(r"(?m)^#{1,6}[ \t]+", lambda m: " " * len(m.group(0)), text)
    return text, ArticleMeta(
        title=fields.get("title"),
        outlet=fields.get("outlet") or fields.get("source") or fields.get("publisher"),
        byline=fields.get("author") or fields.get("byline"),
        published=fields.get("published") or fields.get("date"),
    )


def _read_html(html: str) -> tuple[str, ArticleMeta]:
    import trafilatura

    extracted = trafilatura.bare_extraction(
        html, include_comments=False, include_tables=False, with_metadata=True
    )
    if extracted is None:
        return "", ArticleMeta()
    data = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    return (data.get("text") or ""), ArticleMeta(
        title=data.get("title"),
        outlet=data.get("sitename"),
        byline=data.get("author"),
        published=data.get("date"),
    )


def _read_pdf(raw: bytes) -> tuple[str, ArticleMeta]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError) as err:
        raise SkipFile(f"unreadable PDF ({err})") from None
    title = str(info.title) if info and info.title else None
    author = str(info.author) if info and info.author else None
    return "\n".join(pages), ArticleMeta(title=title, byline=author)
