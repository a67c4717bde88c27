"""Training pairs for the reader, read straight from SQuAD-format articles.

Each question is paired with sentences of its own article (split by the product's own
splitter, rag/text/spans.py), in four kinds:

- ``positive``: the sentence holding the answer. SQuAD v1.1 as rebuilt in
  ``../shared/data`` gives the answer's *first* occurrence, which for a tenth of the
  answers is not the annotated one: where the answer text stands in more than one
  sentence of the paragraph, none is labelled (unlabelled, not negative).
- ``paragraph``: other sentences of the same paragraph (hard negatives: same topic,
  same words), the best-matching first.
- ``topical``: the best-matching sentences of the article's other paragraphs. On
  topic but not the answer: how news questions go unanswered.
- ``unanswerable``: for a SQuAD 2.0 question written to be unanswerable, the best
  matches of its paragraph and article, all negative: they share its words
  adversarially, which is what teaches refusal.

A sentence that holds any gold answer text is never a negative.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.reader import pair_text
from rag.text.spans import sentence_spans

_TOKEN = re.compile(r"[a-z0-9]+")
# English function words: they carry no topic when matching a question to sentences.
_STOP = frozenset(
    """a an the of in on at to for from by with and or but is are was were be been being
    has have had do does did this that these those which what who whom whose when where why
    how its it their his her they he she we you as into over about than then there not no
    can could would should will may might also such other more most many much one two""".split()
)


@dataclass(frozen=True)
class Pair:
    question: str
    text: str  # pair_text(title, sentence): what the reader reads
    label: float
    kind: str  # positive | paragraph | topical | unanswerable
    group: str  # the article's title (folds and splits never cut an article)


@dataclass(frozen=True)
class Mix:
    """How many pairs of each kind a question gives."""

    paragraph: int = 2
    topical: int = 1
    unanswerable: int = 4


def read_articles(path: Path) -> list[dict[str, Any]]:
    """The ``data`` entries of a SQuAD JSON file (plain or gzipped)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return list(json.load(handle)["data"])


def terms(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP and len(t) > 1]


class ArticleIndex:
    """Every sentence of one article, with a tiny BM25 over them."""

    def __init__(self, article: dict[str, Any]) -> None:
        self.title = article["title"].replace("_", " ")
        self.sentences: list[tuple[int, int, int, str]] = []  # paragraph, start, end, text
        for p, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            for start, end in sentence_spans(context):
                self.sentences.append((p, start, end, context[start:end]))
        self.bags = [Counter(terms(s[3])) for s in self.sentences]
        df: Counter[str] = Counter(t for bag in self.bags for t in bag)
        n = max(len(self.bags), 1)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, bag in enumerate(self.bags):
            for t in bag:
                self.postings[t].append(i)
        self.avg = sum(sum(b.values()) for b in self.bags) / n

    def ranked(self, question: str) -> list[int]:
        """Sentence ids by BM25 against the question, best first (unmatched left out)."""
        scores: dict[int, float] = defaultdict(float)
        for t in set(terms(question)):
            for i in self.postings.get(t, ()):
                tf = self.bags[i][t]
                length = sum(self.bags[i].values())
                scores[i] += self.idf[t] * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / self.avg))
        return sorted(scores, key=lambda i: -scores[i])


def _holds(text: str, answers: Iterable[str]) -> bool:
    lowered = text.lower()
    return any(a.lower() in lowered for a in answers)


def question_pairs(
    index: ArticleIndex, p: int, qa: dict[str, Any], mix: Mix, rng: random.Random
) -> list[Pair]:
    """The pairs one question gives (see the module's docstring)."""
    question = " ".join(qa["question"].split())
    answers = [a["text"].strip() for a in qa.get("answers", []) if a["text"].strip()]
    impossible = bool(qa.get("is_impossible")) or not answers
    ranked = index.ranked(question)
    mine = [i for i, s in enumerate(index.sentences) if s[0] == p]
    group = index.title

    def pair(i: int, label: float, kind: str) -> Pair:
        return Pair(question, pair_text(index.title, index.sentences[i][3]), label, kind, group)

    if impossible:
        own = [i for i in ranked if i in mine]
        others = [i for i in ranked if i not in mine]
        picks = own[: max(mix.unanswerable - 1, 1)] + others[:1]
        return [pair(i, 0.0, "unanswerable") for i in picks[: mix.unanswerable]]

    out: list[Pair] = []
    holding = [i for i in mine if _holds(index.sentences[i][3], answers)]
    start = qa["answers"][0]["answer_start"]
    end = start + len(qa["answers"][0]["text"])
    first = [i for i in mine if index.sentences[i][1] <= start and end <= index.sentences[i][2]]
    if len(holding) == 1 and first == holding:  # the one sentence stating it
        out.append(pair(holding[0], 1.0, "positive"))
    clean = [i for i in ranked if not _holds(index.sentences[i][3], answers)]
    same = [i for i in clean if i in mine]
    unmatched = [i for i in mine if i not in ranked and i not in holding]
    if len(same) < mix.paragraph and unmatched:
        same += rng.sample(unmatched, min(len(unmatched), mix.paragraph - len(same)))
    out += [pair(i, 0.0, "paragraph") for i in same[: mix.paragraph]]
    other = [i for i in clean if i not in mine]
    out += [pair(i, 0.0, "topical") for i in other[: mix.topical]]
    return out


def _answerable(qa: dict[str, Any]) -> bool:
    return bool(qa.get("answers")) and not qa.get("is_impossible")


def article_pairs(
    articles: list[dict[str, Any]],
    *,
    mix: Mix,
    questions: int | None = None,
    seed: int,
) -> list[Pair]:
    """Pairs from ``articles``; ``questions``: a seeded sample of that many answerable
    questions (every unanswerable one is kept: they are the scarce kind)."""
    rng = random.Random(seed)
    located = [
        (a_i, p_i, qa)
        for a_i, article in enumerate(articles)
        for p_i, paragraph in enumerate(article["paragraphs"])
        for qa in paragraph["qas"]
    ]
    if questions is not None:
        answerable = [x for x in located if _answerable(x[2])]
        rest = [x for x in located if not _answerable(x[2])]
        located = rng.sample(answerable, min(questions, len(answerable))) + rest
    by_article: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for a_i, p_i, qa in located:
        by_article[a_i].append((p_i, qa))
    pairs: list[Pair] = []
    for a_i in sorted(by_article):
        index = ArticleIndex(articles[a_i])
        for p_i, qa in by_article[a_i]:
            pairs += question_pairs(index, p_i, qa, mix, rng)
    return pairs


def split_groups(
    articles: list[dict[str, Any]], share: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(kept, held out): a seeded share of whole articles held out for validation."""
    titles = sorted(a["title"] for a in articles)
    random.Random(seed).shuffle(titles)
    held = set(titles[: round(len(titles) * share)])
    return (
        [a for a in articles if a["title"] not in held],
        [a for a in articles if a["title"] in held],
    )


def counts(pairs: list[Pair]) -> dict[str, int]:
    return dict(Counter(p.kind for p in pairs))
