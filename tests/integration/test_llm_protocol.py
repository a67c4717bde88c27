"""The generative path against real HTTP on loopback: a scripted OpenAI-compatible server
(protocol, retries, deadlines, citation checks) and the CLI's error handling."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time

import pytest

from rag import (
    Answer,
    Chat,
    ConfigError,
    Conversation,
    Engine,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
    Session,
    Settings,
)
from rag.answer.engine import QUOTED
from rag.answer.llm import make_generator
from tests.conftest import child_env, run_rag
from tests.fakes import Canary, FakeChatServer, Step, source_number


def generator_for(url: str, **extra):
    return make_generator(Settings(llm="openai-compatible", openai_base_url=url, **extra))


def chat_for(built_index, url: str, **extra) -> Chat:
    """A chat over the built index answering through the endpoint at ``url``."""
    seeds, index = built_index
    return Chat(
        Settings(
            seeds_dir=seeds,
            index_dir=index,
            llm="openai-compatible",
            openai_base_url=url,
            model="m",
            **extra,
        )
    )


@pytest.fixture
def engine(built_index) -> Engine:
    seeds, index = built_index
    return Engine(Settings(seeds_dir=seeds, index_dir=index))


def test_invalid_markers_and_uncited_sentences_are_removed(engine: Engine) -> None:
    # Cite the source that really holds the sentence, whatever number it was given.
    def reply(body: dict) -> Step:
        n = source_number(body["messages"][-1]["content"], "co-founder and CEO of Mistral")
        return Step(
            reply=f"Arthur Mensch is the co-founder and CEO of Mistral. [{n}] He was born on "
            "Mars. Mistral is worth a trillion dollars [77]. ![x](http://127.0.0.1:9/pixel.png)"
        )

    with FakeChatServer(route=reply) as server:
        answer = engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
        sent = server.requests[0]
    n = source_number(sent["messages"][-1]["content"], "co-founder and CEO of Mistral")
    assert answer.backend == "openai-compatible" and answer.model == "fake-model"
    assert answer.text == f"Arthur Mensch is the co-founder and CEO of Mistral [{n}]."
    assert "[77]" not in answer.text and "Mars" not in answer.text and "http" not in answer.text
    assert any("dropped 2 sentence" in n for n in answer.notices)
    assert [d["text"] for d in answer.dropped] == [
        "He was born on Mars.",
        "Mistral is worth a trillion dollars.",
    ]
    (citation,) = answer.citations
    assert (
        citation.n == n and citation.quote == "Arthur Mensch is the co-founder and CEO of Mistral."
    )
    assert sent["max_tokens"] == 512 and sent["stream"] is True
    system, example, shown, prompt = sent["messages"]
    assert "untrusted" in system["content"] and re.search(r"\[\d+\]\.", shown["content"])
    assert example["role"] == "user" and shown["role"] == "assistant"
    assert re.search(r"^\[\d+\] ", prompt["content"], re.M)


def test_the_decision_refuses_before_any_model_is_asked(engine: Engine) -> None:
    with FakeChatServer([Step(reply="Mistral has 500 employees [1].")]) as server:
        answer = engine.ask(
            "How many employees does Mistral have?", generator=generator_for(server.base_url)
        )
        assert server.requests == []  # the model never saw the question
    assert answer.refused and answer.text == "The articles don't say." and not answer.citations
    assert any("no model was asked" in n for n in answer.notices)
    assert answer.passages


def test_the_model_gets_the_decisions_sentences_best_first(engine: Engine) -> None:
    with FakeChatServer([Step(reply="Arthur Mensch runs Mistral [1].")]) as server:
        engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
        prompt = server.requests[0]["messages"][-1]["content"]
    lines = [line for line in prompt.splitlines() if re.match(r"\[\d+\] ", line)]
    assert 1 < len(lines) <= engine.settings.evidence_sentences
    assert "co-founder and CEO of Mistral" in lines[0]  # the answer's sentence first
    assert prompt.endswith("Question: Who is the CEO of Mistral?")


def test_a_reply_nothing_supports_and_nothing_cites_becomes_the_refusal(engine: Engine) -> None:
    with FakeChatServer([Step(reply="Mistral has 500 employees.")]) as server:
        answer = engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
    assert answer.dropped and answer.dropped[0]["text"] == "Mistral has 500 employees."
    assert answer.refused and answer.text == "The articles don't say." and not answer.citations
    assert answer.passages


def test_a_503_is_retried_exactly_once(engine: Engine) -> None:
    steps = [Step(status=503), Step(reply="Arthur Mensch runs Mistral [1].")]
    with FakeChatServer(steps) as server:
        answer = engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
        assert len(server.requests) == 2
    assert not answer.refused
    with FakeChatServer([Step(status=503), Step(status=503), Step(reply="x [1].")]) as server:
        with pytest.raises(LLMResponseError, match="503"):
            engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
        assert len(server.requests) == 2


def test_a_long_retry_after_is_not_waited_out(engine: Engine) -> None:
    with FakeChatServer([Step(status=429, headers={"retry-after": "3600"})]) as server:
        started = time.monotonic()
        with pytest.raises(LLMResponseError, match="429"):
            engine.ask(
                "Who is the CEO of Mistral?",
                generator=generator_for(server.base_url, turn_timeout=20),
            )
        assert time.monotonic() - started < 3 and len(server.requests) == 1


def test_a_server_that_never_answers_times_out_at_the_first_token_deadline(engine) -> None:
    with FakeChatServer([Step(stall=8, reply="late [1].")]) as server:
        started = time.monotonic()
        with pytest.raises(LLMTimeoutError, match="RAG_FIRST_TOKEN_TIMEOUT"):
            engine.ask(
                "Who is the CEO of Mistral?",
                generator=generator_for(server.base_url, first_token_timeout=1.5, max_retries=1),
            )
        assert time.monotonic() - started < 5
        assert len(server.requests) == 1  # a stalled server is not asked again


def test_a_stream_cut_mid_answer_is_replaced_by_the_extractive_answer(engine: Engine) -> None:
    reply = "Mistral is worth a trillion dollars [1]. And then more words follow"
    with FakeChatServer([Step(reply=reply, cut_after=6)]) as server:
        answer = engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
    assert answer.backend == "extractive" and "trillion" not in answer.text
    assert "Mensch" in answer.text and answer.citations
    assert "failed mid-answer" in answer.notices[0] and "not checked" in answer.notices[0]


def test_streaming_yields_text_then_the_checked_answer(engine: Engine) -> None:
    reply = "Arthur Mensch is the co-founder and CEO of Mistral [1]."
    with FakeChatServer([Step(reply=reply)]) as server:
        generator = generator_for(server.base_url)
        passages = engine.retrieve("Who is the CEO of Mistral?").passages
        items = list(generator.stream("Who is the CEO of Mistral?", passages, Conversation()))
    deltas = [i for i in items if isinstance(i, str)]
    assert len(deltas) > 3 and "".join(deltas) == reply
    assert isinstance(items[-1], Answer) and items[-1].citations


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_endpoint_down_is_one_line_naming_the_fix_within_5_s(built_index) -> None:
    seeds, index = built_index
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    started = time.monotonic()
    result = run_rag(
        "ask",
        seeds,
        index,
        "--llm",
        "openai-compatible",
        "--base-url",
        url,
        "--model",
        "m",
        "Who is the CEO of Mistral?",
    )
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach" in lines[0] and "--base-url" in lines[0]
    assert time.monotonic() - started < 5 + 6  # + the process's own start-up
    with pytest.raises(LLMUnavailableError):
        Engine(Settings(seeds_dir=seeds, index_dir=index)).ask(
            "Who is the CEO of Mistral?", generator=generator_for(url, model="m")
        )


def test_cli_json_from_a_compatible_endpoint(built_index) -> None:
    seeds, index = built_index
    with FakeChatServer([Step(reply="Microsoft holds no equity in Mistral [1].")]) as server:
        result = run_rag(
            "ask",
            seeds,
            index,
            "--json",
            "--llm",
            "openai-compatible",
            "--base-url",
            server.base_url,
            "Does Microsoft own shares in Mistral?",
        )
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["backend"] == "openai-compatible" and row["model"] == "fake-model"
    (citation,) = row["citations"]
    text = (seeds / citation["source"]).read_text(encoding="utf-8")
    assert text[citation["char_start"] : citation["char_end"]] == citation["quote"]


def test_missing_configuration_is_a_usage_error(built_index) -> None:
    seeds, index = built_index
    result = run_rag("ask", seeds, index, "--llm", "openai-compatible", "q")
    assert result.returncode == 2 and "--base-url" in result.stderr
    result = run_rag("ask", seeds, index, "--llm", "openai", "q")
    assert result.returncode == 2 and "OPENAI_API_KEY" in result.stderr


def test_a_100000_character_question_is_refused_at_once_without_a_model_call(
    engine: Engine,
) -> None:
    with FakeChatServer([Step(reply="never asked [1].")]) as server:
        generator = generator_for(server.base_url)
        started = time.perf_counter()
        with pytest.raises(ConfigError, match="shorten it"):
            engine.ask("Mistral? " * 11_112, generator=generator)
        elapsed = time.perf_counter() - started
        assert server.requests == []
    assert elapsed < 0.2


def test_a_200_turn_conversation_sends_a_bounded_prompt(built_index) -> None:
    import tiktoken

    reply = "Arthur Mensch is the co-founder and CEO of Mistral. [1]"
    questions = ["Who is the CEO of Mistral?", "Does Microsoft own shares in Mistral?"]
    with FakeChatServer([Step(reply=reply) for _ in range(200)]) as server:
        service = chat_for(built_index, server.base_url, ui_rate_limit=1000)
        session = Session()
        for i in range(200):
            for _ in service.turn(questions[i % 2], session):
                pass
        sizes = [
            len(tiktoken.get_encoding("cl100k_base").encode(m["content"]))
            for m in server.requests[-1]["messages"]
        ]
        assert len(server.requests) == 200
        assert all(r["max_tokens"] == 512 for r in server.requests)
    assert len(session.turns) == 200
    # the 200th prompt is no bigger than the first: history is not replayed
    assert sum(sizes) <= 3000 + 600


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirecting_endpoint_is_not_followed(engine: Engine, status: int) -> None:
    # SSRF through the endpoint: a redirect would send the prompt (the articles) on.

    with Canary("127.0.0.5") as canary:
        target = {"location": canary.url + "/v1/chat/completions"}
        with (
            FakeChatServer([Step(status=status, headers=target)]) as server,
            pytest.raises(LLMResponseError, match="redirect .* not followed"),
        ):
            engine.ask(
                "Who is the CEO of Mistral?", generator=generator_for(server.base_url, model="m")
            )
        assert len(server.requests) == 1
        assert canary.hits == []


def test_the_openai_key_never_travels_to_a_compatible_endpoint(engine, monkeypatch) -> None:
    canary = "sk-test-CANARY-protocol-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    reply = "Arthur Mensch is the co-founder and CEO of Mistral [1]."
    with FakeChatServer([Step(reply=reply), Step(reply=reply)]) as server:
        engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
        monkeypatch.setenv("RAG_ENDPOINT_API_KEY", "endpoint-key-1")
        engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
    sent = json.dumps(server.headers) + json.dumps(server.requests)
    assert canary not in sent
    assert server.headers[1]["authorization"] == "Bearer endpoint-key-1"


def test_each_generated_sentence_is_labelled_against_what_it_cites(built_index) -> None:
    # The model gets one sentence right and turns "holds no equity" into "holds equity",
    # citing the very passage that says the opposite.
    def reply(body: dict) -> Step:
        prompt = body["messages"][-1]["content"]
        ceo = source_number(prompt, "co-founder and CEO of Mistral")
        equity = source_number(prompt, "holds no equity")
        return Step(
            reply=f"Arthur Mensch is the co-founder and CEO of Mistral [{ceo}]. "
            f"Microsoft holds equity in Mistral [{equity}]. Mistral has 700 staff [{ceo}]."
        )

    seeds, index = built_index
    with FakeChatServer(route=reply) as server:
        flags = ["--llm", "openai-compatible", "--base-url", server.base_url, "--model", "m"]
        asked = "Who is the CEO of Mistral, and does Microsoft hold equity in it?"
        result = run_rag("ask", seeds, index, "--json", *flags, asked)
        shown = run_rag("ask", seeds, index, *flags, asked)
    assert result.returncode == 0, result.stderr
    # On the terminal each doubtful sentence is marked where it stands, with the reason.
    assert shown.stdout.count("<unsupported>") == 2 and "negation differs" in shown.stdout
    answer = json.loads(result.stdout)
    labels = [(s["label"], s["flags"]) for s in answer["sentences"]]
    assert [label for label, _ in labels] == ["supported", "unsupported", "unsupported"], labels
    assert "negation differs" in labels[1][1][0]
    assert "'700'" in labels[2][1][0]
    assert {c["support"]["label"] for c in answer["citations"]} == {"unsupported"}


def test_a_summary_request_reaches_the_model_with_the_sentences_about_its_topic(
    engine: Engine,
) -> None:
    # No one sentence answers "Summarize…", so the rules alone would refuse it; with a
    # generative backend the model writes from the sentences most about the topic.
    def reply(body: dict) -> Step:
        n = source_number(body["messages"][-1]["content"], "OpenAI")
        return Step(reply=f"Microsoft has a deep partnership with OpenAI [{n}].")

    asked = "Summarize what the articles say about Microsoft and OpenAI"
    with FakeChatServer(route=reply) as server:
        answer = engine.ask(asked, generator=generator_for(server.base_url))
        prompt = server.requests[0]["messages"][-1]["content"]
    lines = [line for line in prompt.splitlines() if re.match(r"\[\d+\] ", line)]
    assert len(lines) > engine.settings.evidence_sentences  # a summary gets more
    assert all("Microsoft" in line or "OpenAI" in line for line in lines[:3])
    assert not answer.refused and answer.citations
    assert engine.ask(asked).refused  # the extractive answer has no quote for it


def test_a_summary_of_something_the_articles_never_mention_is_refused_unasked(
    engine: Engine,
) -> None:
    with FakeChatServer([Step(reply="Peru grew 3% [1].")]) as server:
        answer = engine.ask(
            "Summarize what the articles say about the Peruvian economy",
            generator=generator_for(server.base_url),
        )
        assert server.requests == []
    assert answer.refused


def test_the_terminal_shows_the_models_text_as_written_then_the_checked_answer(
    built_index,
) -> None:
    def reply(body: dict) -> Step:
        n = source_number(body["messages"][-1]["content"], "co-founder and CEO of Mistral")
        text = f"Arthur Mensch is the co-founder and CEO of Mistral [{n}]. \x1b[31mHe owns a boat."
        return Step(reply=text, seconds=2.0)

    seeds, index = built_index
    with FakeChatServer(route=reply) as server:
        master, slave = pty.openpty()  # stdout is a terminal, as for a person
        flags = ["--llm", "openai-compatible", "--base-url", server.base_url, "--model", "m"]
        process = subprocess.Popen(
            [sys.executable, "-m", "rag.ask", "--seeds", str(seeds), "--index", str(index)]
            + [*flags, "Who is the CEO of Mistral?"],
            stdout=slave,
            stderr=subprocess.DEVNULL,
            env=child_env({"NO_COLOR": "1"}),
        )
        os.close(slave)
        seen: list[tuple[float, str]] = []
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                data = os.read(master, 4096).decode("utf-8", "replace")
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            seen.append((time.monotonic(), data))
        process.wait(30)
        os.close(master)
    text = "".join(data for _, data in seen)
    first_word = next(t for t, data in seen if "Arthur" in data)
    checked_at = next(t for t, data in seen if "Sources:" in data)
    assert checked_at - first_word > 1.0  # the words came as written, the check after
    provisional, _, checked = text.partition("— checked")
    assert "Arthur Mensch" in provisional and "\x1b[31m" not in text  # no escape gets through
    assert "Sources:" in checked and "Removed by the checks" in checked and "boat" in checked
    assert process.returncode == 0


def test_an_answer_short_of_support_is_asked_for_again_sampled(engine: Engine) -> None:
    # The first answer adds a year its passage does not give; sampled again, the model
    # keeps to the passage. Both requests carry the same prompt; the second samples.
    def reply(body: dict) -> Step:
        n = source_number(body["messages"][-1]["content"], "co-founder and CEO of Mistral")
        if body.get("temperature"):
            return Step(reply=f"Arthur Mensch is the co-founder and CEO of Mistral [{n}].")
        return Step(reply=f"Arthur Mensch has been the CEO of Mistral since 2019 [{n}].")

    with FakeChatServer(route=reply) as server:
        answer = engine.ask("Who is the CEO of Mistral?", generator=generator_for(server.base_url))
        first, again = server.requests
    assert first["temperature"] == 0 and "seed" not in first
    assert again["temperature"] == 0.7 and again["seed"] == 1
    assert again["messages"] == first["messages"]
    assert "co-founder and CEO" in answer.text and "2019" not in answer.text
    assert [s["label"] for s in answer.sentences] == ["supported"]
    assert any("asked again 1 time(s)" in n for n in answer.notices)
    # RAG_RESAMPLE=0: asked once, the unsupported sentence shown as such
    with FakeChatServer(route=reply) as server:
        answer = engine.ask(
            "Who is the CEO of Mistral?", generator=generator_for(server.base_url, resample=0)
        )
        assert len(server.requests) == 1
    assert [s["label"] for s in answer.sentences] == ["unsupported"]


HOW_MUCH = "How much did Microsoft invest in OpenAI in 2019?"
BILLION = "Microsoft announced it would invest $1 billion"


def _vague(body: dict) -> Step:
    """A supported answer to HOW_MUCH that gives no amount (its year is none)."""
    n = source_number(body["messages"][-1]["content"], BILLION)
    return Step(reply=f"In 2019, Microsoft announced it would invest in OpenAI [{n}].")


def test_an_answer_without_the_figure_asked_for_is_asked_again_then_quoted(
    engine: Engine,
) -> None:
    # "How much…?" answered with a supported sentence that gives no amount (a year is
    # no amount): asked again; when no try gives one, the quote that does is shown.
    question = HOW_MUCH

    with FakeChatServer(route=_vague) as server:
        answer = engine.ask(question, generator=generator_for(server.base_url))
        assert len(server.requests) == 3  # the first answer and two tries
    assert answer.backend == "extractive" and "$1 billion" in answer.text
    assert answer.citations and not answer.refused
    assert any("gave no figure" in n and QUOTED in n for n in answer.notices)

    def sampled(body: dict) -> Step:
        if body.get("temperature"):
            n = source_number(body["messages"][-1]["content"], BILLION)
            return Step(reply=f"Microsoft announced it would invest $1 billion in OpenAI [{n}].")
        return _vague(body)

    with FakeChatServer(route=sampled) as server:
        answer = engine.ask(question, generator=generator_for(server.base_url))
        assert len(server.requests) == 2  # stops at the try that gives the figure
    assert answer.backend == "openai-compatible" and "$1 billion" in answer.text
    assert [s["label"] for s in answer.sentences] == ["supported"]
    assert any("an answer that gives the figure is shown" in n for n in answer.notices)


def test_a_chat_turn_says_it_is_checking_then_keeps_the_quotes_numbers(built_index) -> None:
    # The same vague answer through a chat turn: a Checking comes between the model's
    # text and the reply, and the quoted answer's source numbers belong to the session.
    with FakeChatServer(route=_vague) as server:
        session = Session()
        items = list(chat_for(built_index, server.base_url).turn(HOW_MUCH, session))
    kinds = [type(i).__name__ for i in items]
    assert kinds[0] == "Delta" and kinds[-2:] == ["Checking", "Reply"]
    assert "gave no figure" in items[-2].text
    answer = items[-1].answer
    assert answer.backend == "extractive" and "$1 billion" in answer.text
    numbers = session.conversation.numbers
    assert {c.n for c in answer.citations} <= set(numbers.values())
    assert all(numbers[(c.source, c.char_start, c.char_end)] == c.n for c in answer.citations)
