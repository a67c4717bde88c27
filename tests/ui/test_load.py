"""Load on the real app (loopback), answering through a fake model that streams for 1 s.

A one-session baseline B is measured first in the same run; the gates are ratios to
it, because the load generator and the server share the machine's two cores. Each
session is its own gradio_client Client (its own Gradio session and rate-limit key)
asking through the public API with 2–5 s of think time. Figures land in
test-artifacts/load.json (docs/RELIABILITY.md quotes them).
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from pathlib import Path

import pytest
from gradio_client import Client

from tests.fakes import FakeChatServer, Step
from tests.ui.conftest import ARTIFACTS, start_app_with_model, stop_app

pytestmark = pytest.mark.slow

REPLY = "Arthur Mensch is the co-founder and CEO of Mistral. [1]"
DURATION = 60.0
RESULTS: dict[str, object] = {}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(0.95 * len(ordered)) - 1)]


@pytest.fixture(scope="module")
def loaded_app(app_workdir):
    with FakeChatServer(default=Step(reply=REPLY, seconds=1.0)) as server:
        app = start_app_with_model(app_workdir, server.base_url)
        try:
            yield app
        finally:
            stop_app(app)


def save() -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(RESULTS, indent=1))


def run_sessions(url: str, sessions: int, duration: float) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(sessions)

    def session(index: int) -> None:
        chance = random.Random(index)
        try:
            client = Client(url + "/", verbose=False)
        except Exception as err:  # a client that cannot even connect is an error
            with lock:
                errors.append(f"connect: {err}")
            start_gate.abort()
            return
        start_gate.wait()
        time.sleep(chance.uniform(0, 2.0))  # stagger the first questions
        ends = time.monotonic() + duration
        while time.monotonic() < ends:
            started = time.monotonic()
            try:
                answer = client.predict("Who is the CEO of Mistral?", api_name="/ask")
                ok = answer.get("backend") == "openai-compatible" and not answer.get("refused")
                with lock:
                    latencies.append(time.monotonic() - started)
                    if not ok:
                        errors.append(f"bad answer: {str(answer)[:200]}")
            except Exception as err:
                with lock:
                    errors.append(str(err)[:200])
            time.sleep(chance.uniform(2.0, 5.0))

    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 120)
    return latencies, errors


def baseline(url: str) -> float:
    client = Client(url + "/", verbose=False)
    client.predict("Who is the CEO of Mistral?", api_name="/ask")  # warm
    times = []
    for _ in range(5):
        started = time.monotonic()
        client.predict("Who is the CEO of Mistral?", api_name="/ask")
        times.append(time.monotonic() - started)
    return statistics.median(times)


@pytest.mark.parametrize(("sessions", "max_ratio"), [(25, 4.0), (50, 10.0)])
def test_concurrent_sessions_get_answers_within_a_bound_of_the_baseline(
    loaded_app, sessions: int, max_ratio: float
) -> None:
    b = RESULTS.setdefault("baseline_s", baseline(loaded_app.url))
    assert isinstance(b, float)
    memory_before = rss_mb(loaded_app.process.pid)
    latencies, errors = run_sessions(loaded_app.url, sessions, DURATION)
    memory_after = rss_mb(loaded_app.process.pid)
    RESULTS[f"{sessions}_sessions"] = {
        "questions": len(latencies),
        "errors": len(errors),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(p95(latencies), 3) if latencies else None,
        "p95_over_baseline": round(p95(latencies) / b, 2) if latencies else None,
        "server_rss_mb": [round(memory_before, 1), round(memory_after, 1)],
    }
    save()
    assert errors == [], errors[:5]
    assert len(latencies) >= sessions * 5
    assert p95(latencies) <= max_ratio * b, RESULTS
    if sessions == 50:
        assert memory_after - memory_before < 50, RESULTS


def wait_for(condition, what: str, seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)


def test_a_full_queue_answers_busy_at_once_without_a_server_error(app_workdir) -> None:
    with FakeChatServer(default=Step(reply=REPLY, seconds=10.0)) as server:
        app = start_app_with_model(
            app_workdir,
            server.base_url,
            env_extra={"RAG_UI_CONCURRENCY": "1", "RAG_UI_QUEUE_SIZE": "1"},
        )
        try:
            clients = [Client(app.url + "/", verbose=False) for _ in range(3)]
            # Fill the queue step by step (a loaded machine may be slow to submit):
            # one question at the model, then one waiting in the queue.
            jobs = [clients[0].submit("Who is the CEO of Mistral?", api_name="/ask")]
            wait_for(lambda: len(server.requests) >= 1, "the first question reached the model")
            jobs.append(clients[1].submit("Who is the CEO of Mistral?", api_name="/ask"))
            wait_for(lambda: jobs[1].status().code.name == "IN_QUEUE", "the second one queued")
            started = time.monotonic()
            with pytest.raises(Exception) as refused:
                clients[2].predict("Who is the CEO of Mistral?", api_name="/ask")
            elapsed = time.monotonic() - started
            RESULTS["queue_full"] = {"seconds": round(elapsed, 3), "message": str(refused.value)}
            save()
            assert elapsed < 2.0
            assert "busy" in str(refused.value).lower() or "full" in str(refused.value).lower()
            for job in jobs:  # the accepted ones still finish
                assert job.result(timeout=60)["backend"] == "openai-compatible"
        finally:
            stop_app(app)
