"""The offline answerer: quotes whole sentences from the retrieved passages.

No model writes anything, so nothing can be invented. The hard part is
knowing when to refuse: a question about the right companies that the
articles do not answer ("How many employees does Mistral have?") retrieves
passages that look similar. So a sentence may answer only if

- it covers the question's key terms, weighted by rarity (IDF): a rare term
  of the question missing from the sentence and its passage sinks it;
- every named entity of the question occurs in the sentence's article;
- it has the kind of thing the question asks for (an amount for "how
  much", a date for "when", a name for "who"); and
- it is close to the question in embedding space.

The thresholds are calibrated on half of eval/gold.jsonl (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.retrieve import Passage
from rag.text import words

# Calibrated on the calibration half of eval/gold.jsonl (python -m rag.eval --calibrate).
MIN_COVERAGE = 0.5
MIN_SIMILARITY = 0.4
MIN_SCORE = 0.3
# A lower-case question word no passage contains ("total", "together") is often a
# paraphrase; it weighs this share of a never-seen term. Unknown names weigh fully.
OOV_WEIGHT = 1.0
KEEP_RATIO = 0.9  # further sentences must score this close to the best one
MAX_SENTENCES = 3

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves tell say said says according article articles mentioned report reported
    reports do does did also much many kind type sort""".split()
)
# "own" and "no" carry meaning in questions ("own shares", "no equity").
STOPWORDS = STOPWORDS - {"own", "no", "not"}

_NUMBER = re.compile(
    r"[$€£¥]|\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
    r"|thirty|forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|several"
    r"|multiple|multibillion|multi-billion|billions|millions)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september"
    r"|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|today|yesterday|last (year|month|week)|this (year|month|week)|\d{1,2}(st|nd|rd|th)"
    r"|ago|since|recently)\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_PLACE = re.compile(r"\b(in|at|from|based|headquartered|across)\b\s+(the\s+)?[A-Z]")


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

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]


def answer_type(question: str) -> str | None:
    q = question.lower()
    if re.search(
        r"\bhow (much|many|big|large|old|long)\b|\bwhat (percentage|share|stake|amount"
        r"|price|value|valuation|sum|figure)\b|\bhow (is|was) .* valued\b",
        q,
    ):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|date|day|month)\b|\bwhich (year|day|month)\b", q):
        return "date"
    if re.search(r"^\s*(who|whom|whose)\b|\bwho (is|was|are|were|runs|leads|founded|said)\b", q):
        return "name"
    if re.search(
        r"^\s*where\b|\bwhich (city|country|countries|place)\b|\bwhat (city|country)\b", q
    ):
        return "place"
    return None


def has_type(kind: str | None, sentence: str) -> bool:
    if kind is None:
        return True
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "name":
        return bool(_NAME.search(sentence))
    if kind == "place":
        return bool(_PLACE.search(sentence))
    return True


def key_terms(question: str) -> list[str]:
    seen: list[str] = []
    for word in words(question):
        if word not in STOPWORDS and len(word) > 1 and word not in seen:
            seen.append(word)
    return seen


def entities(question: str) -> list[str]:
    """Capitalised words after the first word (Microsoft, Mistral, Peru), lower-cased."""
    found = []
    for match in re.finditer(r"\b[A-Z][\w-]*[A-Za-z0-9]", question):
        if match.start() == 0 and match.group().lower() in STOPWORDS:
            continue
        word = match.group().lower()
        if word not in STOPWORDS:
            found.append(word)
    return found


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
        return {self(w) for w in words(text)}

    @staticmethod
    def matches(term: str, bag: set[str]) -> bool:
        if term in bag:
            return True
        return len(term) >= 4 and any(
            len(w) >= 4 and (w.startswith(term) or term.startswith(w)) for w in bag
        )


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
        self._cache: dict[str, np.ndarray] = {}
        self.min_coverage = MIN_COVERAGE
        self.min_similarity = MIN_SIMILARITY
        self.min_score = MIN_SCORE
        self.oov_weight = OOV_WEIGHT

    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def _vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self._embed(missing), strict=True):
                self._cache[text] = vector
            if len(self._cache) > 20_000:
                self._cache.clear()
        return np.stack([self._cache[t] for t in texts])

    def score(
        self, question: str, query_vector: np.ndarray, passages: Sequence[Passage]
    ) -> list[Scored]:
        terms = [self.stems(t) for t in key_terms(question)]
        names = [self.stems(e) for e in entities(question)]
        weights = {
            t: self.idf(t) * (1.0 if t in names or self._df.get(t, 0) else self.oov_weight)
            for t in terms
        }
        total = sum(weights.values()) or 1.0
        kind = answer_type(question)
        spans: list[tuple[Passage, int, int]] = []
        seen: set[tuple[str, int]] = set()
        for passage in passages:
            for start, end in passage.chunk.sentences:
                key = (passage.chunk.source, passage.chunk.char_start + start)
                if key not in seen:
                    seen.add(key)
                    spans.append((passage, start, end))
        if not spans:
            return []
        texts = [p.chunk.text[s:e] for p, s, e in spans]
        similarities = self._vectors(texts) @ np.asarray(query_vector)
        doc_bags: dict[str, set[str]] = {}
        scored = []
        for (passage, start, end), text, sim in zip(spans, texts, similarities, strict=True):
            bag = self.stems.bag(text)
            context = self.stems.bag(passage.chunk.text)
            covered = 0.0
            for term in terms:
                if Stems.matches(term, bag):
                    covered += weights[term]
                elif Stems.matches(term, context):
                    covered += 0.5 * weights[term]
            coverage = covered / total
            source = passage.chunk.source
            if source not in doc_bags:
                full = self._documents(source) if self._documents else passage.chunk.text
                doc_bags[source] = self.stems.bag(full)
            has_entities = all(Stems.matches(n, doc_bags[source]) for n in names)
            typed = has_type(kind, text)
            score = 0.5 * float(sim) + 0.5 * coverage
            scored.append(
                Scored(passage, start, end, float(sim), coverage, typed, has_entities, score)
            )
        scored.sort(key=lambda s: -s.score)
        return scored

    def eligible(self, s: Scored) -> bool:
        return (
            s.typed
            and s.entities
            and s.coverage >= self.min_coverage
            and s.similarity >= self.min_similarity
            and s.score >= self.min_score
        )

    def select(self, scored: list[Scored]) -> list[Scored]:
        """The answer's sentences, best first; empty means refuse."""
        good = [s for s in scored if self.eligible(s)]
        if not good:
            return []
        best = good[0]
        chosen = [best]
        for candidate in good[1:]:
            if len(chosen) >= MAX_SENTENCES or candidate.score < KEEP_RATIO * best.score:
                break
            chosen.append(candidate)
        return chosen
