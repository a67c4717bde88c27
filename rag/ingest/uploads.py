"""Articles added by a user (the chat's upload box): copied into the seeds folder, then
indexed with everything else (only what is new is embedded)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from rag.config import Settings
from rag.ingest.build import Progress, build_index

ALLOWED_UPLOADS = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


def add_articles(settings: Settings, paths: list[str], progress: Progress | None = None) -> str:
    """Copy files into the seeds folder and re-index; a short report, a line per file.

    Names are reduced to a safe base name and never overwrite an existing article.
    """
    added: list[str] = []
    refused: list[str] = []
    settings.seeds_dir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        original = Path(path).name
        suffix = Path(original).suffix.lower()
        if suffix not in ALLOWED_UPLOADS:
            refused.append(f"{original}: only {', '.join(sorted(ALLOWED_UPLOADS))} files")
            continue
        target = _free_name(settings.seeds_dir, Path(original).stem, suffix)
        shutil.copyfile(path, target)
        added.append(target.name)
    lines = [f"Refused {r}" for r in refused]
    if added:
        report = build_index(settings, progress=progress)
        skipped = dict(report.skipped)
        for name in added:
            lines.append(f"Skipped {name}: {skipped[name]}" if name in skipped else f"Added {name}")
        lines.append(
            f"Index: {report.files_indexed} articles, {report.chunks} passages "
            f"({report.chunks_embedded} newly embedded)."
        )
    return "\n\n".join(lines) or "Nothing to add."


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "article"
    target = folder / f"{safe[:80]}{suffix}"
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{safe[:80]}-{number}{suffix}"
    return target
