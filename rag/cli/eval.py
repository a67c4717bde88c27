"""``python -m rag.eval [--gold PATH]``: retrieval and answer quality on a gold set.

Reports, for hybrid, BM25-only and dense-only retrieval in one run: passage
hit@1 / hit@5 / MRR, citation hit (right file) and citation line hit (a
citation whose span covers an evidence line), key-fact match, refusal accuracy
and false-refusal rate; and, from the support check of every answer sentence
(rag/text/support.py), the unsupported-sentence rate, the flagged-number rate and citation
precision. ``--llm`` runs the answers through a generative backend as well.
Questions are split in two halves (alternating by id within answerable and
unanswerable); thresholds are calibrated on the ``calibration`` half
(``--calibrate``) and the ``held-out`` half is what to report. Without ``--gold``,
every set found (rag/cli/evalsets.py: the own gold and fresh sets, the SQuAD slice, the
outside sets under ``--data``) is run as the product runs, in one table.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from rag import ConfigError, load_settings
from rag.answer.llm import make_generator
from rag.answer.retrieve import Mode
from rag.cli import curves
from rag.cli.common import add_backend_flags, add_location_flags, backend_overrides, run
from rag.cli.evalsets import discover, refused_below, run_folder
from rag.cli.gold import Gold, load_gold
from rag.cli.output import open_engine
from rag.reader import Reader

PROG = "python -m rag.eval"
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")


def covers(gold: Gold, source: str, start: int, end: int) -> bool:
    return any(start <= line <= end for line in gold.lines.get(source, []))


def key_facts(gold: Gold, answer: str) -> bool:
    text = answer.lower()
    return all(any(alt.lower() in text for alt in group) for group in gold.keywords)


def evaluate(rows: list[tuple[Gold, Any]]) -> dict[str, float]:
    """Metrics from (gold, Answer) pairs."""
    answerable = [(g, a) for g, a in rows if g.answerable]
    unanswerable = [(g, a) for g, a in rows if not g.answerable]

    def rank(g: Gold, a: Any) -> int | None:
        for i, p in enumerate(a.passages, 1):
            if covers(g, p["source"], p["line_start"], p["line_end"]):
                return i
        return None

    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 3) if values else float("nan")

    ranks = [rank(g, a) for g, a in answerable]
    return {
        "questions": len(rows),
        "hit@1": mean([1.0 if r == 1 else 0.0 for r in ranks]),
        "hit@5": mean([1.0 if r and r <= 5 else 0.0 for r in ranks]),
        "mrr": mean([1.0 / r if r else 0.0 for r in ranks]),
        "citation_hit": mean(
            [1.0 if any(c.source in g.sources for c in a.citations) else 0.0 for g, a in answerable]
        ),
        "citation_line_hit": mean(
            [
                1.0
                if any(covers(g, c.source, c.line_start, c.line_end) for c in a.citations)
                else 0.0
                for g, a in answerable
            ]
        ),
        "key_fact": mean(
            [1.0 if not a.refused and key_facts(g, a.text) else 0.0 for g, a in answerable]
        ),
        "refusal_accuracy": mean([1.0 if a.refused else 0.0 for _, a in unanswerable]),
        "false_refusal": mean([1.0 if a.refused else 0.0 for _, a in answerable]),
        **support_metrics([a for _, a in rows]),
    }


_FACT_FLAGS = ("number ", "money amount ", "percentage ", "date ", "quoted phrase ")


def support_metrics(answers: list[Any]) -> dict[str, float]:
    """Over every sentence of every non-refused answer (rag/text/support.py): the share
    labelled unsupported, the share with a number/date/quote not in its cited text, and
    the share of citations whose passage supports the sentences citing it."""
    sentences = [s for a in answers if not a.refused for s in a.sentences]
    citations = [c for a in answers if not a.refused for c in a.citations if c.support]

    def share(hits: int, total: int) -> float:
        return round(hits / total, 3) if total else float("nan")

    return {
        "sentences": len(sentences),
        "unsupported_sentences": share(
            sum(s["label"] == "unsupported" for s in sentences), len(sentences)
        ),
        "flagged_numbers": share(
            sum(any(str(f).startswith(_FACT_FLAGS) for f in s["flags"]) for s in sentences),
            len(sentences),
        ),
        "citation_precision": share(
            sum(c.support["label"] == "supported" for c in citations), len(citations)
        ),
    }


#: The refusal settings searched by --calibrate: attribute of ExtractiveAnswerer → values.
GRID: dict[str, list[float]] = {
    "min_coverage": [0.3, 0.4, 0.5, 0.6],
    "min_similarity": [0.3, 0.4, 0.5],
    "min_score": [0.3, 0.45, 0.55],
    "oov_weight": [0.2, 0.5, 1.0],
    "min_target_similarity": [0.0, 0.2, 0.25, 0.3, 0.35, 0.4],
    # Freeing this too overfit the 34-question half (docs/BENCHMARKS.md): kept fixed.
    "similarity_share": [0.5],
}


def calibrate(engine: Any, gold: list[Gold]) -> dict[str, Any]:
    """Grid-search the refusal settings on the calibration half (hybrid retrieval).

    Objective: key-fact match + refusal accuracy. A small half leaves many settings
    tied; among them the one deepest inside the tied region wins (most grid
    neighbours also tied), so no threshold sits at the edge of what works. The
    answerer's own settings are put back afterwards: the search only reports.
    """
    answerer = engine.extractive
    saved = {name: getattr(answerer, name) for name in (*GRID, "lazy")}
    try:
        return _search(engine, answerer, gold)
    finally:
        for name, value in saved.items():
            setattr(answerer, name, value)


def _search(engine: Any, answerer: Any, gold: list[Gold]) -> dict[str, Any]:
    answerer.lazy = False  # the thresholds vary below: every sentence needs its vector
    cal = [g for g in gold if g.half == "calibration"]
    retrievals = {g.id: engine.retrieve(g.q) for g in cal}
    names = list(GRID)
    cache: dict[tuple[str, float], Any] = {}
    objective: dict[tuple[int, ...], tuple[float, float, float]] = {}
    for index in itertools.product(*(range(len(GRID[n])) for n in names)):
        values = {n: GRID[n][i] for n, i in zip(names, index, strict=True)}
        for name, value in values.items():
            setattr(answerer, name, value)
        rows = []
        for g in cal:
            key = (g.id, values["oov_weight"])
            if key not in cache:
                r = retrievals[g.id]
                cache[key] = answerer.score(g.q, r.query_vector, r.passages)
            chosen = answerer.select(cache[key])
            text = " ".join(s.text for s in chosen)
            rows.append((g.answerable, bool(chosen), key_facts(g, text) if chosen else False))
        n_ans = max(1, sum(1 for r in rows if r[0]))
        n_unans = max(1, sum(1 for r in rows if not r[0]))
        facts = sum(1 for a, _, ok in rows if a and ok) / n_ans
        refusals = sum(1 for a, answered, _ in rows if not a and not answered) / n_unans
        objective[index] = (facts + refusals, facts, refusals)
    top = max(v[0] for v in objective.values())
    ties = [i for i, v in objective.items() if v[0] >= top - 1e-9]
    tied = set(ties)

    def depth(index: tuple[int, ...]) -> int:
        count = 0
        for axis in range(len(index)):
            for step in (-1, 1):
                neighbour = list(index)
                neighbour[axis] += step
                count += tuple(neighbour) in tied
        return count

    best = max(ties, key=lambda i: (depth(i), -abs(ties.index(i) - len(ties) // 2)))
    _, facts, refusals = objective[best]
    chosen = {n: GRID[n][i] for n, i in zip(names, best, strict=True)}
    return {
        **chosen,
        "key_fact": round(facts, 3),
        "refusal_accuracy": round(refusals, 3),
        "ties": len(ties),
        "tied_neighbours": depth(best),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--gold",
        help="one gold file (JSONL): its halves under hybrid, BM25 and dense retrieval; "
        "without it, every set found is run as the product runs (rag/cli/evalsets.py)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=os.environ.get("RAG_EVAL_DATA"),
        help="outside sets written by python -m rag.train data (env RAG_EVAL_DATA)",
    )
    parser.add_argument(
        "--parts",
        default="test",
        help="which parts of the outside sets to run (comma-separated; default test)",
    )
    parser.add_argument("--only", help="run only these sets (comma-separated names)")
    parser.add_argument("--work", type=Path, help="where the sets' indexes go (a temp dir)")
    add_location_flags(parser)
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument(
        "--calibrate", action="store_true", help="search refusal thresholds on the calibration half"
    )
    parser.add_argument("--show", action="store_true", help="print each hybrid answer")
    parser.add_argument(
        "--curves",
        type=Path,
        help="with the reader: answer everything once (RAG_MIN_CONFIDENCE=0), write each "
        "set's risk-coverage points and DIR/risk-coverage.png, and score the table at the "
        "shipped threshold",
    )
    add_backend_flags(parser, "answer through this backend (hybrid retrieval only)")
    args = parser.parse_args(argv)

    def body() -> int:
        if args.gold is None and not args.calibrate:
            return run_sets(args)
        gold = load_gold(Path(args.gold or "eval/gold.jsonl"))
        settings = load_settings(
            seeds_dir=args.seeds, index_dir=args.index, **backend_overrides(args)
        )
        engine = open_engine(settings, PROG)
        if args.calibrate:
            print(json.dumps(calibrate(engine, gold), indent=1))
            return 0
        generator = None
        modes: tuple[Any, ...] = MODES
        if args.llm and args.llm != "extractive":  # only the flag chooses a model here

            generator = make_generator(settings)
            modes = ("hybrid",)
        results: dict[str, dict[str, dict[str, float]]] = {}
        for mode in modes:
            answers = [(g, engine.ask(g.q, mode=mode, generator=generator)) for g in gold]
            if args.show and mode == "hybrid":
                for g, a in answers:
                    flag = "ok " if (a.refused != g.answerable) else "BAD"
                    print(f"{flag} {g.id} {g.q}\n      -> {a.text[:150]}", file=sys.stderr)
            results[mode] = {
                half: evaluate([(g, a) for g, a in answers if half == "all" or g.half == half])
                for half in ("held-out", "calibration", "all")
            }
        if args.json:
            print(json.dumps(results, indent=1))
        else:
            print(format_table(results, modes))
        return 0

    return run(body, PROG)


SET_METRICS = (
    "hit@5",
    "citation_line_hit",
    "key_fact",
    "false_refusal",
    "refusal_accuracy",
    "accuracy",
    "sentences_per_answer",
)


def set_metrics(rows: list[tuple[Gold, Any]]) -> dict[str, float]:
    """rag.eval's metrics plus overall accuracy (right answer or right refusal) and
    quoted sentences per answer."""
    metrics: dict[str, float] = evaluate(rows)
    right = [
        (not a.refused and key_facts(g, a.text)) if g.answerable else a.refused for g, a in rows
    ]
    metrics["accuracy"] = round(sum(right) / len(rows), 3) if rows else float("nan")
    answered = [a for _, a in rows if not a.refused]
    metrics["sentences_per_answer"] = (
        round(sum(len(a.sentences) for a in answered) / len(answered), 3)
        if answered
        else float("nan")
    )
    return metrics


def run_sets(args: argparse.Namespace) -> int:
    """Every set found, through ingest and ``rag.ask --json``: one table."""
    settings = load_settings(seeds_dir=args.seeds, index_dir=args.index)
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    sets = discover(Path.cwd(), settings.seeds_dir, args.data, parts)
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        sets = [s for s in sets if s.name in wanted]
    if not sets:
        raise ConfigError("no evaluation set found: run from the project folder or pass --data")
    work = args.work or Path(tempfile.mkdtemp(prefix="rag-eval-"))
    env = None
    threshold = None
    if args.curves:  # everything answered once; each threshold's answers follow from it
        env = {**os.environ, "RAG_DECIDER": "reader", "RAG_MIN_CONFIDENCE": "0"}
        threshold = Reader().calibration.threshold
    results: dict[str, dict[str, float]] = {}
    lines: dict[str, list[curves.Point]] = {}
    for found in sets:
        rows = []
        for folder in found.folders:
            # one index a set, or a week: the same place rag.train features builds it
            index = work / found.name
            if len(found.folders) > 1:
                index = index / folder.articles.parent.name
            rows += run_folder(folder, index, env)
        if threshold is not None:
            lines[found.name] = set_curve(rows)
            rows = [(g, refused_below(a, threshold)) for g, a in rows]
        results[found.name] = set_metrics(rows)
        print(f"{PROG}: {found.name}: {len(rows)} questions", file=sys.stderr)
    if args.curves:
        write_curves(args.curves, lines, threshold)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(format_sets(results))
    return 0


def set_curve(rows: list[tuple[Gold, Any]]) -> list[curves.Point]:
    """Risk against coverage along the confidence of answers given at threshold 0."""
    confidence = [a.confidence or 0.0 for _, a in rows]
    right = [
        (not a.refused and key_facts(g, a.text)) if g.answerable else False for g, a in rows
    ]
    return curves.curve(confidence, right, [g.answerable for g, _ in rows])


def write_curves(
    folder: Path, lines: dict[str, list[curves.Point]], threshold: float | None
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, points in lines.items():
        rows = [dataclasses.asdict(p) for p in points]
        (folder / f"{name}.json").write_text(json.dumps(rows) + "\n", encoding="utf-8")
    png = curves.plot(lines, threshold, folder / "risk-coverage.png")
    print(f"{PROG}: wrote {png}", file=sys.stderr)


def format_sets(results: dict[str, dict[str, float]]) -> str:
    out = ["| set | questions | " + " | ".join(SET_METRICS) + " |"]
    out.append("|---|---|" + "---|" * len(SET_METRICS))
    for name, m in results.items():
        out.append(
            f"| {name} | {m['questions']:.0f} | "
            + " | ".join(f"{m[k]:.3f}" for k in SET_METRICS)
            + " |"
        )
    return "\n".join(out)


def format_table(
    results: dict[str, dict[str, dict[str, float]]], modes: tuple[Any, ...] = MODES
) -> str:
    metrics = [
        "hit@1",
        "hit@5",
        "mrr",
        "citation_hit",
        "citation_line_hit",
        "key_fact",
        "refusal_accuracy",
        "false_refusal",
        "sentences",
        "unsupported_sentences",
        "flagged_numbers",
        "citation_precision",
    ]
    out = []
    for half in ("held-out", "calibration", "all"):
        n = results["hybrid"][half]["questions"]
        out.append(f"\n{half} ({n:.0f} questions)")
        out.append("| metric | " + " | ".join(modes) + " |")
        out.append("|---|" + "---|" * len(modes))
        for metric in metrics:
            out.append(
                f"| {metric} | "
                + " | ".join(f"{results[m][half][metric]:.3f}" for m in modes)
                + " |"
            )
    return "\n".join(out)

