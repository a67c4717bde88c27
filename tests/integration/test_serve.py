"""python -m rag.serve, driven by the real openai client over loopback."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, child_env, run_cli, spawn
from tests.fakes import FakeChatServer, Step, source_number
from tests.ui.conftest import free_port

KEY = "test-api-key-0123456789"


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen

    @property
    def v1(self) -> str:
        return f"{self.url}/v1"


def start_server(workdir: Path, *extra: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    args = ["-m", "rag.serve", "--port", str(port), "--seeds", "seeds", "--index", "index"]
    url = f"http://127.0.0.1:{port}"
    process = spawn(
        [*args, *extra], workdir, child_env(env), f"{url}/v1/models", workdir / f"serve-{port}.log"
    )
    return Server(url, port, process)


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()


def _workdir(base: Path, built_index: tuple[Path, Path] | None) -> Path:
    shutil.copytree(ROOT / "seeds", base / "seeds")
    if built_index is not None:
        shutil.copytree(built_index[1], base / "index")
    return base


@pytest.fixture(scope="module")
def server(built_index, tmp_path_factory) -> Iterator[Server]:
    workdir = _workdir(tmp_path_factory.mktemp("serve"), built_index)
    running = start_server(workdir, env={"RAG_API_KEY": KEY, "RAG_UI_RATE_LIMIT": "1000"})
    yield running
    stop(running)


@pytest.fixture
def client(server):
    import openai

    return openai.OpenAI(base_url=server.v1, api_key=KEY, max_retries=0, timeout=60)


def test_the_models_are_the_extractive_one_only_unless_the_operator_adds_one(client) -> None:
    assert [m.id for m in client.models.list()] == ["rag-extractive"]


def test_an_answer_carries_its_citations_in_the_text_in_citations_and_in_rag(client) -> None:
    done = client.chat.completions.create(
        model="rag-extractive",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},  # ignored
            {"role": "user", "content": [{"type": "text", "text": "Who is the CEO of Mistral?"}]},
        ],
        temperature=0.2,  # an unknown-to-us parameter: ignored
    )
    text = done.choices[0].message.content
    assert text.startswith("Arthur Mensch is the co-founder and CEO of Mistral. [1]")
    assert "\nSources:\n[1] [000_1e069c046a7fec7f.txt:5](" in text
    links = done.model_extra["citations"]
    assert len(links) == 1 and links[0] in text and "/v1/sources/" in links[0]
    rag = done.model_extra["rag"]
    cited = rag["citations"][0]
    assert (cited["n"], cited["line_start"], cited["quote"]) == (
        1,
        5,
        "Arthur Mensch is the co-founder and CEO of Mistral.",
    )
    assert rag["sentences"][0]["label"] == "supported" and rag["refused"] is False
    assert done.choices[0].finish_reason == "stop"


def test_a_stream_sends_sentences_then_citations_and_rag_on_the_final_chunk(client) -> None:
    question = [{"role": "user", "content": "How much did Microsoft invest in OpenAI in 2019?"}]
    whole = client.chat.completions.create(model="rag-extractive", messages=question)
    chunks = list(
        client.chat.completions.create(model="rag-extractive", messages=question, stream=True)
    )
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    assert "".join(pieces) == whole.choices[0].message.content
    assert sum(1 for p in pieces if p) >= 2  # sentence by sentence, then the sources
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert final.model_extra["citations"] == whole.model_extra["citations"]
    assert final.model_extra["rag"]["citations"] == whole.model_extra["rag"]["citations"]
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_a_follow_up_is_read_from_the_history_and_keeps_source_numbers(client) -> None:
    first_q = "Who is the CEO of Mistral?"
    first = client.chat.completions.create(
        model="rag-extractive", messages=[{"role": "user", "content": first_q}]
    )
    history = [
        {"role": "user", "content": first_q},
        {"role": "assistant", "content": first.choices[0].message.content},
    ]
    follow = client.chat.completions.create(
        model="rag-extractive",
        messages=[*history, {"role": "user", "content": "And where did he work before?"}],
    )
    rag = follow.model_extra["rag"]
    assert rag["asked_as"] == "And where did Arthur Mensch work before?"
    assert "Google" in follow.choices[0].message.content
    assert [c["n"] for c in rag["citations"]] == [2]  # [1] stays the first answer's source
    links = follow.model_extra["citations"]
    assert links[0] == first.model_extra["citations"][0]  # [1] → the same link
    again = client.chat.completions.create(
        model="rag-extractive",
        messages=[
            *history,
            {"role": "user", "content": "And where did he work before?"},
            {"role": "assistant", "content": follow.choices[0].message.content},
            {"role": "user", "content": first_q},
        ],
    )
    assert [c["n"] for c in again.model_extra["rag"]["citations"]] == [1]


def test_a_front_ends_background_task_gets_a_short_plain_answer(client) -> None:
    done = client.chat.completions.create(
        model="rag-extractive",
        messages=[
            {"role": "user", "content": "Who is the CEO of Mistral?"},
            {"role": "assistant", "content": "Arthur Mensch. [1]"},
            {"role": "user", "content": "### Task:\nGenerate a concise, 3-5 word title."},
        ],
    )
    assert done.choices[0].message.content == '{"title": "Who is the CEO of Mistral?"}'
    assert done.model_extra["rag"] is None


def test_the_source_link_opens_without_the_key_and_a_forged_one_does_not(client) -> None:
    import httpx

    done = client.chat.completions.create(
        model="rag-extractive", messages=[{"role": "user", "content": "Who is the CEO of Mistral?"}]
    )
    link = done.model_extra["citations"][0]
    page = httpx.get(link, timeout=10)
    assert page.status_code == 200 and '<div class="line hit" id="L5">' in page.text
    assert "Arthur Mensch is the co-founder" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    forged = httpx.get(link.replace("start=5", "start=6"), timeout=10)
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "invalid_signature"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model": "rag-extractive", "messages": []}, 400, "invalid_messages"),
        ({"messages": [{"role": "user", "content": "Hi"}]}, 400, "missing_model"),
        (
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
            404,
            "model_not_found",
        ),
        (
            {"model": "rag-extractive", "messages": [{"role": "user", "content": "  "}]},
            400,
            "invalid_request",
        ),
        (
            {"model": "rag-extractive", "messages": [{"role": "user", "content": "x" * 20000}]},
            400,
            "invalid_request",
        ),
    ],
)
def test_bad_requests_get_the_openai_error_shape(server, body, status, code) -> None:
    import httpx

    got = httpx.post(
        f"{server.v1}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=30,
    )
    assert got.status_code == status
    error = got.json()["error"]
    assert error["code"] == code and error["message"] and "Traceback" not in got.text


def test_the_openai_client_sees_typed_errors(client) -> None:
    import openai

    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="rag-extractive", messages=[])


def test_a_body_past_the_limit_is_413(server) -> None:
    import httpx

    big = {"model": "rag-extractive", "messages": [{"role": "user", "content": "y" * 2_000_000}]}
    got = httpx.post(
        f"{server.v1}/chat/completions",
        json=big,
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=30,
    )
    assert got.status_code == 413 and got.json()["error"]["code"] == "request_too_large"


def test_the_key_is_required_and_compared(server) -> None:
    import httpx
    import openai

    wrong = openai.OpenAI(base_url=server.v1, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    bare = httpx.get(f"{server.v1}/models", timeout=10)
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "invalid_api_key"


def test_a_foreign_host_or_origin_is_refused(server) -> None:
    import httpx

    auth = {"Authorization": f"Bearer {KEY}"}
    rebinding = httpx.get(
        f"{server.v1}/models", headers={**auth, "Host": "evil.example"}, timeout=10
    )
    assert rebinding.status_code == 403 and rebinding.json()["error"]["code"] == "bad_host"
    page = httpx.get(
        f"{server.v1}/models", headers={**auth, "Origin": "http://evil.example"}, timeout=10
    )
    assert page.status_code == 403 and page.json()["error"]["code"] == "bad_origin"
    own = httpx.get(
        f"{server.v1}/models",
        headers={**auth, "Origin": f"http://localhost:{server.port}"},
        timeout=10,
    )
    assert own.status_code == 200
    assert "access-control-allow-origin" not in own.headers  # no CORS unless configured


def test_past_the_rate_limit_is_429_with_retry_after(built_index, tmp_path) -> None:
    import openai

    running = start_server(_workdir(tmp_path, built_index), env={"RAG_UI_RATE_LIMIT": "2"})
    try:
        client = openai.OpenAI(base_url=running.v1, api_key="unused", max_retries=0)
        ask = [{"role": "user", "content": "Who is the CEO of Mistral?"}]
        for _ in range(2):
            client.chat.completions.create(model="rag-extractive", messages=ask)
        with pytest.raises(openai.RateLimitError) as refused:
            client.chat.completions.create(model="rag-extractive", messages=ask, stream=True)
        assert 1 <= int(refused.value.response.headers["retry-after"]) <= 60
    finally:
        stop(running)


def test_no_index_yet_is_503_and_is_not_built(tmp_path) -> None:
    import openai

    workdir = _workdir(tmp_path, None)
    running = start_server(workdir)
    try:
        client = openai.OpenAI(base_url=running.v1, api_key="unused", max_retries=0)
        with pytest.raises(openai.InternalServerError) as missing:
            client.chat.completions.create(
                model="rag-extractive", messages=[{"role": "user", "content": "Hi there"}]
            )
        assert missing.value.status_code == 503
        assert "rag.ingest" in missing.value.message
        assert not (workdir / "index" / "CURRENT").exists()
    finally:
        stop(running)


def test_listening_beyond_loopback_needs_a_key() -> None:
    done = run_cli("-m", "rag.serve", "--host", "0.0.0.0", "--port", "9")
    assert done.returncode == 2 and "RAG_API_KEY" in done.stderr


def test_a_generative_stream_sends_the_models_text_as_written_then_the_checked_answer(
    built_index, tmp_path
) -> None:
    import openai

    # The model leaves its second sentence uncited and plants an image: the deltas
    # carry its words as they come (inert), the final chunk the checked answer.
    def reply(body: dict) -> Step:
        n = source_number(body["messages"][-1]["content"], "co-founder and CEO of Mistral")
        text = (
            f"Arthur Mensch is the co-founder and CEO of Mistral [{n}]. "
            "Mistral's CEO is Arthur Mensch. ![x](http://127.0.0.1:9/x.png)"
        )
        return Step(reply=text, seconds=2.0)

    with FakeChatServer(route=reply) as model:
        workdir = _workdir(tmp_path, built_index)
        flags = ["--llm", "openai-compatible", "--base-url", model.base_url, "--model", "m"]
        running = start_server(workdir, *flags, env={"RAG_API_KEY": KEY})
        try:
            client = openai.OpenAI(base_url=running.v1, api_key=KEY, max_retries=0, timeout=60)
            question = [{"role": "user", "content": "Who is the CEO of Mistral?"}]
            arrivals = []
            stream = client.chat.completions.create(
                model="rag-openai-compatible", messages=question, stream=True
            )
            for chunk in stream:
                arrivals.append((time.monotonic(), chunk))
        finally:
            stop(running)
    final_at, final = arrivals[-1]
    deltas = [
        (t, c.choices[0].delta.content) for t, c in arrivals[:-1] if c.choices[0].delta.content
    ]
    assert len(deltas) > 5  # token by token, not one block
    assert final_at - deltas[0][0] > 1.0  # the first words came well before the end
    streamed = "".join(text for _, text in deltas)
    assert streamed.startswith("Arthur Mensch is the co-founder")
    raw, _, checked = streamed.partition("**Checked answer**")
    assert "![" not in raw and "](" not in raw  # the planted image stays text
    assert "Sources:" in checked and "![" not in checked
    assert final.choices[0].finish_reason == "stop" and final.model_extra["citations"]
    rag = final.model_extra["rag"]
    assert rag["backend"] == "openai-compatible" and not rag["refused"]
    assert "http" not in rag["answer"]
    assert all(s["label"] == "supported" for s in rag["sentences"])
    assert [s["cited_by"] for s in rag["sentences"]] == ["model", "system"]
