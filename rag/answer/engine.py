"""Retrieve, answer, cite: the one entry point the CLI, UI and eval share.

Dependencies (embedder, generator) are injected so tests can pass their own.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from rag.answer.choose import SHOWN_KINDS, asked_kind, short_of_answer
from rag.answer.cite import passage_dict, scores_of, span_citation, text_citation
from rag.answer.decide import Decider
from rag.answer.extractive import Extract, ExtractiveAnswerer, overlaps
from rag.answer.retrieve import Mode, Retriever
from rag.answer.scope import Scope
from rag.config import Settings
from rag.embed import MiniLM, shared_minilm
from rag.errors import ConfigError, IndexNotFoundError, LLMError, LLMStreamCutError
from rag.index.backend import open_store
from rag.ingest.build import Progress, build_index
from rag.ingest.fingerprint import fingerprint
from rag.model import REFUSAL, Answer, Checking, Citation, Evidence, Passage, Retrieval
from rag.reader import Reader, shared_reader
from rag.text.abbreviations import defined, expander
from rag.text.agree import DETAIL, DIFFERS, SAME, compare, estimate_vs_unknown
from rag.text.dates import parse_date
from rag.text.question import account_topic, clauses
from rag.text.spans import sentence_spans
from rag.text.support import UNSUPPORTED, annotate, checker

MAX_QUESTION_CHARS = 2000


#: (source, text) → the text as compared for meaning (Engine.plain)
Plain = Callable[[str, str], str]


@dataclass
class Conversation:
    """Source numbers belong to a conversation, so they stay stable across turns."""

    numbers: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def number(self, source: str, start: int, end: int) -> int:
        key = (source, start, end)
        if key not in self.numbers:  # after the highest: numbers rebuilt from a client's
            self.numbers[key] = max(self.numbers.values(), default=0) + 1  # history may skip
        return self.numbers[key]


class Engine:
    def __init__(self, settings: Settings, embedder: MiniLM | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or shared_minilm(settings.embed_batch_size)
        self.store = open_store(settings.index_dir, settings.chroma_url)
        self.generation = self.store.open_current(fingerprint(settings.shape()))
        self.retriever = Retriever(self.generation, self.embedder, self.store)
        self._texts: dict[str, dict[str, Any]] | None = None
        # source → its article's short names read as names ("Microsoft (MS)"), built once
        self._expanders: dict[str, Callable[[str], str]] = {}
        self._texts_lock = threading.Lock()
        df, total = self.retriever.document_frequency()
        stemmer = self.retriever.stemmer
        self.extractive = ExtractiveAnswerer(
            embed=self.embedder.encode,
            document_frequency=df,
            passages_total=total,
            stem=stemmer.stemWord,
            documents=self.document_text,
        )
        self.reader: Reader | None = None
        if settings.decider == "reader":
            self.reader = shared_reader()
            self.extractive.decider = Decider(self.reader, settings.min_confidence)

    @property
    def fingerprint(self) -> str:
        return self.generation.fingerprint

    def documents(self) -> dict[str, dict[str, Any]]:
        """source → the indexed article (text, labels, meta, sha256), loaded once."""
        with self._texts_lock:
            if self._texts is None:
                rows = {}
                path = self.generation.path / "documents.jsonl"
                with path.open(encoding="utf-8") as handle:
                    for line in handle:
                        row = json.loads(line)
                        row["id"] = document_id(row["sha256"])
                        rows[row["source"]] = row
                self._expanders = {s: expander(defined(row["text"])) for s, row in rows.items()}
                self._texts = rows
        return self._texts

    def _both(self, citation: Citation) -> str:
        """A citation's quote in the article's words and, where they differ, read with its
        short names: a sentence in either wording is judged against it alike."""
        plain = self.plain(citation.source, citation.quote)
        return citation.quote if plain == citation.quote else f"{citation.quote}\n{plain}"

    def plain(self, source: str, text: str) -> str:
        """``text`` of ``source`` with the short names its article defines read as the
        names ("MS" where the article says "Microsoft (MS)"), for comparing meaning."""
        self.documents()
        read = self._expanders.get(source)
        return read(text) if read else text

    def document_text(self, source: str) -> str:
        row = self.documents().get(source)
        return row["text"] if row else ""

    def document_by_id(self, doc_id: str) -> dict[str, Any] | None:
        """The article with this id from the index: the only way the UI finds a file."""
        return next((row for row in self.documents().values() if row["id"] == doc_id), None)

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        mode: Mode = "hybrid",
        scope: Scope | None = None,
    ) -> Retrieval:
        question = _check_question(question)
        sources: frozenset[str] | None = None
        notices: list[str] = []
        if scope is not None and not scope.empty:
            sources, notices = scope.allowed(self.documents())

        def search(text: str) -> Retrieval:
            return self.retriever.retrieve(
                text,
                k=k or self.settings.k,
                candidates=max(self.settings.candidates, k or 0),
                rrf_k=self.settings.rrf_k,
                mode=mode,
                lead_boost=self.settings.lead_boost,
                sources=sources,
                diverse=self.settings.diversify,
            )

        retrieval = search(question)
        # A compound question ("Who runs Microsoft, and who runs OpenAI?") also searches
        # for each part: the whole question's top k can all serve one half.
        parts = clauses(question)
        if len(parts) > 1:
            links = self.retriever.stories.links if self.settings.diversify else {}
            room = (k or self.settings.k) * len(parts)
            have = {p.chunk.id for p in retrieval.passages}
            for part in parts:
                found = search(part)
                retrieval.parts[part] = found.query_vector  # the answerer scores with it
                for passage in found.passages:
                    linked = links.get(passage.chunk.id, ())
                    fresh = passage.chunk.id not in have and not any(o in have for o in linked)
                    if fresh and len(retrieval.passages) < room:
                        have.add(passage.chunk.id)
                        retrieval.passages.append(passage)
        retrieval.notices.extend(notices)
        return retrieval

    def ask(
        self,
        question: str,
        k: int | None = None,
        mode: Mode = "hybrid",
        conversation: Conversation | None = None,
        generator: Any = None,
        scope: Scope | None = None,
        retrieval: Retrieval | None = None,
    ) -> Answer:
        """Answer from the articles. ``generator`` None means the extractive backend;
        ``scope`` limits it to some articles (rag/answer/scope.py); ``retrieval``: passages the
        caller already retrieved for this question (then k, mode and scope are unused)."""
        for item in self.ask_stream(question, k, mode, conversation, generator, scope, retrieval):
            if isinstance(item, Answer):
                return item
        raise AssertionError("ask_stream always ends with the answer")

    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        mode: Mode = "hybrid",
        conversation: Conversation | None = None,
        generator: Any = None,
        scope: Scope | None = None,
        retrieval: Retrieval | None = None,
    ) -> Iterator[str | Checking | Answer]:
        """As ``ask``, with a model's text as it is written (unchecked, for display
        only) before the checked :class:`Answer`, which comes last; a :class:`Checking`
        between them says the checks are asking the model again."""
        started = time.perf_counter()
        if retrieval is None:
            retrieval = self.retrieve(question, k, mode, scope)
        retrieved = time.perf_counter()
        conversation = conversation or Conversation()
        if generator is None:
            answer = self._extractive(question, retrieval, conversation)
        else:
            refusal, retrieval, evidence = self.decide(question, retrieval)
            if refusal is not None:
                answer = refusal
            else:
                answer = yield from self._generated(
                    question, retrieval, evidence, generator, conversation
                )
        done = time.perf_counter()
        answer.index_fingerprint = self.fingerprint
        answer.notices.extend(n for n in retrieval.notices if n not in answer.notices)
        answer.timings_ms.update(
            retrieve=(retrieved - started) * 1000,
            generate=(done - retrieved) * 1000,
            total=(done - started) * 1000,
        )
        yield answer

    def _generated(
        self,
        question: str,
        retrieval: Retrieval,
        evidence: list[Evidence],
        generator: Any,
        conversation: Conversation,
    ) -> Generator[str | Checking, None, Answer]:
        """A model's deltas (and any :class:`Checking`), then (returned) its checked
        answer; when it fails mid-answer, the extractive answer replaces the text that
        had arrived (never checked), with a notice."""
        trial = Conversation(dict(conversation.numbers))  # a failed turn uses no numbers
        answer: Answer | None = None
        try:
            for item in generator.stream(question, evidence, trial):
                if isinstance(item, Answer):
                    answer = item
                else:
                    yield item
        except LLMStreamCutError as err:
            answer = self._extractive(question, retrieval, conversation)
            answer.notices.insert(0, fallback_notice(generator.backend, err))
            return answer
        assert answer is not None  # a stream always ends with its answer
        quoted = self.quoted_instead(question, answer, retrieval, conversation)
        if quoted is not None:
            return quoted
        conversation.numbers = trial.numbers
        return answer

    def quoted_instead(
        self, question: str, answer: Answer, retrieval: Retrieval, conversation: Conversation
    ) -> Answer | None:
        """The extractive answer, to show in place of a model's ``answer`` that does not
        give the kind of fact its question asks for (no date for "When…?", no figure for
        "How much…?", after asking again), when the quote gives it; else None. A
        supported sentence that does not answer is no answer (rag/answer/choose.py)."""
        kind = asked_kind(question)
        if kind is None or not short_of_answer(answer, kind):
            return None
        quoted = self._extractive(question, retrieval, conversation)
        if quoted.refused or short_of_answer(quoted, kind):
            return None
        quoted.notices.insert(
            0,
            f"the {answer.backend} model's answer gave no {SHOWN_KINDS[kind]}, which the "
            f"question asks for; {QUOTED}",
        )
        return quoted

    def decide(
        self, question: str, retrieval: Retrieval
    ) -> tuple[Answer | None, Retrieval, list[Evidence]]:
        """The decision for a generative backend, taken before any model is called and
        by the same decider as the extractive answer (the word rules, or the reader):
        (the refusal when nothing answers, else None; the passages in the decision's
        order; the sentences the model may cite, best first).

        A request for an account ("Summarize what the articles say about X") is no
        question a sentence answers: it passes when some sentence is about X (its
        names in the article, its terms covered), and the model gets the sentences
        most about X."""
        found = self.extractive.answer(
            question, retrieval.query_vector, retrieval.passages, retrieval.parts
        )
        topic = account_topic(question) if not found.chosen else None
        about = self._about(topic, retrieval) if topic else []
        if not found.chosen and not about:
            passages = [passage_dict(p) for p in retrieval.passages]
            refusal = Answer(question, REFUSAL, True, "extractive", [], passages, None)
            who = "the reader" if self.reader is not None else "the answer check"
            refusal.notices.append(
                f"{who} found no passage that answers the question: no model was asked"
            )
            return self._decided(refusal, found), retrieval, []
        ordered = self._rerank(retrieval.passages, found.scored, found.chosen)
        if about:
            return None, dataclasses.replace(retrieval, passages=ordered), about
        ranked = list(found.chosen) + sorted(found.scored, key=lambda s: -self.extractive.rank(s))
        evidence = _distinct(ranked, self.settings.evidence_sentences)
        return None, dataclasses.replace(retrieval, passages=ordered), evidence

    def _about(self, topic: str, retrieval: Retrieval) -> list[Evidence]:
        """The sentences most about ``topic``, for an account of it; none when no
        sentence's article names its names and covers its terms."""
        vector = self.embedder.encode([topic])[0]
        scored = self.extractive.score(topic, vector, retrieval.passages)
        on_topic = [s for s in scored if s.entities and s.coverage >= self.extractive.min_coverage]
        if not on_topic:
            return []
        ranked = sorted(on_topic, key=lambda s: -self.extractive.combined(s))
        return _distinct(ranked, 2 * self.settings.evidence_sentences)

    def _rerank(
        self, passages: list[Passage], scored: list[Any], chosen: list[Any]
    ) -> list[Passage]:
        """Passages the answer quotes first, in the answer's order, then by their best
        sentence's score.

        The sentence scorer reads the question more closely than either retriever
        (coverage, answer type, the asked-about phrase), so it is also the better
        judge of which passage to show first.
        """
        quoted: dict[tuple[str, int], int] = {}
        for i, s in enumerate(chosen):
            quoted.setdefault(_identity(s.passage), i)
        best: dict[tuple[str, int], float] = {}
        for s in scored:
            key = _identity(s.passage)
            best[key] = max(best.get(key, -1.0), self.extractive.rank(s))
        order = {_identity(p): i for i, p in enumerate(passages)}
        return sorted(
            passages,
            key=lambda p: (
                quoted.get(_identity(p), len(chosen)),
                -best.get(_identity(p), -1.0),
                order[_identity(p)],
            ),
        )

    def _fact_partners(
        self,
        sentence: Any,
        related: list[tuple[str, Citation]],
        quoted: set[tuple[str, int, int]],
        conversation: Conversation,
        allowed: frozenset[str] | None,
    ) -> list[tuple[str, Citation]]:
        """Sentences of other articles matched to this one at ingest (rag/index/stories.py),
        retrieved or not: "reported by 2 articles" needs no second lucky retrieval.
        ``allowed``: a scope's articles; no partner comes from outside it."""
        source, start, end = _absolute(sentence)
        taken = {source} | {c.source for _, c in related}
        found: list[tuple[str, Citation]] = []
        for other, begin, stop in self.retriever.stories.partners(source, start, end):
            if len(related) + len(found) >= MAX_RELATED:
                break
            row = self.documents().get(other)
            outside = allowed is not None and other not in allowed
            if outside or other in taken or (other, begin, stop) in quoted or row is None:
                continue
            said = self.plain(other, row["text"][begin:stop])
            own = self.plain(source, sentence.text)
            kind = compare(own, said)
            if kind is None and estimate_vs_unknown(own, said):
                kind = DETAIL  # paired at ingest inside one story: estimate vs undisclosed
            if kind is None:
                continue
            n = conversation.number(other, begin, stop)
            found.append((kind, text_citation(other, row["text"], begin, stop, n, row["meta"])))
            taken.add(other)
        return found

    def _extractive(
        self, question: str, retrieval: Retrieval, conversation: Conversation
    ) -> Answer:
        found = self.extractive.answer(
            question, retrieval.query_vector, retrieval.passages, retrieval.parts
        )
        scored, chosen, unanswered = found.scored, found.chosen, found.unanswered
        passages = [passage_dict(p) for p in self._rerank(retrieval.passages, scored, chosen)]
        if not chosen:
            return self._decided(
                Answer(question, REFUSAL, True, "extractive", [], passages, None), found
            )
        quoting = _Quoting(conversation, {_absolute(s) for s in chosen}, self.plain)
        for i, sentence in enumerate(chosen):
            if i in quoting.merged:
                continue
            citation = quoting.cite(sentence)
            markers = [citation.n, *quoting.same_in_chosen(i, sentence, citation, chosen)]
            related = [
                (kind, quoting.cite(other))
                for kind, other in _related(sentence, scored, quoting.quoted, self.plain)
            ]
            related += self._fact_partners(
                sentence, related, quoting.quoted, conversation, retrieval.sources
            )
            markers += quoting.add_related(citation, related)
            quoting.quote(citation, markers)
        citations = quoting.citations
        text = " ".join(quoting.parts)
        answer = Answer(question, text, False, "extractive", citations, passages, None)
        answer.relations = [_relation(r) for r in quoting.relations]
        answer.notices.extend(_relation_notice(r) for r in quoting.relations)
        answer.notices.extend(f"the articles don't answer: {part}" for part in unanswered)
        # Verbatim quotes: every sentence is its own evidence, so this labels them
        # supported; it runs anyway so every backend's JSON has the same shape.
        return self._decided(annotate(answer, {c.n: self._both(c) for c in citations}), found)

    def _decided(self, answer: Answer, found: Extract) -> Answer:
        """The decision's figures on the answer: its confidence, each quoted sentence's
        (on its citation and its sentence row), and which model decided."""
        if self.reader is None:
            return answer
        answer.decided_by, answer.reader = "reader", self.reader.sha256
        answer.confidence = found.confidence
        by_span = {_absolute(s): s.confidence for s in found.scored if s.confidence is not None}
        answer.citations = [
            dataclasses.replace(c, confidence=by_span.get((c.source, c.char_start, c.char_end)))
            for c in answer.citations
        ]
        confidence = {c.n: c.confidence for c in answer.citations}
        for row in answer.sentences:
            numbers = row.get("citations")
            cited = [confidence.get(n) for n in numbers] if isinstance(numbers, list) else []
            known = [c for c in cited if c is not None]
            row["confidence"] = round(max(known), 4) if known else None
        return answer


