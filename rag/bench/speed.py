"""Speed on this machine, against a baseline measured in the same run.

- bare import: ``python -c "import chromadb, llama_index.core"`` in a new process
- cold ask: ``python -m rag.ask --json Q`` in a new process, index present
- in-process answer: ``Engine.ask`` over the gold questions, index loaded
- cold retrieve-only: ``python -m rag.ask --retrieve-only Q`` likewise
- ingest: building the seeds' index from scratch

Each timing: min and median of ``runs`` runs (≥ 5).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rag.answer.engine import Engine
from rag.cli.gold import load_gold
from rag.config import Settings
from rag.index import store
from rag.ingest.build import build_index


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def summary(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 4),
        "median": round(statistics.median(values), 4),
        "runs": len(values),
    }


def speed(settings: Settings, gold_path: Path, runs: int) -> dict[str, Any]:
    """Cold ask vs bare import, in-process answers, and ingest of the seeds."""
    env = dict(os.environ)
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ingest = []
        for i in range(max(1, runs // 2)):
            started = time.perf_counter()
            build_index(settings.model_copy(update={"index_dir": Path(tmp) / f"i{i}"}))
            ingest.append(time.perf_counter() - started)
    result["ingest_seeds_s"] = summary(ingest)
    Engine(settings)  # make sure the index exists and is compatible
    bare = [
        _timed([sys.executable, "-c", "import chromadb, llama_index.core"], env)
        for _ in range(runs)
    ]
    where = ["--seeds", str(settings.seeds_dir), "--index", str(settings.index_dir)]
    question = "Does Microsoft own shares in Mistral?"
    cold = [
        _timed([sys.executable, "-m", "rag.ask", "--json", *where, question], env)
        for _ in range(runs)
    ]
    cold_retrieve = [
        _timed([sys.executable, "-m", "rag.ask", "--retrieve-only", *where, question], env)
        for _ in range(runs)
    ]
    result["bare_import_s"] = summary(bare)
    result["cold_ask_s"] = summary(cold)
    result["cold_retrieve_only_s"] = summary(cold_retrieve)
    result["cold_ask_over_bare_import_p50"] = round(
        statistics.median(cold) / statistics.median(bare), 2
    )
    result["cold_retrieve_only_over_bare_import_p50"] = round(
        statistics.median(cold_retrieve) / statistics.median(bare), 2
    )
    engine = Engine(settings)
    gold = load_gold(gold_path)
    for g in gold:  # warm: the model loaded, caches as a running app has them
        engine.ask(g.q)
    per_question = []
    cpu_started = time.process_time()
    for _ in range(runs):
        for g in gold:
            started = time.perf_counter()
            engine.ask(g.q)
            per_question.append((time.perf_counter() - started) * 1000)
    result["in_process_answer_ms"] = {
        "p50": round(statistics.median(per_question), 1),
        "p95": round(sorted(per_question)[int(0.95 * len(per_question)) - 1], 1),
        "questions": len(per_question),
        "cpu_s": round(time.process_time() - cpu_started, 2),
    }
    fresh = Engine(settings)  # cold caches: first answer of a new engine per question
    first = []
    for g in gold:
        started = time.perf_counter()
        fresh.ask(g.q)
        first.append((time.perf_counter() - started) * 1000)
        fresh.extractive._cache.clear()
    result["in_process_answer_uncached_ms"] = {"p50": round(statistics.median(first), 1)}
    return result


_BARE_EMBED = """
import json, sys, time
from rag.embed import MiniLM
texts = json.load(open(sys.argv[1]))
model = MiniLM(batch_size=int(sys.argv[2]), bulk=True)
model.encode(texts[:8])  # load the model: ingest's start-up is not counted against it
started = time.perf_counter()
model.encode(texts)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def _child(cmd: list[str]) -> tuple[float, str, dict[str, float]]:
    """Wall time, stdout and the child's own peak RSS (MB) and CPU seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed with exit code {process.returncode}")
    return (
        wall,
        out,
        {
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        },
    )


def ingest_throughput(seeds: Path, work: Path, settings: Settings) -> dict[str, Any]:
    """``rag.ingest`` on ``seeds`` (a new process, from scratch) against the bare
    embedder on the very chunks it stored: the physical limit on this machine."""
    index = work / "index"
    wall, report, ingest_usage = _child(
        [sys.executable, "-m", "rag.ingest", "--json", "--seeds", str(seeds), "--index", str(index)]
    )
    generation = store.open_current(index)
    texts = store.all_records(store.open_collection(generation.path), ("documents",))["documents"]
    texts_file = work / "chunks.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    _, out, bare_usage = _child(
        [sys.executable, "-c", _BARE_EMBED, str(texts_file), str(settings.embed_batch_size)]
    )
    bare_seconds = json.loads(out)["seconds"]
    return {
        "chunks": len(texts),
        "ingest_s": round(wall, 1),
        "ingest_chunks_per_s": round(len(texts) / wall, 1),
        "bare_embedder_s": round(bare_seconds, 1),
        "bare_embedder_chunks_per_s": round(len(texts) / bare_seconds, 1),
        "ingest_over_bare": round(bare_seconds / wall, 3),
        # the ingest's own account; start-up (imports, model load) is the rest of the wall
        "ingest_phases_s": json.loads(report)["phases"],
        "ingest_process": ingest_usage,
        "bare_embedder_process": bare_usage,
    }
