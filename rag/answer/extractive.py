"""The offline answerer: quotes whole sentences from the retrieved passages.

No model writes anything, so nothing can be invented. The hard part is
knowing when to refuse: a question about the right companies that the
articles do not answer ("How many employees does Mistral have?") retrieves
passages that look similar. So a sentence may answer only if

- it covers the question's key terms, weighted by rarity (IDF): a rare term
  of the question missing from the sentence and its passage sinks it;
- every named entity of the question occurs in the sentence's article;
- it has the kind of thing the question asks for (an amount for "how
  much", a count for "how many", a date for "when", a name for "who", the
  asked-for title held at the asked-about organisation for "who runs X"); and
- it is close to the question in embedding space.

A compound question is answered part by part; a sentence that points back
("…already doing this.") is also read with the one before it. What the
question asks is read by rag/text/question.py. The thresholds are calibrated on
half of eval/gold.jsonl (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from rag.model import Passage
from rag.text.lexicon import MONTHS, SHELL_NOUNS, WEEKDAYS
from rag.text.question import (
    answer_type,
    asked_roles,
    asked_titles,
    category_words,
    clauses,
    entities,
    key_terms,
    roles,
    same_org,
    target_phrase,
    title_of,
    titles,
)
from rag.text.spans import ALTERNATIVES, canonical, words

# Calibrated on the calibration half of eval/gold.jsonl (python -m rag.eval --calibrate).
MIN_COVERAGE = 0.5
MIN_SIMILARITY = 0.3
MIN_SCORE = 0.45
# A lower-case question word no passage contains ("total", "together") is often a
# paraphrase; it weighs this share of a never-seen term. Unknown names weigh fully.
OOV_WEIGHT = 1.0
# The thing a question asks about ("how many employees", "which news agency") must be
# in the sentence, in words or, failing that, in meaning: at least this cosine
# between the phrase and the sentence.
MIN_TARGET_SIMILARITY = 0.2
# The ranking score: SIMILARITY_SHARE × similarity + the rest × coverage.
SIMILARITY_SHARE = 0.5
# A "which <category>" word weighs this share (see category_words).
CATEGORY_WEIGHT = 0.5
KEEP_RATIO = 0.9  # further sentences must score this close to the best one
MAX_SENTENCES = 3
#: sentence vectors kept between questions (384 floats each: ~30 MB at 20,000)
CACHE_SIZE = 20_000

_NUMBER = re.compile(
    r"[$€£¥]|\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
    r"|thirty|forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|several"
    r"|multiple|multibillion|multi-billion|billions|millions)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d|"
    + "|".join(MONTHS + WEEKDAYS)
    + r"|last (year|month|week)|this (year|month|week)|\d{1,2}(st|nd|rd|th))\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_PLACE = re.compile(
    r"\b(in|at|from|based|headquartered|across)\b\s+(the\s+)?[A-Z]|\b[A-Z][a-z]+-based\b"
)


@dataclass(frozen=True)
class Scored:
    passage: Passage
    start: int  # relative to the passage's chunk text
    end: int
    similarity: float
    coverage: float
    typed: bool
    entities: bool
    score: float
    target_similarity: float = 1.0  # 1.0 when the target's words are there (or no target)
    #: the reader's calibrated probability that this sentence answers (when it read it)
    confidence: float | None = None

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]


# "How many data centres…" asks for a count: money, a share, a year or a length of
# time in the sentence is not one ("$5.6bn into new AI data centres", "in the last two
# weeks").
_NOT_COUNTS = re.compile(
    r"[$€£¥]\s?\d[\d,.]*\s*(?:bn|mn|m|k|billion|million|trillion|thousand)?\b"
    r"|\b\d[\d,.]*\s*(?:%|percent|per cent)"
    r"|\b\d[\d,.]*\s*(?:bn|mn|billion|million|trillion)?\s*(?:euros?|dollars?|pounds?|won|yen)\b"
    r"|\b(?:1[89]\d\d|20\d\d)\b"
    r"|\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|multiple"
    r"|a few)[\s-]+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b"
    r"|\b(?:billions|millions) of (?:dollars|euros|pounds)\b",
    re.I,
)


def has_type(kind: str | None, sentence: str, asked: frozenset[str] = frozenset()) -> bool:
    """Whether ``sentence`` holds the kind of thing asked for. A name must be one the
    question does not already give ("Who co-founded Mistral with Arthur Mensch?" is not
    answered by a sentence naming only Mistral and Mensch)."""
    if kind is None:
        return True
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "count":
        return bool(_NUMBER.search(_NOT_COUNTS.sub(" ", sentence)))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "name":
        return any(not set(words(m.group())) <= asked for m in _NAME.finditer(canonical(sentence)))
    if kind == "place":
        return bool(_PLACE.search(sentence))
    return True


def role_of_another(question: str, sentence: str) -> bool:
    """True when the question asks for a role of one organisation and the sentence
    gives that role only to others."""
    asked = asked_roles(question)
    if not asked:
        return False
    given = [(title_of(role), org) for role, org in roles(sentence)]
    for role, org in asked:
        holders = [o for r, o in given if r == role]
        if holders and not any(same_org(org, o) for o in holders):
            return True
    return False


_REFERS_BACK = re.compile(
    r"^[“\"‘']?(?:this|these|that|those|it|he|she|they|his|her|their|its|such)\b"
    r"|\b(?:doing|do|does|did|done)\s+(?:this|that|so)\b"
    rf"|\b(?:this|these|that)\s+(?:{SHELL_NOUNS})\b",
    re.I,
)


def refers_back(sentence: str) -> bool:
    """Whether a sentence leans on the one before it: "This substantial investment…",
    "…already doing this.", "…invest in this effort"."""
    return bool(_REFERS_BACK.search(sentence))


def overlaps(a: Scored, b: Scored) -> bool:
    if a.passage.chunk.source != b.passage.chunk.source:
        return False
    a0, b0 = a.passage.chunk.char_start, b.passage.chunk.char_start
    return a0 + a.start < b0 + b.end and b0 + b.start < a0 + a.end


_QUOTED = re.compile(r"[\"“]([^\"“”]{20,})[\"”]")
LONG_SENTENCE = 25  # words


def quote_halves(sentence: str) -> list[str]:
    """A long sentence with a quote in it: the words around the quote and the quote."""
    if len(sentence.split()) < LONG_SENTENCE:
        return []
    # A quoted statement, not a quoted phrase ("a “multi-year partnership”").
    quotes = [m for m in _QUOTED.finditer(sentence) if len(m.group(1).split()) >= 6]
    if not quotes:
        return []
    frame = sentence
    for m in reversed(quotes):
        frame = frame[: m.start()] + " " + frame[m.end() :]
    frame = " ".join(frame.split())
    if len(frame.split()) < 4:
        return []
    return [frame, *(m.group(1) for m in quotes)]


class Stems:
    """Stemming and term matching that tolerate "Mistral" vs "MistralAI"."""

    def __init__(self, stem: Callable[[str], str]) -> None:
        self._stem = stem
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        if word not in self._cache:
            self._cache[word] = self._stem(word)
        return self._cache[word]

    def bag(self, text: str) -> set[str]:
        return {self(w) for w in words(canonical(text))}

    @staticmethod
    def matches(term: str, bag: set[str]) -> bool:
        if term in bag:
            return True
        return len(term) >= 4 and any(
            len(w) >= 4 and (w.startswith(term) or term.startswith(w)) for w in bag
        )


class Decides(Protocol):
    """The learned decision (rag/answer/decide.py ``Decider``)."""

    def decide(self, question: str, scored: Sequence[Scored]) -> Any: ...


@dataclass(frozen=True)
class Extract:
    """What the answerer found: every scored sentence, the answer's sentences (empty:
    refuse), the parts of a compound question nothing answers, and the answer's
    calibrated confidence (None where the word rules decided)."""

    scored: list[Scored]
    chosen: list[Scored]
    unanswered: list[str]
    confidence: float | None = None


class ExtractiveAnswerer:
    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        document_frequency: dict[str, int],
        passages_total: int,
        stem: Callable[[str], str],
        documents: Callable[[str], str] | None = None,
    ) -> None:
        self._embed = embed
        self._df = document_frequency
        self._n = max(passages_total, 1)
        self.stems = Stems(stem)
        self._documents = documents  # source → full text (for the entity check)
        # sentence → vector, least recently used first; shared by concurrent questions
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_size = CACHE_SIZE
        self.min_coverage = MIN_COVERAGE
        #: embed only the sentences the cheap rules leave eligible (off to calibrate)
        self.lazy = True
        self.min_similarity = MIN_SIMILARITY
        self.min_score = MIN_SCORE
        self.oov_weight = OOV_WEIGHT
        self.min_target_similarity = MIN_TARGET_SIMILARITY
        self.similarity_share = SIMILARITY_SHARE
        #: the reader's decision; None: the word rules decide (and sentences are embedded)
        self.decider: Decides | None = None

    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``, embedding only those not cached. The answer is built
        from what this call found and embedded, so an eviction by another question
        (or by this one's own inserts) can never lose a vector it needs."""
        found: dict[str, np.ndarray] = {}
        with self._cache_lock:
            for text in dict.fromkeys(texts):
                if text in self._cache:
                    self._cache.move_to_end(text)
                    found[text] = self._cache[text]
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:  # embedded outside the lock: the slow part, done in parallel
            fresh = dict(zip(missing, self._embed(missing), strict=True))
            found.update(fresh)
            with self._cache_lock:
                self._cache.update(fresh)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def score(
        self,
        question: str,
        query_vector: np.ndarray,
        passages: Sequence[Passage],
        whole: str | None = None,
    ) -> list[Scored]:
        """Every sentence of ``passages`` scored against ``question``; ``whole``: the
        compound question it is a part of, whose names are given, not answers."""
        reading = self._read(question, whole)
        spans = _spans(passages)
        if not spans:
            return []
        texts = [p.chunk.text[s:e] for p, s, e in spans]
        rules = self._rules(reading, spans, texts)
        similarities, target_sims = self._similarities(
            reading, spans, texts, rules, np.asarray(query_vector)
        )
        scored = []
        for (passage, start, end), (coverage, typed, has_entities, all_targets), sim, tsim in zip(
            spans, rules, similarities, target_sims, strict=True
        ):
            score = self.similarity_share * float(sim) + (1 - self.similarity_share) * coverage
            scored.append(
                Scored(
                    passage,
                    start,
                    end,
                    float(sim),
                    coverage,
                    typed,
                    has_entities,
                    score,
                    1.0 if all_targets else float(tsim),
                )
            )
        scored.sort(key=lambda s: -s.score)
        return scored

    def _read(self, question: str, whole: str | None) -> _Reading:
        kind = answer_type(question)
        asked_terms = key_terms(question, kind)
        terms = [self.stems(t) for t in asked_terms]
        names = [self.stems(e) for e in entities(question)]
        target = target_phrase(question)
        targets = [self.stems(w) for w in words(target)] if target else []
        # A word no article uses is often a paraphrase ("total", "together"): it weighs
        # less, unless it names something or is what the question asks about.
        categories = {self.stems(w) for w in category_words(question)}
        weights = {
            t: self.idf(t)
            * (1.0 if t in names or t in targets or self._df.get(t, 0) else self.oov_weight)
            * (CATEGORY_WEIGHT if t in categories else 1.0)
            for t in terms
        }
        # "Microsoft's" in the question gives Microsoft: no answer to "who".
        asked = frozenset(
            w.removesuffix("'s").removesuffix("’s") for w in words(canonical(whole or question))
        )
        return _Reading(
            question=question,
            kind=kind,
            terms=terms,
            others={
                self.stems(t): [self.stems(a) for a in ALTERNATIVES.get(t, ())]
                for t in asked_terms
            },
            names=names,
            target=target,
            targets=targets,
            weights=weights,
            total=sum(weights.values()) or 1.0,
            asked=asked,
            wanted=asked_titles(question),
        )

    def _rules(
        self, reading: _Reading, spans: list[tuple[Passage, int, int]], texts: list[str]
    ) -> list[tuple[float, bool, bool, bool]]:
        """Per sentence: (coverage, typed, has_entities, every target word present)."""
        doc_bags: dict[str, set[str]] = {}
        contexts: dict[int, set[str]] = {}  # each passage's words, once, not once a sentence
        rules = []
        for (passage, _, _), text in zip(spans, texts, strict=True):
            bag = self.stems.bag(text)
            if id(passage) not in contexts:
                contexts[id(passage)] = self.stems.bag(passage.chunk.text)
            context = contexts[id(passage)]
            covered = 0.0
            for term in reading.terms:
                if reading.found(term, bag):
                    covered += reading.weights[term]
                elif reading.found(term, context):  # the passage has it: half credit
                    covered += 0.5 * reading.weights[term]
            source = passage.chunk.source
            if source not in doc_bags:
                full = self._documents(source) if self._documents else passage.chunk.text
                doc_bags[source] = self.stems.bag(full)
            rules.append(
                (
                    covered / reading.total,
                    has_type(reading.kind, text, reading.asked)
                    and not role_of_another(reading.question, text)
                    and (not reading.wanted or bool(reading.wanted & titles(text))),
                    all(Stems.matches(n, doc_bags[source]) for n in reading.names),
                    all(Stems.matches(t, bag) for t in reading.targets),
                )
            )
        return rules

    def _passes(self, rule: tuple[float, bool, bool, bool]) -> bool:
        coverage, typed, has_entities, _ = rule
        return typed and has_entities and coverage >= self.min_coverage

    def _similarities(
        self,
        reading: _Reading,
        spans: list[tuple[Passage, int, int]],
        texts: list[str],
        rules: list[tuple[float, bool, bool, bool]],
        query_vector: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each sentence's cosine to the question, and to the question's target phrase."""
        # Embedding the sentences is most of an answer's time (~5 ms each on two cores):
        # only a sentence the cheap rules leave eligible needs its own vector; the others
        # (never quoted) rank by their passage's dense score, except each passage's
        # best-covered sentence, which ranks the passage (``Engine._rerank``).
        best: dict[int, int] = {}
        for i, ((passage, _, _), rule) in enumerate(zip(spans, rules, strict=True)):
            if id(passage) not in best or rule[0] > rules[best[id(passage)]][0]:
                best[id(passage)] = i
        need = [
            i
            for i, rule in enumerate(rules)
            if not self.lazy or self._passes(rule) or i in best.values()
        ]
        if self.decider is not None and self.lazy:
            need = []  # the reader decides: no sentence needs its own vector
        similarities = np.array(
            [p.dense if p.dense is not None else 0.0 for p, _, _ in spans], dtype=np.float32
        )
        target_sims = np.ones(len(texts), dtype=np.float32)
        if not need:
            return similarities, target_sims
        vectors = self._vectors([texts[i] for i in need])
        similarities[need] = vectors @ query_vector
        # A long sentence framing a quote ("Attending the Mobile World Congress…, he
        # explained, "We will…"") embeds as neither half: each half counts too.
        # Only where the word rules already let the sentence answer: the halves
        # can change whether it is close enough, not whether it covers the question.
        halves = [(i, h) for i in need if self._passes(rules[i]) for h in quote_halves(texts[i])]
        if halves:
            half_sims = self._vectors([h for _, h in halves]) @ query_vector
            for (i, _), sim in zip(halves, half_sims, strict=True):
                similarities[i] = max(similarities[i], float(sim))
        if reading.target and reading.targets:
            target_sims[need] = vectors @ self._vectors([reading.target])[0]
        return similarities, target_sims

    def combined(self, s: Scored) -> float:
        return self.similarity_share * s.similarity + (1 - self.similarity_share) * s.coverage

    def eligible(self, s: Scored) -> bool:
        return (
            s.typed
            and s.entities
            and s.coverage >= self.min_coverage
            and s.similarity >= self.min_similarity
            and self.combined(s) >= self.min_score
            and s.target_similarity >= self.min_target_similarity
        )

    def rank(self, s: Scored) -> float:
        """A sentence's standing for ordering passages: the reader's probability where it
        read the sentence (above every unread one), else the rules' combined score."""
        return 1.0 + s.confidence if s.confidence is not None else self.combined(s)

    def answer(
        self,
        question: str,
        query_vector: np.ndarray,
        passages: Sequence[Passage],
        part_vectors: Mapping[str, np.ndarray] | None = None,
    ) -> Extract:
        """Every scored sentence, the answer's sentences, the parts of a compound
        question (``clauses``) nothing answers, and the confidence. ``part_vectors``:
        the parts' query vectors when the retrieval already embedded them.

        Each part is scored and decided on its own: "Who leads X and announced Y?" is
        answered by one sentence for each half, while a sentence covering both halves
        rarely exists and the whole question's terms dilute every sentence's coverage.
        """
        parts = clauses(question)
        everything: list[Scored] = []
        picks: list[list[Scored]] = []
        unanswered: list[str] = []
        confidences: list[tuple[float, bool]] = []  # per part: (confidence, answered)
        for part in parts:
            vector = query_vector if len(parts) == 1 else (part_vectors or {}).get(part)
            if vector is None:
                vector = self._vectors([part])[0]
            whole = question if len(parts) > 1 else None
            scored = self.score(part, vector, passages, whole=whole)
            if self.decider is not None:
                decision = self.decider.decide(part, scored)
                read = {_key(s): s for s in decision.read}
                scored = [read.get(_key(s), s) for s in scored]
                chosen = list(decision.chosen)
                confidences.append((float(decision.confidence), bool(chosen)))
            else:
                chosen = self.select(scored)
            everything += scored
            picks.append(chosen)
            if not chosen:
                unanswered.append(part)
        if len(parts) == 1:
            return Extract(everything, picks[0], [], _least(confidences, self.decider))
        confidence = _least(confidences, self.decider)
        return Extract(everything, _interleave(picks), unanswered, confidence)

    def select(self, scored: list[Scored]) -> list[Scored]:
        """The answer's sentences, best first; empty means refuse."""
        good = sorted((s for s in scored if self.eligible(s)), key=lambda s: -self.combined(s))
        if not good:
            return []
        best = good[0]
        chosen = [best]
        for candidate in good[1:]:
            if len(chosen) >= MAX_SENTENCES or (
                self.combined(candidate) < KEEP_RATIO * self.combined(best)
            ):
                break
            if not any(overlaps(candidate, c) for c in chosen):  # a sentence once
                chosen.append(candidate)
        return chosen


def _key(s: Scored) -> tuple[str, int, int]:
    return s.passage.chunk.source, s.passage.chunk.char_start + s.start, s.end - s.start


def _least(confidences: list[tuple[float, bool]], decider: Decides | None) -> float | None:
    """The probability that the answer given is right: a compound answer is as sure as
    its least sure answered part. For a refusal: the probability that an answer was
    there after all (the most likely part's)."""
    if decider is None:
        return None
    answered = [c for c, yes in confidences if yes]
    if answered:
        return min(answered)
    return max((c for c, _ in confidences), default=0.0)


def _interleave(picks: list[list[Scored]]) -> list[Scored]:
    """One answer from each part's picks: each part's best first, then each one's next."""
    # A sentence that answers several parts answers the question better than one
    # that answers one: within each part's picks it goes first.
    parts_answered: dict[tuple[str, int, int], int] = {}
    for chosen in picks:
        for s in chosen:
            parts_answered[_key(s)] = parts_answered.get(_key(s), 0) + 1
    picks = [sorted(chosen, key=lambda s: -parts_answered[_key(s)]) for chosen in picks]
    answer: list[Scored] = []
    seen: set[tuple[str, int, int]] = set()
    for rank in range(MAX_SENTENCES):
        for chosen in picks:
            if rank < len(chosen) and len(answer) < MAX_SENTENCES:
                s = chosen[rank]
                if _key(s) not in seen and not any(overlaps(s, a) for a in answer):
                    seen.add(_key(s))
                    answer.append(s)
    return answer


@dataclass(frozen=True)
class _Reading:
    """What the answerer takes from a question, stemmed."""

    question: str
    kind: str | None
    terms: list[str]
    others: dict[str, list[str]]  # term → its plain synonyms
    names: list[str]
    target: str | None
    targets: list[str]
    weights: dict[str, float]
    total: float
    asked: frozenset[str]
    wanted: frozenset[str]

    def found(self, term: str, bag: set[str]) -> bool:
        return any(Stems.matches(t, bag) for t in (term, *self.others[term]))


def _spans(passages: Sequence[Passage]) -> list[tuple[Passage, int, int]]:
    """The sentences to score: each passage's sentences, and a sentence that points back
    together with the one before it."""
    spans: list[tuple[Passage, int, int]] = []
    seen: set[tuple[str, int, int]] = set()
    for passage in passages:
        previous: tuple[int, int] | None = None
        text = passage.chunk.text
        for start, end in passage.chunk.sentences:
            # "…are already doing this.", "He said…": such a sentence is also read
            # (and quoted) with the one before it, which says what "this" is.
            options = [(start, end)]
            # the same paragraph, or the one just before (no blank line or heading)
            near = previous and text.count("\n", previous[1], start) <= 1
            if previous and near and refers_back(text[start:end]):
                options.append((previous[0], end))
            for begin, stop in options:
                key = (passage.chunk.source, passage.chunk.char_start + begin, stop - begin)
                if key not in seen:
                    seen.add(key)
                    spans.append((passage, begin, stop))
            previous = (start, end)
    return spans