MAX_RELATED = 2  # other articles' sentences joined to one answer sentence


#: Said when a model's answer gave no date (figure, number) that its question asks for.
QUOTED = "the sentence that gives it is quoted instead"


def fallback_notice(backend: str, err: LLMError) -> str:
    """What the page says when a model's answer is replaced by the extractive one."""
    if isinstance(err, LLMStreamCutError):
        return (
            f"the {backend} model failed mid-answer ({err.message}); the text that had "
            "arrived was not checked, so this is the extractive answer instead"
        )
    return f"the {backend} backend failed ({err.message}); this is the extractive answer instead"


def _distinct(ranked: list[Any], limit: int) -> list[Evidence]:
    """The first ``limit`` sentences of ``ranked`` that share no characters."""
    picked: list[Any] = []
    for s in ranked:
        if len(picked) >= limit:
            break
        if not any(overlaps(s, p) for p in picked):
            picked.append(s)
    return [Evidence(s.passage, s.start, s.end) for s in picked]


def _related(
    sentence: Any, scored: list[Any], quoted: set[Any], plain: Plain
) -> list[tuple[str, Any]]:
    """Sentences of other articles that report the same thing (rag/text/agree.py)."""
    found: list[tuple[str, Any]] = []
    own = plain(sentence.passage.chunk.source, sentence.text)
    sources = {sentence.passage.chunk.source}
    for other in scored:
        source = other.passage.chunk.source
        if source in sources or _absolute(other) in quoted:
            continue
        kind = compare(own, plain(source, other.text))
        if kind is not None:
            found.append((kind, other))
            sources.add(source)  # one sentence per article
        if len(found) >= MAX_RELATED:
            break
    return found


