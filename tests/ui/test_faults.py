"""Endpoint faults seen through the real app (API, loopback): an endpoint that is down
and comes back, and one that accepts a question and never answers."""

from __future__ import annotations

import json
import threading
import time

import pytest
from gradio_client import Client

from tests.fakes import FakeChatServer, Step
from tests.ui.conftest import ARTIFACTS, CANARY, free_port, start_app_with_model, stop_app

pytestmark = pytest.mark.slow

REPLY = "Arthur Mensch is the co-founder and CEO of Mistral. [1]"
QUESTION = "Who is the CEO of Mistral?"
FIGURES: dict[str, float] = {}


def record(name: str, seconds: float) -> None:
    """Measured times land in test-artifacts/faults.json (docs/RELIABILITY.md quotes them)."""

    FIGURES[name] = round(seconds, 2)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "faults.json").write_text(json.dumps(FIGURES, indent=1))


def client(app):
    return Client(app.url + "/", verbose=False)


def test_the_chat_resumes_when_a_down_endpoint_comes_back(app_workdir) -> None:
    port = free_port()
    app = start_app_with_model(app_workdir, f"http://127.0.0.1:{port}/v1")
    try:
        asker = client(app)
        started = time.monotonic()
        down = asker.predict(QUESTION, api_name="/ask")
        record("endpoint_down_answer_s", time.monotonic() - started)
        assert time.monotonic() - started < 5
        assert down["backend"] == "extractive" and "Mensch" in down["answer"]
        assert any("cannot reach" in notice for notice in down["notices"]), down["notices"]
        with FakeChatServer(default=Step(reply=REPLY), port=port) as server:
            back = asker.predict(QUESTION, api_name="/ask")
            assert back["backend"] == "openai-compatible", back
            assert len(server.requests) == 1
    finally:
        stop_app(app)


def test_a_stalled_endpoint_ends_at_the_deadline_and_other_sessions_keep_answering(
    app_workdir,
) -> None:
    stalling = "How much has Microsoft invested in OpenAI?"

    def asks_it(body: dict) -> bool:  # the question line, not the passages
        return f"Question: {stalling}" in body["messages"][-1]["content"]

    def route(body: dict) -> Step:
        return Step(stall=60.0, reply=REPLY) if asks_it(body) else Step(reply=REPLY)

    with FakeChatServer(route=route) as server:
        app = start_app_with_model(
            app_workdir,
            server.base_url,
            env_extra={"RAG_FIRST_TOKEN_TIMEOUT": "4", "RAG_TURN_TIMEOUT": "8"},
        )
        try:
            stalled: dict = {}

            def ask_the_stalled_one() -> None:
                started = time.monotonic()
                stalled["answer"] = client(app).predict(stalling, api_name="/ask")
                stalled["seconds"] = time.monotonic() - started

            thread = threading.Thread(target=ask_the_stalled_one)
            thread.start()
            deadline = time.monotonic() + 10
            while not any(asks_it(request) for request in server.requests):
                assert time.monotonic() < deadline, "the stalled question never reached the model"
                time.sleep(0.05)
            # While it hangs at the model, other sessions are answered as usual.
            others = [client(app) for _ in range(3)]
            for number, other in enumerate(others):
                started = time.monotonic()
                answer = other.predict(QUESTION, api_name="/ask")
                record(f"other_session_{number}_s", time.monotonic() - started)
                assert answer["backend"] == "openai-compatible" and "Mensch" in answer["answer"]
                assert time.monotonic() - started < 3.0
            assert thread.is_alive()  # the stalled one is still waiting meanwhile
            thread.join(timeout=30)
            record("stalled_question_s", stalled["seconds"])
            assert stalled["seconds"] < 4 + 3  # the first-token deadline, plus the fallback
            notices = " ".join(stalled["answer"]["notices"])
            assert "extractive answer instead" in notices, notices
            assert stalled["answer"]["citations"]  # the fallback still answers with sources
            # The app runs with the canary as OPENAI_API_KEY: it never reaches this endpoint.
            assert CANARY not in json.dumps([server.headers, server.requests])
        finally:
            stop_app(app)
