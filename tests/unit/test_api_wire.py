"""The API's wire format and guard, without a server."""

from __future__ import annotations

import pytest

from rag.api.guard import Guard, is_loopback
from rag.api.service import _pieces
from rag.api.wire import ApiError, background_reply, earlier_sources, parse_request, text_of


def test_a_request_keeps_user_and_assistant_turns_and_ignores_the_rest() -> None:
    body = {
        "model": "rag-extractive",
        "stream": True,
        "temperature": 0.1,  # unknown to us: ignored
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Who leads Mistral?"},
            {"role": "assistant", "content": "Arthur Mensch. [1]"},
            {"role": "tool", "content": "ignored"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Where"},
                    {"type": "image_url", "image_url": {"url": "x"}},
                    {"type": "text", "text": "before?"},
                ],
            },
        ],
    }
    request = parse_request(body, max_messages=10)
    assert request.stream and request.model == "rag-extractive"
    assert request.question == "Where\nbefore?"
    assert request.history == [("Who leads Mistral?", "Arthur Mensch. [1]")]
    assert not request.background_task


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([], "invalid_body"),
        ({"model": "m"}, "invalid_messages"),
        ({"model": "m", "messages": [{"role": "assistant", "content": "x"}]}, "invalid_messages"),
        ({"model": "m", "messages": [{"content": "x"}]}, "invalid_message"),
        ({"messages": [{"role": "user", "content": "x"}]}, "missing_model"),
        ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "invalid_content"),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}] * 11}, "too_many_messages"),
    ],
)
def test_a_bad_request_names_what_is_wrong(body: object, code: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_request(body, max_messages=10)
    assert refused.value.status == 400 and refused.value.code == code
    assert refused.value.body()["error"]["type"] == "invalid_request_error"


def test_earlier_sources_are_read_back_from_a_reply() -> None:
    reply = (
        "Arthur Mensch leads it. [3]\n\nSources:\n"
        "[3] [a.txt:5](http://127.0.0.1:8000/v1/sources/abc123?start=5&end=5&chars=10-60&sig=f#L5)"
        " Title\n[4] [b.txt:2-3](http://h/v1/sources/def?start=2&end=3&chars=0-9&sig=g#L2)"
    )
    found = earlier_sources(reply)
    assert found[3] == {"start": "5", "end": "5", "chars": "10-60", "sig": "f", "id": "abc123"}
    assert found[4]["id"] == "def" and found[4]["chars"] == "0-9"
    assert earlier_sources("no sources here [1]") == {}
    assert text_of(None) == ""


def test_a_stream_is_cut_after_each_sentence_and_loses_nothing() -> None:
    answer = "First sentence here. [1] Second one follows. [2]"
    text = answer + "\n\nSources:\n[1] [a.txt:1](http://x)"
    pieces = _pieces(text, len(answer))
    assert "".join(pieces) == text
    assert pieces[0] == "First sentence here. [1]" and len(pieces) == 3


def test_background_prompts_get_short_plain_answers() -> None:
    assert background_reply("### Task: a title", "Who runs Mistral now?") == (
        '{"title": "Who runs Mistral now?"}'
    )
    assert background_reply("### Task: tags", "q") == '{"tags": ["News"]}'
    assert background_reply("### Task: follow-up questions", "q") == '{"follow_ups": []}'


def test_the_guard_knows_its_own_names_keys_and_signatures() -> None:
    guard = Guard("127.0.0.1", 8000, "k3y", ["rag.example.org"], [])
    assert guard.host_ok("127.0.0.1:8000") and guard.host_ok("localhost:8000")
    assert guard.host_ok("rag.example.org") and not guard.host_ok("evil.example:8000")
    assert not guard.host_ok(None) and not guard.host_ok("127.0.0.1:8001")
    assert guard.origin_ok(None) and guard.origin_ok("http://localhost:8000")
    assert not guard.origin_ok("http://evil.example")
    assert guard.key_ok("Bearer k3y") and not guard.key_ok("Bearer k3") and not guard.key_ok(None)
    assert not guard.key_ok("Basic k3y")
    sig = guard.sign("doc", 5, 5, "1-9")
    assert guard.signature_ok("doc", 5, 5, "1-9", sig)
    assert not guard.signature_ok("doc", 5, 6, "1-9", sig)
    assert Guard("127.0.0.1", 8000, None, [], []).key_ok(None)  # no key set: open
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