def _side(citation: Citation) -> dict[str, Any]:
    return {
        "n": citation.n,
        "source": citation.source,
        "outlet": citation.outlet,
        "published": citation.published,
    }


def _dated(citations: list[Citation]) -> list[Citation]:
    """Oldest first where dated; undated ones keep their order, after the dated."""

    def key(c: Citation) -> tuple[int, str]:
        when = parse_date(c.published)
        return (0, when.isoformat()) if when else (1, "")

    return sorted(citations, key=key)


def _relation(relation: dict[str, Any]) -> dict[str, Any]:
    return {"kind": relation["kind"], "sides": [_side(c) for c in _dated(relation["citations"])]}


def _relation_notice(relation: dict[str, Any]) -> str:
    sides = _dated(relation["citations"])
    if relation["kind"] == SAME:
        return "reported by {} articles: {}".format(
            len(sides), ", ".join(f"[{c.n}] {c.outlet or c.source}" for c in sides)
        )

    def said(c: Citation) -> str:
        when = f", {c.published}" if c.published else ""
        return f"[{c.n}] ({c.outlet or c.source}{when})"

    if relation["kind"] == DIFFERS:
        return "sources differ: " + " vs ".join(said(c) for c in sides) + " give other figures"
    return (
        "sources differ in detail: "
        + " vs ".join(said(c) for c in sides)
        + " (one gives a figure, the other says it is not known)"
    )


