"""Load on rag.serve in the style of the UI's (tests/ui/test_load.py): 25 API clients,
each with exponential think time (mean 3 s), for 60 s, answering through a fake model
that streams for 1 s. The gate is a ratio to a one-client baseline measured in the same
run. Figures land in test-artifacts/api-load.json (docs/RELIABILITY.md quotes them)."""

from __future__ import annotations

import json
import random
import statistics
import threading
import time

import pytest

from tests.fakes import FakeChatServer, Step
from tests.integration.test_serve import KEY, _workdir, start_server, stop
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_load import p95, rss_mb

pytestmark = pytest.mark.slow

REPLY = "Arthur Mensch is the co-founder and CEO of Mistral. [1]"
MODEL = "rag-openai-compatible"
QUESTION = [{"role": "user", "content": "Who is the CEO of Mistral?"}]


def _client(url: str):
    import openai

    return openai.OpenAI(base_url=url, api_key=KEY, max_retries=0, timeout=60)


def _ask(client, user: str) -> str | None:
    """None when the answer is the model's, cited; else what was wrong."""
    done = client.chat.completions.create(model=MODEL, messages=QUESTION, user=user)
    rag = done.model_extra["rag"]
    if rag["backend"] != "openai-compatible" or rag["refused"] or not rag["citations"]:
        return f"bad answer: {str(rag)[:200]}"
    return None


def test_25_clients_get_answers_within_four_times_the_baseline(built_index, tmp_path) -> None:
    with FakeChatServer(default=Step(reply=REPLY, seconds=1.0)) as model:
        server = start_server(
            _workdir(tmp_path, built_index),
            "--llm",
            "openai-compatible",
            "--base-url",
            model.base_url,
            "--model",
            "m",
            env={"RAG_API_KEY": KEY, "RAG_UI_RATE_LIMIT": "1000"},
        )
        try:
            results = _run(server)
        finally:
            stop(server)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "api-load.json").write_text(json.dumps(results, indent=1))
    assert results["errors"] == [], results["errors"][:5]
    assert results["questions"] >= 25 * 5
    assert results["p95_over_baseline"] <= 4.0, results
    assert results["rss_growth_mb"] < 50, results


def _run(server) -> dict:
    single = _client(server.v1)
    assert [m.id for m in single.models.list()] == ["rag-extractive", MODEL]  # --llm adds it
    _ask(single, "warm")
    times = []
    for _ in range(5):
        started = time.monotonic()
        assert _ask(single, "baseline") is None
        times.append(time.monotonic() - started)
    baseline = statistics.median(times)
    before = rss_mb(server.process.pid)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(25)

    def session(index: int) -> None:
        chance = random.Random(index)
        client = _client(server.v1)
        gate.wait()
        ends = time.monotonic() + 60.0
        while time.monotonic() < ends:
            time.sleep(chance.expovariate(1 / 3.0))  # think time, mean 3 s
            started = time.monotonic()
            try:
                wrong = _ask(client, f"client-{index}")
            except Exception as err:  # a 429 or a dropped connection counts too
                wrong = f"{type(err).__name__}: {str(err)[:160]}"
            with lock:
                latencies.append(time.monotonic() - started)
                if wrong:
                    errors.append(wrong)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=200)
    after = rss_mb(server.process.pid)
    return {
        "baseline_s": round(baseline, 3),
        "questions": len(latencies),
        "errors": errors,
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(p95(latencies), 3),
        "p95_over_baseline": round(p95(latencies) / baseline, 2),
        "server_rss_mb": [round(before, 1), round(after, 1)],
        "rss_growth_mb": round(after - before, 1),
    }
