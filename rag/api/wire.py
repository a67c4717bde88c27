"""The OpenAI chat-completions wire format: reading a request, writing an answer.

The answer's text keeps its ``[n]`` markers and ends with a Sources list whose links open
the cited lines, so any chat client shows the citations. ``citations`` (top level) is the
list of those links in ``[n]`` order, as Perplexity's API has it; ``rag`` carries the
structured answer (the CLI's ``--json`` object).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rag.model import Answer, Citation
from rag.text.inert import inert

EXTRACTIVE_MODEL = "rag-extractive"
#: an earlier assistant turn's source line: "[3] [file.txt:5](http://…/v1/sources/ID?…)"
SOURCE_LINE = re.compile(r"^\[(\d{1,3})\] \[[^\]\n]*\]\((\S+?)\)", re.M)
#: chat front ends' own background prompts (a title, tags, follow-up suggestions)
_TASK = re.compile(r"^\s*#{2,3}\s*Task:", re.I)


class ApiError(Exception):
    """An answer in OpenAI's error shape: ``{"error": {message, type, code, param}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        kind: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.kind = status, message, code, kind
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {"message": self.message, "type": self.kind, "param": None, "code": self.code}
        }


@dataclass
class ChatRequest:
    model: str
    stream: bool
    question: str
    #: earlier turns: (the user's question, the assistant's reply to it)
    history: list[tuple[str, str]] = field(default_factory=list)
    user: str | None = None

    @property
    def background_task(self) -> bool:
        """A chat front end asking for a title, tags or suggestions: no search."""
        return bool(_TASK.match(self.question))


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list (others ignored)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        ]
        return "\n".join(parts)
    raise ApiError(400, "message content must be a string or a list of parts", "invalid_content")


def parse_request(body: Any, max_messages: int) -> ChatRequest:
    """Read a chat-completions body; unknown parameters and system messages are ignored."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object", "invalid_body")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list", "invalid_messages")
    if len(messages) > max_messages:
        raise ApiError(
            400,
            f"{len(messages)} messages; the limit is {max_messages}: start a new conversation",
            "too_many_messages",
        )
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "model is required (GET /v1/models lists them)", "missing_model")
    turns = _turns(messages)
    user = body.get("user")
    return ChatRequest(
        model=model,
        stream=bool(body.get("stream", False)),
        question=turns[-1][1],
        history=_pairs(turns[:-1]),
        user=user if isinstance(user, str) else None,
    )


def _turns(messages: list[Any]) -> list[tuple[str, str]]:
    """(role, text) of the user and assistant messages; the last must be the user's."""
    turns: list[tuple[str, str]] = []
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiError(400, "each message needs a role and content", "invalid_message")
        if message["role"] in ("user", "assistant"):
            turns.append((message["role"], text_of(message.get("content"))))
    if not turns or turns[-1][0] != "user":
        raise ApiError(400, "the last message must be the user's question", "invalid_messages")
    return turns


def _pairs(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each user question with the assistant reply that followed it."""
    history = []
    pending: str | None = None
    for role, text in turns:
        if role == "user":
            pending = text
        elif pending is not None:
            history.append((pending, text))
            pending = None
    return history


def earlier_sources(reply: str) -> dict[int, dict[str, str]]:
    """``n`` → the query of its source link (id, chars…) in an earlier reply's Sources."""
    found = {}
    for number, url in SOURCE_LINE.findall(reply):
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["id"] = parts.path.rstrip("/").rsplit("/", 1)[-1]
        found[int(number)] = query
    return found


def content(answer: Answer, link: Callable[[Citation], str]) -> str:
    """The message a chat client shows: the answer, its notes, then its sources."""
    lines = [answer.text]
    # a model's sentences the checks removed: struck out, inert (they were never checked)
    lines += [f"\n~~{inert(d['text'])}~~ *(removed: {d['reason']})*" for d in answer.dropped]
    lines += [f"\n*Note: {notice}*" for notice in answer.notices]
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            span = (
                f"{c.line_start}" if c.line_start == c.line_end else f"{c.line_start}-{c.line_end}"
            )
            about = " — ".join(x for x in (c.title, c.outlet) if x)
            lines.append(f"[{c.n}] [{c.source}:{span}]({link(c)})" + (f" {about}" if about else ""))
    return "\n".join(lines)


def rag_field(answer: Answer, asked_as: str | None) -> dict[str, Any]:
    return {**answer.to_dict(), "asked_as": asked_as}


def completion(model: str, text: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **extra,
    }


def chunk(
    completion_id: str, model: str, delta: dict[str, Any], finish: str | None = None
) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def background_reply(question: str, first_question: str) -> str:
    """A short plain answer to a front end's own task prompt (no search is run)."""
    task = question.lower()
    if "title" in task:
        words = first_question.split()[:6]
        return '{"title": "' + " ".join(words).replace('"', "'") + '"}'
    if "tag" in task:
        return '{"tags": ["News"]}'
    if "follow" in task:
        return '{"follow_ups": []}'
    return ""
