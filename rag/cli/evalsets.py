"""Question sets run as the product runs: articles ingested, questions through
``python -m rag.ask --json`` (batch mode, one process a folder), answers scored.

A set is a name and one or more folders; each folder holds ``articles/`` and
``gold.jsonl`` (rag/train/data.py writes the outside sets in this shape), or is the
seeds folder with a gold file beside it. Found:

- ``gold`` and ``fresh``: eval/gold.jsonl and eval/fresh.jsonl over the seeds;
- ``squad-slice``: eval/squad_slice/ (committed, from the SQuAD test part);
- under ``--data DIR`` (``python -m rag.train data`` output), when present:
  ``squad-<part>`` folders and ``news-<part>/<week>`` folders.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rag import REFUSAL, ConfigError
from rag.cli.gold import load_gold


@dataclass(frozen=True)
class Folder:
    articles: Path
    gold: Path


@dataclass(frozen=True)
class EvalSet:
    name: str
    folders: tuple[Folder, ...]


def discover(root: Path, seeds: Path, data: Path | None, parts: tuple[str, ...]) -> list[EvalSet]:
    sets = [
        EvalSet(name, (Folder(seeds, root / "eval" / f"{name}.jsonl"),))
        for name in ("gold", "fresh")
        if (root / "eval" / f"{name}.jsonl").exists()
    ]

    def one(folder: Path) -> tuple[Folder, ...]:
        return (Folder(folder / "articles", folder / "gold.jsonl"),)

    squad_slice = root / "eval" / "squad_slice"
    if (squad_slice / "gold.jsonl").exists():
        sets.append(EvalSet("squad-slice", one(squad_slice)))
    for part in parts if data is not None else ():
        assert data is not None
        if (data / f"squad-{part}" / "gold.jsonl").exists():
            sets.append(EvalSet(f"squad-{part}", one(data / f"squad-{part}")))
        weeks = sorted(p for p in (data / f"news-{part}").glob("*") if (p / "gold.jsonl").exists())
        if weeks:
            sets.append(EvalSet(f"news-{part}", tuple(f for w in weeks for f in one(w))))
    return sets


def _answer(row: dict[str, Any]) -> Any:
    """An answer's JSON as the attribute view rag.eval's metrics read."""
    return SimpleNamespace(
        text=row["answer"],
        refused=row["refused"],
        passages=row["passages"],
        sentences=row["sentences"],
        citations=[SimpleNamespace(**c) for c in row["citations"]],
        confidence=row.get("confidence"),
    )


def refused_below(answer: Any, threshold: float) -> Any:
    """The answer the product gives at ``threshold``, from one given at threshold 0: the
    same answer at or above it, else the refusal (its passages unchanged). Exact for a
    question of one part; a compound one is decided part by part in the product."""
    if answer.refused or (answer.confidence or 0.0) >= threshold:
        return answer
    return SimpleNamespace(
        text=REFUSAL,
        refused=True,
        passages=answer.passages,
        sentences=[],
        citations=[],
        confidence=answer.confidence,
    )


def run_folder(folder: Folder, index: Path, env: dict[str, str] | None = None) -> list[Any]:
    """Ingest, then ask every gold question through one ``rag.ask --json`` process."""
    gold = load_gold(folder.gold)
    base = [sys.executable, "-m"]
    where = ["--seeds", str(folder.articles), "--index", str(index)]
    done = subprocess.run([*base, "rag.ingest", *where], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise ConfigError(f"ingest of {folder.articles} failed: {done.stderr.strip()[-500:]}")
    asked = subprocess.run(
        [*base, "rag.ask", "--json", *where],
        input="".join(g.q + "\n" for g in gold),
        capture_output=True,
        text=True,
        env=env,
    )
    rows = [json.loads(line) for line in asked.stdout.splitlines() if line.strip()]
    if asked.returncode != 0 or len(rows) != len(gold):
        raise ConfigError(f"rag.ask on {folder.gold} failed: {asked.stderr.strip()[-500:]}")
    return [(g, _answer(r)) for g, r in zip(gold, rows, strict=True)]