def document_id(sha256: str) -> str:
    """A document's public id: its content hash, never a path a client could bend."""
    return sha256[:16]


def _backs(quote: str, other: str) -> bool:
    """Does another article's sentence back this quote (rag/text/support.py)?"""
    return checker().judge(quote, [other]).label != UNSUPPORTED


def open_engine(settings: Settings, build: bool = True, progress: Progress | None = None) -> Engine:
    """The engine over the published index; with ``build``, the seeds are indexed first
    when there is no index yet (``progress`` as for ``build_index``)."""
    try:
        return Engine(settings)
    except IndexNotFoundError:
        if not build:
            raise
    build_index(settings, progress=progress)
    return Engine(settings)


class _Quoting:
    """An extractive answer being put together: its citations (numbered by the
    conversation), the quoted text, and the other articles' sentences related to it."""

    def __init__(
        self, conversation: Conversation, quoted: set[tuple[str, int, int]], plain: Plain
    ) -> None:
        self.conversation = conversation
        self.plain = plain
        self.quoted = quoted  # (source, start, end) of every sentence shown
        self.merged: set[int] = set()  # chosen sentences folded into an earlier one
        self.citations: list[Citation] = []
        self.relations: list[dict[str, Any]] = []
        self.parts: list[str] = []
        self._extra: list[str] = []

    def cite(self, sentence: Any) -> Citation:
        chunk = sentence.passage.chunk
        n = self.conversation.number(
            chunk.source, chunk.char_start + sentence.start, chunk.char_start + sentence.end
        )
        scores = scores_of(sentence.passage)
        citation = span_citation(chunk, sentence.start, sentence.end, n, scores)
        if all(c.n != n for c in self.citations):
            self.citations.append(citation)
        return citation

    def same_in_chosen(
        self, i: int, sentence: Any, citation: Citation, chosen: list[Any]
    ) -> list[int]:
        """Later chosen sentences of other articles that relate to this one (one story
        too?); the same fact is said once, with both citations: their numbers."""
        markers = []
        for j, other in enumerate(chosen[i + 1 :], start=i + 1):
            if other.passage.chunk.source == sentence.passage.chunk.source:
                continue
            kind = compare(
                self.plain(sentence.passage.chunk.source, sentence.text),
                self.plain(other.passage.chunk.source, other.text),
            )
            if kind is None:
                continue
            second = self.cite(other)
            self.relations.append({"kind": kind, "citations": [citation, second]})
            if kind == SAME and self.backs(citation, second):
                self.merged.add(j)
                markers.append(second.n)
        return markers

    def add_related(self, citation: Citation, related: list[tuple[str, Citation]]) -> list[int]:
        """Record other articles' related sentences; the numbers of those that report the
        same fact (cited beside this one). The others are quoted after it."""
        # "Reported by 2 articles" only where the other article backs the quote: a
        # retold quote in other words, or a figure only one side gives, is not that.
        related = [(k, c) for k, c in related if k != SAME or self.backs(citation, c)]
        markers = []
        for kind, second in related:
            if second.n not in {c.n for c in self.citations}:
                self.citations.append(second)
            self.relations.append({"kind": kind, "citations": [citation, second]})
            if kind == SAME:
                markers.append(second.n)  # the same fact, reported by another article
            else:  # the other side is quoted too, so the reader sees both
                self.quoted.add((second.source, second.char_start, second.char_end))
                self._extra.append(f"{second.quote} [{second.n}]")
        return markers

    def backs(self, citation: Citation, other: Citation) -> bool:
        """Does ``other`` say what ``citation`` quotes (each read with its article's
        short names)?"""
        return _backs(
            self.plain(citation.source, citation.quote), self.plain(other.source, other.quote)
        )

    def quote(self, citation: Citation, markers: list[int]) -> None:
        # A quote of two sentences (one leaning on the other) cites after each.
        marks = "".join(f"[{n}]" for n in markers)
        quote = citation.quote
        self.parts.extend(
            f"{quote[a:b]} {marks}" for a, b in sentence_spans(quote) or [(0, len(quote))]
        )
        self.parts.extend(self._extra)
        self._extra = []


def _absolute(sentence: Any) -> tuple[str, int, int]:
    """A scored sentence by its characters in its article."""
    chunk = sentence.passage.chunk
    return chunk.source, chunk.char_start + sentence.start, chunk.char_start + sentence.end


def _identity(passage: Passage) -> tuple[str, int]:
    return passage.chunk.source, passage.chunk.char_start


def _check_question(question: str) -> str:
    question = " ".join(question.split())
    if not question:
        raise ConfigError("the question is empty; ask something about the articles")
    if len(question) > MAX_QUESTION_CHARS:
        raise ConfigError(
            f"the question is {len(question):,} characters long; the limit is "
            f"{MAX_QUESTION_CHARS:,}: shorten it"
        )
    return question
