"""Generative backends: OpenAI, any OpenAI-compatible endpoint, and a local llama.cpp server.

The only module that imports openai or the local runtime (xllamacpp). One client on
the openai SDK for all three (llama-index's OpenAI class rejects model names it does
not know). Exactly one retry layer, ours: the SDK's own retries are off, so a
``Retry-After`` longer than the turn deadline fails at once instead of sleeping.
Three deadlines: connect, first token, whole turn.
"""

from __future__ import annotations

import os
import re
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.answer.choose import (
    SHOWN_KINDS,
    asked_kind,
    better,
    kept_facts,
    not_supported,
    short_of_answer,
    short_of_support,
)
from rag.answer.cite import finish_generated
from rag.answer.prompts import messages
from rag.config import Settings
from rag.errors import (
    ConfigError,
    LLMError,
    LLMResponseError,
    LLMStreamCutError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from rag.model import Answer, Checking, Evidence, Passage
from rag.text.markers import MARKER

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
#: the notice's words when an answer asked for again replaced the first
REPLACED = "a better-supported answer is shown"
#: …and when the first gave no date (figure, number) for a question asking for one.
GIVES = "an answer that gives the {} is shown"
RETRYABLE = {408, 409, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Deadlines:
    connect: float
    first_token: float
    turn: float


class ChatClient:
    """Streams chat completions from one endpoint, with deadlines and one retry layer."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        model: str | None,
        deadlines: Deadlines,
        max_retries: int = 1,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> None:
        import openai

        self.base_url = base_url
        self.deadlines = deadlines
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._client = openai.OpenAI(
            base_url=base_url,
            # A local server needs no key, but the SDK insists on one.
            api_key=api_key or "no-key",
            max_retries=0,
            # Never follow a redirect: an endpoint could bounce the prompt (the articles)
            # to another host, e.g. a metadata service (rag/urls.py).
            http_client=openai.DefaultHttpxClient(follow_redirects=False),
            timeout=openai.Timeout(
                deadlines.turn,
                connect=deadlines.connect,
                read=min(deadlines.first_token, deadlines.turn),
                write=deadlines.connect,
                pool=deadlines.connect,
            ),
        )
        self._model = model
        self._model_lock = threading.Lock()

    def __repr__(self) -> str:  # never the key
        return f"ChatClient(base_url={self.base_url!r}, model={self._model!r})"

    @property
    def where(self) -> str:
        return self.base_url or "the OpenAI API"

    def model(self) -> str:
        """The model to ask; an OpenAI-compatible server is asked for its first one."""
        with self._model_lock:
            if self._model is None:
                models = self._call(lambda: list(self._client.models.list()), time.monotonic())
                if not models:
                    raise ConfigError(f"{self.where} serves no model; pass --model NAME")
                self._model = models[0].id
            return self._model

    def stream(
        self,
        messages: list[dict[str, str]],
        temperature: float | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Content deltas of one chat completion; ``temperature`` None: the client's.
        ``seed`` makes a sampled answer repeatable where the server honours it."""
        import openai

        started = time.monotonic()
        model = self.model()
        response = self._call(
            lambda: self._client.chat.completions.create(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=self.max_tokens,
                temperature=self.temperature if temperature is None else temperature,
                stream=True,
                seed=openai.omit if seed is None else seed,
            ),
            started,
        )

        finish: str | None = None
        try:
            for chunk in response:
                if time.monotonic() - started > self.deadlines.turn:
                    raise LLMTimeoutError(
                        f"{self.where} did not finish the answer within "
                        f"{self.deadlines.turn:g} s (RAG_TURN_TIMEOUT)"
                    )
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.delta and choice.delta.content:
                    yield choice.delta.content
                finish = choice.finish_reason or finish
            if finish is None:
                # The SDK ends quietly when the connection drops; a complete
                # stream always says why it stopped.
                raise LLMUnavailableError(f"the stream from {self.where} ended mid-answer")
        except openai.APITimeoutError:
            raise LLMTimeoutError(
                f"{self.where} stopped sending for {self.deadlines.first_token:g} s "
                "(RAG_FIRST_TOKEN_TIMEOUT)"
            ) from None
        except (openai.APIConnectionError, openai.APIError) as err:
            raise LLMUnavailableError(f"the connection to {self.where} broke: {err}") from None
        finally:
            response.close()

    def _call(self, request: Any, started: float) -> Any:
        """One request with our single retry layer, inside the turn deadline."""
        import openai

        attempt = 0
        while True:
            try:
                return request()
            except openai.APITimeoutError as err:
                # A server that took the question and went quiet is busy or stuck:
                # asking again would only double the wait past the deadline.
                raise self._connection_error(err) from None
            except openai.APIConnectionError as err:
                failure: LLMError = self._connection_error(err)
                wait = 0.5
            except openai.AuthenticationError:
                raise LLMResponseError(
                    f"{self.where} refused the API key: check OPENAI_API_KEY"
                ) from None
            except openai.NotFoundError as err:
                raise LLMResponseError(
                    f"{self.where} answered 404 ({_detail(err)}): check --model / RAG_MODEL "
                    "and the base URL (it usually ends in /v1)"
                ) from None
            except openai.APIStatusError as err:
                if 300 <= err.status_code < 400:
                    raise LLMResponseError(
                        f"{self.where} answered with a redirect ({err.status_code}), which is "
                        "not followed: set --base-url / OPENAI_BASE_URL to the final address"
                    ) from None
                if err.status_code not in RETRYABLE:
                    raise LLMResponseError(
                        f"{self.where} answered {err.status_code}: {_detail(err)}"
                    ) from None
                failure = LLMResponseError(
                    f"{self.where} answered {err.status_code} ({_detail(err)}); try again later"
                )
                wait = _retry_after(err.response.headers) or 0.5 * (attempt + 1)
            attempt += 1
            remaining = self.deadlines.turn - (time.monotonic() - started)
            if attempt > self.max_retries or wait >= remaining:
                raise failure
            time.sleep(wait)

    def _connection_error(self, err: Exception) -> LLMError:
        import openai

        if isinstance(err, openai.APITimeoutError):
            return LLMTimeoutError(
                f"{self.where} did not answer within {self.deadlines.first_token:g} s "
                "(RAG_FIRST_TOKEN_TIMEOUT); is the server overloaded?"
            )
        return LLMUnavailableError(
            f"cannot reach {self.where}: start the server, or fix --base-url / OPENAI_BASE_URL"
        )


def _detail(err: Any) -> str:
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if message:
            return str(message)[:200]
    return str(getattr(err, "message", err))[:200]


def _retry_after(headers: Any) -> float | None:
    try:
        value = float(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


class GenerativeAnswerer:
    """Prompt with numbered sources, generate, then check and cite (finish_generated)."""

    def __init__(
        self,
        client: ChatClient,
        backend: str,
        context_tokens: int = 3000,
        resample: int = 0,
        resample_temperature: float = 0.7,
    ) -> None:
        self.client = client
        self.backend = backend
        self.context_tokens = context_tokens
        self.resample = resample
        self.resample_temperature = resample_temperature

    def __repr__(self) -> str:
        return f"GenerativeAnswerer({self.backend!r}, {self.client!r})"

    def answer(
        self, question: str, sources: Sequence[Evidence | Passage], conversation: Any
    ) -> Answer:
        final: Answer | None = None
        for item in self.stream(question, sources, conversation):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(
        self, question: str, sources: Sequence[Evidence | Passage], conversation: Any
    ) -> Iterator[str | Checking | Answer]:
        """Text deltas as they arrive, then the checked :class:`Answer` last (with a
        :class:`Checking` between them when the model is asked again).

        ``sources``: what the model may cite, best first (Engine.decide gives the
        decision's sentences; a passage counts as one whole source). A failure after
        some text arrived raises :class:`LLMStreamCutError`: unchecked text is never
        the answer."""
        numbered = self._sources([_evidence(s) for s in sources], conversation)
        chat = messages(question, [(n, e.text) for n, e in numbered])
        parts: list[str] = []
        notices: list[str] = []
        started = time.perf_counter()
        first: float | None = None
        loop = _LoopWatch()
        try:
            for delta in self.client.stream(chat):
                if first is None:
                    first = time.perf_counter()
                parts.append(delta)
                yield delta
                if loop.repeating(delta):  # small models loop; the rest would be the same
                    notices.append("the model began repeating itself; its answer stops there")
                    break
        except LLMError as err:
            if not parts:
                raise
            raise LLMStreamCutError(
                f"the answer was cut off ({err.message})", "".join(parts)
            ) from None
        done = time.perf_counter()
        answer = self._finish(question, "".join(parts), numbered, notices)
        kind = asked_kind(question)
        if self.resample and (short_of_support(answer) or short_of_answer(answer, kind)):
            # the pause that follows is seconds long: say why the text stands still
            yield Checking(f"{_shortfall(answer, kind)}: asking the model again…")
            answer = self._resampled(question, chat, numbered, answer, done - started, kind)
        answer.timings_ms["first_token"] = ((first or done) - started) * 1000
        answer.timings_ms["model"] = (done - started) * 1000  # the streamed answer
        answer.timings_ms["deltas"] = float(len(parts))
        yield answer

    def _finish(
        self,
        question: str,
        raw: str,
        numbered: list[tuple[int, Evidence]],
        notices: list[str],
    ) -> Answer:
        return finish_generated(
            question,
            raw,
            dict(numbered),
            backend=self.backend,
            model=self.client.model(),
            notices=notices,
        )

    def _resampled(
        self,
        question: str,
        chat: list[dict[str, str]],
        numbered: list[tuple[int, Evidence]],
        first: Answer,
        took: float,
        kind: str | None = None,
    ) -> Answer:
        """The best-supported of ``first`` and up to ``resample`` answers sampled at
        ``resample_temperature`` (each checked like the first) that keep each figure,
        date and name the first took from its passages (rag/answer/choose.py),
        stopping at one the checks find wholly supported and holding the ``kind`` of
        fact asked for. ``took``: seconds the first answer took; a try that would
        likely end past the turn deadline (counted from the first request) is not
        started."""
        started = time.perf_counter()
        budget = self.client.deadlines.turn - took
        wanted = kept_facts(first, question, {n: e.text for n, e in numbered})
        best, tries, failure = first, 0, None
        for attempt in range(1, self.resample + 1):
            if time.perf_counter() - started + took > budget:
                failure = "no time left before RAG_TURN_TIMEOUT"
                break
            notices: list[str] = []
            try:
                raw = _until_loop(
                    self.client.stream(chat, temperature=self.resample_temperature, seed=attempt),
                    notices,
                )
            except LLMError as err:  # the first answer stands, checked
                failure = err.message
                break
            tries += 1
            candidate = self._finish(question, raw, numbered, notices)
            if better(candidate, best, wanted, kind):
                best = candidate
            if not (short_of_support(best) or short_of_answer(best, kind)):
                break
        lacked = kind is not None and short_of_answer(first, kind)
        if best is first:
            outcome = "the first is shown"
        elif lacked and not short_of_answer(best, kind):
            outcome = GIVES.format(SHOWN_KINDS[str(kind)])
        else:
            outcome = REPLACED
        told = (
            f"{_shortfall(first, kind)}; it was asked again {tries} time(s) (temperature "
            f"{self.resample_temperature:g}): {outcome}"
        )
        if failure is not None:
            told += f" (stopped: {failure})"
        best.notices.append(told)
        best.timings_ms["resamples"] = float(tries)
        best.timings_ms["resample"] = (time.perf_counter() - started) * 1000
        return best

    def _sources(self, sources: list[Evidence], conversation: Any) -> list[tuple[int, Evidence]]:
        """Number the sources (stable within the conversation, by their exact span),
        best first, within the token budget."""
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base")
        chosen: list[tuple[int, Evidence]] = []
        used = 0
        for evidence in sources:
            cost = len(encoding.encode(evidence.text)) + 4  # "[n] " and the line break
            if chosen and used + cost > self.context_tokens:
                break
            used += cost
            c = evidence.passage.chunk
            n = conversation.number(
                c.source, c.char_start + evidence.start, c.char_start + evidence.end
            )
            chosen.append((n, evidence))
        return chosen


def _shortfall(answer: Answer, kind: str | None) -> str:
    """What the checks found the model's first answer short of, in words."""
    said = []
    if short := not_supported(answer):
        said.append(
            f"{short} sentence(s) of the model's first answer were not fully supported by "
            "their passages"
        )
    if kind is not None and short_of_answer(answer, kind):
        gave = "it gave" if said else "the model's first answer gave"
        said.append(f"{gave} no {SHOWN_KINDS[kind]}, which the question asks for")
    return ", and ".join(said)


def replaced(answer: Answer) -> bool:
    """Whether a model asked again gave the answer shown in place of its first."""
    shown = [REPLACED, *(GIVES.format(k) for k in SHOWN_KINDS.values())]
    return any(s in n for n in answer.notices for s in shown)


def _until_loop(deltas: Iterator[str], notices: list[str]) -> str:
    """The whole text of ``deltas``, cut where the model starts looping."""
    parts: list[str] = []
    loop = _LoopWatch()
    for delta in deltas:
        parts.append(delta)
        if loop.repeating(delta):
            notices.append("the model began repeating itself; its answer stops there")
            break
    return "".join(parts)


class _LoopWatch:
    """Notices a model saying the same sentence a third time (a loop that would run to
    max_tokens: 30 s of one sentence, with a 1.5B model on 2 cores)."""

    def __init__(self, times: int = 3) -> None:
        self.times = times
        self._pending = ""
        self._seen: dict[str, int] = {}

    def repeating(self, delta: str) -> bool:
        self._pending += delta
        *done, self._pending = _SENTENCE_END.split(self._pending)
        for sentence in done:
            key = " ".join(MARKER.sub(" ", sentence).lower().split())
            if key:
                self._seen[key] = self._seen.get(key, 0) + 1
                if self._seen[key] >= self.times:
                    return True
        return False


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _evidence(source: Evidence | Passage) -> Evidence:
    return source if isinstance(source, Evidence) else Evidence.whole(source)


# -- the local llama.cpp server -------------------------------------------------------


class LocalServer:
    """llama.cpp's OpenAI-compatible server, in this process, on 127.0.0.1."""

    def __init__(self, model_path: Path, threads: int | None = None, ctx: int = 4096) -> None:
        try:
            import xllamacpp
        except ImportError:
            raise ConfigError(
                "--llm local needs the optional runtime: pip install -e '.[local]'"
            ) from None
        if not model_path.is_file():
            raise ConfigError(f"model file not found: {model_path} (pass --model-path FILE.gguf)")
        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.model_alias = {model_path.stem}  # what /v1/models reports
        params.verbosity = -1  # its request log would drown the CLI's stderr
        params.hostnames = ["127.0.0.1"]  # never reachable from another machine
        params.port = 0  # any free port
        params.n_ctx = ctx
        params.n_parallel = 1
        params.cpuparams.n_threads = threads or os.cpu_count() or 1
        params.cpuparams_batch.n_threads = threads or os.cpu_count() or 1
        self._server = xllamacpp.Server(params)
        self.url = str(self._server.listening_address).rstrip("/")

    def wait_ready(self, timeout: float = 120.0) -> None:
        """``/health`` answers 503 while the model loads: poll for 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise LLMUnavailableError(f"the local model server did not become ready in {timeout:g} s")

    @property
    def base_url(self) -> str:
        return self.url + "/v1"


_local_servers: dict[Path, LocalServer] = {}


def make_generator(settings: Settings) -> GenerativeAnswerer:
    """The backend ``settings.llm`` names: only that setting decides (never a stray key)."""
    deadlines = Deadlines(
        settings.connect_timeout, settings.first_token_timeout, settings.turn_timeout
    )
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None

    def client(base_url: str | None, api_key: str | None, model: str | None) -> ChatClient:
        return ChatClient(
            base_url,
            api_key,
            model,
            deadlines,
            max_retries=settings.max_retries,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
        )

    if settings.llm == "openai":
        if not key:
            raise ConfigError("--llm openai needs OPENAI_API_KEY (in the environment or .env)")
        chat = client(settings.openai_base_url, key, settings.model or DEFAULT_OPENAI_MODEL)
    elif settings.llm == "openai-compatible":
        if not settings.openai_base_url:
            raise ConfigError(
                "--llm openai-compatible needs --base-url or OPENAI_BASE_URL, e.g. "
                "http://127.0.0.1:11434/v1 (Ollama) or http://127.0.0.1:8080/v1 (llama.cpp)"
            )
        # Its own key only: the OpenAI key must not travel to a server that is not OpenAI.
        own = settings.endpoint_api_key
        chat = client(
            settings.openai_base_url, own.get_secret_value() if own else None, settings.model
        )
    elif settings.llm == "local":
        if settings.model_path is None:
            raise ConfigError("--llm local needs --model-path FILE.gguf (or RAG_MODEL_PATH)")
        path = settings.model_path.resolve()
        if path not in _local_servers:
            server = LocalServer(path)
            server.wait_ready()
            _local_servers[path] = server
        chat = client(_local_servers[path].base_url, None, settings.model)
    else:
        raise ConfigError(f"{settings.llm!r} is not a generative backend")
    return GenerativeAnswerer(
        chat,
        settings.llm,
        settings.context_tokens,
        resample=settings.resample,
        resample_temperature=settings.resample_temperature,
    )
