"""``python -m rag.bench``: speed on this machine, against a baseline measured in the same run.

- bare import: ``python -c "import chromadb, llama_index.core"`` in a new process
- cold ask: ``python -m rag.ask --json Q`` in a new process, index present
- in-process answer: ``Engine.ask`` over the gold questions, index loaded
- ingest: building the seeds' index from scratch

Each timing: min and median of ``--runs`` runs (≥ 5), with the load average logged.
(The retrieval-quality and scale benchmarks of the retrieval issue will join this.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rag.cli_common import add_location_flags, run

PROG = "python -m rag.bench"


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 4),
        "median": round(statistics.median(values), 4),
        "runs": len(values),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    add_location_flags(parser)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gold", default="eval/gold.jsonl")
    args = parser.parse_args(argv)

    def body() -> int:
        from rag.config import load_settings
        from rag.engine import Engine
        from rag.eval import load_gold
        from rag.indexing import build_index

        settings = load_settings(seeds_dir=args.seeds, index_dir=args.index)
        env = dict(os.environ)
        result: dict[str, object] = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
            "loadavg_before": os.getloadavg(),
        }
        with tempfile.TemporaryDirectory() as tmp:
            ingest = []
            for i in range(max(1, args.runs // 2)):
                started = time.perf_counter()
                build_index(settings.model_copy(update={"index_dir": Path(tmp) / f"i{i}"}))
                ingest.append(time.perf_counter() - started)
        result["ingest_seeds_s"] = _summary(ingest)
        Engine(settings)  # make sure the index exists and is compatible
        bare = [
            _timed([sys.executable, "-c", "import chromadb, llama_index.core"], env)
            for _ in range(args.runs)
        ]
        question = "Does Microsoft own shares in Mistral?"
        cold = [
            _timed(
                [
                    sys.executable,
                    "-m",
                    "rag.ask",
                    "--json",
                    "--seeds",
                    str(settings.seeds_dir),
                    "--index",
                    str(settings.index_dir),
                    question,
                ],
                env,
            )
            for _ in range(args.runs)
        ]
        result["bare_import_s"] = _summary(bare)
        result["cold_ask_s"] = _summary(cold)
        result["cold_ask_over_bare_import_p50"] = round(
            statistics.median(cold) / statistics.median(bare), 2
        )
        engine = Engine(settings)
        gold = load_gold(Path(args.gold))
        for g in gold:  # warm: the model loaded, caches as a running app has them
            engine.ask(g.q)
        per_question = []
        cpu_started = time.process_time()
        for _ in range(args.runs):
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
        result["loadavg_after"] = os.getloadavg()
        print(json.dumps(result, indent=1))
        return 0

    return run(body, PROG)


if __name__ == "__main__":
    sys.exit(main())
