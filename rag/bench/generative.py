"""The generative section of rag.bench: a local model answering through the product
(decision first, then the model, then the checks), on seed questions and the
committed SQuAD slice, beside the extractive answer to the same questions.

Seed questions: ``SEED_ANSWERABLE`` answerable and ``SEED_UNANSWERABLE`` unanswerable
ones drawn (fixed seed) from the held-out half of eval/gold.jsonl, the half no
threshold was calibrated on.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any

from rag.answer.engine import QUOTED, Engine, open_engine
from rag.answer.llm import make_generator, replaced
from rag.cli.eval import covers, key_facts
from rag.cli.gold import Gold, load_gold
from rag.config import Settings
from rag.errors import LLMError
from rag.model import Answer

SEED_ANSWERABLE = 20
SEED_UNANSWERABLE = 6
SAMPLE_SEED = 19


def seed_questions(gold_path: Path) -> list[Gold]:
    held_out = [g for g in load_gold(gold_path) if g.half == "held-out"]
    rng = random.Random(SAMPLE_SEED)
    answerable = [g for g in held_out if g.answerable]
    unanswerable = [g for g in held_out if not g.answerable]
    return rng.sample(answerable, min(SEED_ANSWERABLE, len(answerable))) + rng.sample(
        unanswerable, min(SEED_UNANSWERABLE, len(unanswerable))
    )


def generative(
    settings: Settings,
    model_path: Path,
    gold_path: Path,
    slice_dir: Path,
    work: Path,
    squad_limit: int | None = None,
) -> dict[str, Any]:
    """Each set answered by the local model and extractively, with the figures the
    issue asks for; every answer's row is kept (``rows``) for reading."""
    local = settings.model_copy(update={"llm": "local", "model_path": model_path})
    generator = make_generator(local)
    out: dict[str, Any] = {"model": model_path.name, "evidence_sentences": local.evidence_sentences}
    seeds_engine = open_engine(settings)
    out["seeds"] = _run_set(seeds_engine, seed_questions(gold_path), generator)
    squad = load_gold(slice_dir / "gold.jsonl")
    if squad_limit is not None:
        squad = random.Random(SAMPLE_SEED).sample(squad, min(squad_limit, len(squad)))
    squad_settings = settings.model_copy(
        update={"seeds_dir": slice_dir / "articles", "index_dir": work / "squad-slice-index"}
    )
    out["squad_slice"] = _run_set(open_engine(squad_settings), squad, generator)
    return out


def _run_set(engine: Engine, questions: list[Gold], generator: Any) -> dict[str, Any]:
    rows = []
    for gold in questions:
        started = time.perf_counter()
        try:
            answer = engine.ask(gold.q, generator=generator)
            error = None
        except LLMError as err:  # counted, not fatal: the figures say how often
            answer, error = None, err.message
        seconds = time.perf_counter() - started
        extractive = engine.ask(gold.q)
        rows.append(_row(gold, answer, extractive, seconds, error))
    return {"summary": summary(rows), "rows": rows}


def _row(
    gold: Gold, answer: Answer | None, extractive: Answer, seconds: float, error: str | None
) -> dict[str, Any]:
    def right(a: Answer | None) -> bool:
        if a is None:
            return False
        return (not a.refused and key_facts(gold, a.text)) if gold.answerable else a.refused

    row: dict[str, Any] = {
        "id": gold.id,
        "q": gold.q,
        "answerable": gold.answerable,
        "error": error,
        "seconds": round(seconds, 2),
        "extractive_right": right(extractive),
        "extractive_refused": extractive.refused,
    }
    if answer is None:
        return row | {"right": False, "refused": None}
    asked = not any("no model was asked" in n for n in answer.notices)
    cited_on_evidence = any(
        covers(gold, c.source, c.line_start, c.line_end) for c in answer.citations
    )
    timings = answer.timings_ms
    quoted = any(QUOTED in n for n in answer.notices)
    generated = timings.get("model", 0.0) - timings.get("first_token", 0.0)
    deltas = timings.get("deltas", 0.0)
    return row | {
        "answer": answer.text,
        "backend": answer.backend,
        "refused": answer.refused,
        "model_asked": asked,
        "right": right(answer),
        "key_fact_cited": right(answer) and gold.answerable and bool(answer.citations),
        "citation_on_evidence_line": cited_on_evidence,
        "labels": [s["label"] for s in answer.sentences],
        # each sentence's text and flags, to read why one is not "supported"
        "checked": [{"text": s["text"], "flags": s["flags"]} for s in answer.sentences],
        "cited_by": [s.get("cited_by", "model") for s in answer.sentences],
        "dropped": len(answer.dropped),
        "first_token_s": round(timings["first_token"] / 1000, 2) if asked and deltas else None,
        "tokens_per_s": round(deltas / (generated / 1000), 1) if generated > 0 else None,
        "fell_back": answer.backend == "extractive" and asked and not quoted,
        # the model gave no date (figure) its question asks for: the quote is shown
        "quoted": quoted,
        # asked again when short of support (RAG_RESAMPLE), and whether that answer is shown
        "asked_again": int(timings.get("resamples", 0.0)),
        "replaced": replaced(answer),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one set."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    sentences = [label for r in rows if not r.get("refused") for label in r.get("labels", [])]
    cited_by = [c for r in rows if not r.get("refused") for c in r.get("cited_by", [])]
    asked = [r for r in rows if r.get("model_asked")]

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 2) if values else None

    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "key_fact_with_citation": sum(bool(r.get("key_fact_cited")) for r in answerable),
        "key_fact_citation_on_evidence_line": sum(
            bool(r.get("key_fact_cited") and r.get("citation_on_evidence_line"))
            for r in answerable
        ),
        "extractive_key_fact": sum(r["extractive_right"] for r in answerable),
        "refused_rightly": sum(bool(r.get("refused")) for r in unanswerable),
        "extractive_refused_rightly": sum(r["extractive_refused"] for r in unanswerable),
        "false_refusals": sum(bool(r.get("refused")) for r in answerable),
        "refused_by_the_decision": sum(not r.get("model_asked", True) for r in rows),
        "errors": sum(r["error"] is not None for r in rows),
        "fell_back_to_extractive": sum(bool(r.get("fell_back")) for r in rows),
        "sentences": len(sentences),
        "supported_share": share(sentences.count("supported"), len(sentences)),
        "partly_share": share(sentences.count("partly"), len(sentences)),
        "unsupported_share": share(sentences.count("unsupported"), len(sentences)),
        "system_cited_share": share(cited_by.count("system"), len(cited_by)),
        "dropped_sentences": sum(r.get("dropped", 0) for r in rows),
        "answers_asked_again": sum(bool(r.get("asked_again")) for r in rows),
        "answers_replaced": sum(bool(r.get("replaced")) for r in rows),
        "answers_quoted_instead": sum(bool(r.get("quoted")) for r in rows),
        "median_s_model_asked": median([r["seconds"] for r in asked]),
        "median_s_all": median([r["seconds"] for r in rows]),
        "max_s": max((r["seconds"] for r in rows), default=None),
        "median_first_token_s": median([r["first_token_s"] for r in asked if r["first_token_s"]]),
        "median_tokens_per_s": median([r["tokens_per_s"] for r in asked if r["tokens_per_s"]]),
    }
