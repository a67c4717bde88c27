"""Gold question files (eval/gold.jsonl and any file of its shape)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag import ConfigError


@dataclass(frozen=True)
class Gold:
    id: str
    q: str
    answerable: bool
    sources: list[str]
    lines: dict[str, list[int]]
    keywords: list[list[str]]
    half: str


def load_gold(path: Path) -> list[Gold]:
    rows: list[dict[str, Any]] = []
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read the gold file {path}: {err}") from None
    for row in rows:
        missing = {"id", "q", "answerable"} - row.keys()
        if missing:
            raise ConfigError(f"gold row {row.get('id', '?')} lacks {sorted(missing)}")
    gold = []
    for answerable in (True, False):
        group = sorted(
            (r for r in rows if bool(r["answerable"]) == answerable), key=lambda r: str(r["id"])
        )
        for i, r in enumerate(group):
            gold.append(
                Gold(
                    str(r["id"]),
                    r["q"],
                    answerable,
                    list(r.get("sources", [])),
                    {k: list(v) for k, v in r.get("lines", {}).items()},
                    [list(g) for g in r.get("keywords", [])],
                    "calibration" if i % 2 == 0 else "held-out",
                )
            )
    return gold
