"""A conversation with the articles, the same in every face of the product.

The browser chat (ui/), the terminal chat (``python -m rag.ask -i``) and scripts use
this: a follow-up is read against the previous turn ("When did he join?"), source
numbers stay the same across turns, a question past the rate limit costs nothing, a
generative backend that fails mid-answer falls back to the extractive answer (with a
notice saying so), and the published index is followed as ingests replace it.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from rag.answer.engine import Conversation, Engine, fallback_notice
from rag.answer.live import LiveEngine
from rag.answer.llm import make_generator
from rag.answer.scope import Scope
from rag.config import Settings
from rag.errors import LLMError, RagError, RateLimitedError
from rag.ingest.build import Progress
from rag.ingest.uploads import add_articles
from rag.limits import RateLimiter
from rag.model import Answer, Checking
from rag.text.followup import rewrite_followup


@dataclass(frozen=True)
class Delta:
    """A piece of a model's answer while it streams, before any check: show it inert."""

    text: str


@dataclass(frozen=True)
class Reply:
    """A turn's answer; ``asked_as``: the follow-up as it was read, where that differs
    from what was typed; ``engine``: the index generation it was answered from."""

    answer: Answer
    asked_as: str | None
    engine: Engine


@dataclass
class Session:
    """One conversation: its turns and its source numbers."""

    conversation: Conversation = field(default_factory=Conversation)
    turns: list[tuple[str, Answer]] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def interpret(self, question: str) -> str:
        """The question as asked, or a follow-up rewritten to stand on its own."""
        if not self.turns:
            return question
        previous_question, previous = self.turns[-1]
        return rewrite_followup(question, previous_question, [c.quote for c in previous.citations])


class Chat:
    """Answers turns of conversations over the published index (thread-safe)."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        """``engine``: one the caller already opened on this index (not opened twice);
        later generations are picked up as they are published either way."""
        self.settings = settings
        self.live = LiveEngine(settings, engine=engine)
        self.limiter = RateLimiter(settings.ui_rate_limit, 60.0)
        self.generator: Any = None
        self.generator_error: str | None = None
        if settings.llm != "extractive":
            try:
                self.generator = make_generator(settings)
            except RagError as err:  # the chat still answers, extractively, and says why
                self.generator_error = err.message

    def backend_label(self) -> str:
        if self.generator is not None:
            return f"{self.settings.llm} (model: {self.settings.model or 'as the server says'})"
        if self.generator_error:
            return (
                f"extractive (the {self.settings.llm} backend is not usable: "
                f"{self.generator_error})"
            )
        return "extractive (quotes sentences from the articles; nothing is generated)"

    def engine(self) -> Engine:
        """The engine over the index published now."""
        return self.live.get()

    def turn(
        self,
        question: str,
        session: Session,
        key: str | None = None,
        scope: Scope | None = None,
        generate: bool = True,
    ) -> Iterator[Delta | Checking | Reply]:
        """Yield ``Delta`` while a model streams (a ``Checking`` while the checks ask it
        again), then one ``Reply``.

        ``key``: whose rate limit this turn counts against (default: the session);
        ``scope``: only some articles (rag/answer/scope.py); ``generate``: False answers
        extractively even where a generative backend is configured."""
        wait = self.limiter.allow(key or session.id)
        if wait is not None:  # checked first: a refused question costs no retrieval, no model
            raise RateLimitedError(
                f"too many questions: the limit is {self.limiter.limit} a minute; "
                f"try again in {math.ceil(wait)} s",
                retry_after=wait,
            )
        engine = self.live.get()  # this turn stays on this generation to the end
        asked = session.interpret(question)
        retrieval = engine.retrieve(asked, scope=scope)
        answer: Answer | None = None
        if self.generator is not None and generate:
            # the decision is taken before a model is asked, and picks what it reads
            answer, retrieval, evidence = engine.decide(asked, retrieval)
            if answer is None:
                answer = yield from self._generate(asked, retrieval, evidence, session, engine)
        if answer is None:  # the passages above serve the extractive answer too
            answer = engine.ask(asked, conversation=session.conversation, retrieval=retrieval)
        else:  # a model's answer (or its fallback): say what the scope left out, once
            answer.notices.extend(n for n in retrieval.notices if n not in answer.notices)
        answer.question = question
        session.turns.append((question, answer))
        yield Reply(answer, asked if asked != question else None, engine)

    def _generate(
        self, asked: str, retrieval: Any, evidence: list[Any], session: Session, engine: Engine
    ) -> Generator[Delta | Checking, None, Answer | None]:
        """Stream a model's answer; on its failure (before or mid-answer), the
        extractive one with a notice: text that arrived unchecked is never kept."""
        # Number sources on a copy: a failed turn must not use up numbers.
        trial = Conversation(dict(session.conversation.numbers))
        answer: Answer | None = None
        try:
            for item in self.generator.stream(asked, evidence, trial):
                if isinstance(item, str):
                    yield Delta(item)
                elif isinstance(item, Checking):
                    yield item
                else:
                    answer = item
            assert answer is not None  # a stream always ends with its answer
            quoted = engine.quoted_instead(asked, answer, retrieval, session.conversation)
            if quoted is not None:  # the model gave no date (figure) the question asks for
                return quoted
            session.conversation = trial
        except LLMError as err:
            answer = engine.ask(asked, conversation=session.conversation, retrieval=retrieval)
            answer.notices.insert(0, fallback_notice(self.settings.llm, err))
        return answer

    def ask(
        self,
        question: str,
        session: Session | None = None,
        key: str | None = None,
        scope: Scope | None = None,
        generate: bool = True,
    ) -> Reply:
        """One turn, not streamed (``session``: a conversation to continue)."""
        reply = None
        for item in self.turn(question, session or Session(), key, scope, generate):
            if isinstance(item, Reply):
                reply = item
        assert reply is not None  # turn always ends with one
        return reply

    def add_articles(self, paths: list[str], progress: Progress | None = None) -> str:
        """Copy files into the seeds folder and re-index; the next turn sees them."""
        return add_articles(self.settings, paths, progress)


class OnDemand:
    """One ``Chat`` opened when first needed, then shared (thread-safe): a server that
    starts before any index exists finds the one built later, and says so meanwhile
    (``IndexNotFoundError``) instead of building it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._chat: Chat | None = None
        self._lock = threading.Lock()

    def get(self) -> Chat:
        with self._lock:
            if self._chat is None:
                self._chat = Chat(self.settings)
            return self._chat
