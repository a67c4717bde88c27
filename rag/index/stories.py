"""Same story, same fact: grouped once per index generation, from the passages' sentences.

Two sentences of different articles *say the same thing* when each holds at least 60% of
the other's content words (rag/text/agree.py's rule, numbers aside, so "120 engineers" and "150
engineers" still pair up and can be told apart later). From those pairs:

- **facts**: the sentence pairs themselves (source, start, end on each side);
- **links**: passage id → passages of other articles that repeat at least half of its
  sentences, with the same figures (pairs whose figures differ are never linked: the
  other side of a conflict must stay in view). Retrieval lists a passage under a
  better-ranked one that repeats it, so the same facts do not take two of the k places
  (rag/answer/retrieve.py);
- **stories**: articles joined by at least ``STORY_FACTS`` such pairs (union-find). On the
  seeds that is exactly the two Mistral articles and the two OpenAI third-phase ones.

Why not embeddings: on the seeds, whole-article MiniLM vectors put the two Mistral
articles at cosine 0.875 and two unrelated ones at 0.874 (every seed is about Microsoft
and AI), while the sentence rule finds 3 shared facts in each true pair and none in
any other (docs/BENCHMARKS.md). MinHash would find only copies, not retellings.

Cost: an inverted index over the sentences' terms, leaving out terms in more than
``COMMON`` sentences (they would pair everything), then the exact rule on the candidates.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.model import Chunk
from rag.text.abbreviations import defined, expander
from rag.text.agree import OVERLAP, SAME, compare, estimate_vs_unknown, says_unknown
from rag.text.support import checker

STORIES = "stories.json"
FORMAT = 1
STORY_FACTS = 2  # shared facts that make two articles one story
MIN_TERMS = 4  # shorter sentences ("Only a handful can compete.") pair too easily
MIN_SHARED = 3  # candidates share at least this many uncommon terms
COMMON = 200  # a term in more sentences than this is no evidence of a shared fact
REDUNDANT = 0.5  # share of a passage's sentences another passage must repeat to fold it

#: (source, start, end): a sentence by its characters in the article's text
Span = tuple[str, int, int]


@dataclass
class Stories:
    stories: list[list[str]] = field(default_factory=list)
    facts: list[tuple[Span, Span]] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._story_of = {s: i for i, group in enumerate(self.stories) for s in group}
        self._partners: dict[Span, list[Span]] = defaultdict(list)
        for a, b in self.facts:
            self._partners[a].append(b)
            self._partners[b].append(a)

    def story(self, source: str) -> int | None:
        """The story id of an article that shares one with another article, else None."""
        return self._story_of.get(source)

    def partners(self, source: str, start: int, end: int) -> list[Span]:
        """Sentences of other articles that say what this one says."""
        return list(self._partners.get((source, start, end), ()))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "stories": self.stories,
            "facts": [[list(a), list(b)] for a, b in self.facts],
            "links": self.links,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stories:
        if data.get("format") != FORMAT:
            return cls()
        return cls(
            stories=[list(g) for g in data["stories"]],
            facts=[(tuple(a), tuple(b)) for a, b in data["facts"]],  # type: ignore[misc]
            links={k: list(v) for k, v in data["links"].items()},
        )


def group(chunks: Iterable[Chunk], terms: Any = None) -> Stories:
    """Find the shared facts, passage links and stories among ``chunks`` (pure logic).

    ``terms``: text → content-word set (default: the support checker's, so "chief
    executive" and "CEO", "$13bn" and "13 billion" count as one word)."""
    if terms is None:
        terms = checker().terms
    holders: dict[Span, list[str]] = defaultdict(list)  # sentence → passages holding it
    texts: dict[Span, str] = {}
    chunk_spans: dict[str, list[Span]] = {}
    chunks = list(chunks)
    short_names: dict[str, dict[str, str]] = defaultdict(dict)  # "Microsoft (MS)"
    for chunk in chunks:
        short_names[chunk.source].update(defined(chunk.text))
    read = {source: expander(table) for source, table in short_names.items()}
    for chunk in chunks:
        chunk_spans[chunk.id] = []
        for start, end in chunk.sentences:
            span = (chunk.source, chunk.char_start + start, chunk.char_start + end)
            holders[span].append(chunk.id)
            chunk_spans[chunk.id].append(span)
            texts.setdefault(span, read[chunk.source](chunk.text[start:end]))
    spans = sorted(texts)
    bags = [frozenset(terms(texts[s])) for s in spans]
    facts = [
        (spans[i], spans[j])
        for i, j in _candidates(bags, [s[0] for s in spans])
        if _same_fact(bags[i], bags[j], OVERLAP)
    ]
    agreeing: dict[Span, list[Span]] = defaultdict(list)
    pair_facts: dict[tuple[str, str], int] = defaultdict(int)
    for a, b in facts:
        pair_facts[(min(a[0], b[0]), max(a[0], b[0]))] += 1
        if compare(texts[a], texts[b]) == SAME:  # never fold away the other side of a conflict
            agreeing[a].append(b)
            agreeing[b].append(a)
    stories = _union(pair_facts)
    facts += _hedged_pairs(spans, texts, stories, set(facts))
    return Stories(
        stories=stories,
        facts=facts,
        links=_links(chunk_spans, agreeing, holders),
    )


def _links(
    chunk_spans: dict[str, list[Span]],
    agreeing: dict[Span, list[Span]],
    holders: dict[Span, list[str]],
) -> dict[str, list[str]]:
    """Passage → the passages of other articles that repeat enough of its sentences."""
    links: dict[str, list[str]] = {}
    for chunk_id, own in chunk_spans.items():
        backed: dict[str, int] = defaultdict(int)  # other passage → my sentences it repeats
        for span in own:
            for other in {q for partner in agreeing.get(span, ()) for q in holders[partner]}:
                backed[other] += 1
        redundant = sorted(q for q, n in backed.items() if n / len(own) >= REDUNDANT)
        if redundant:
            links[chunk_id] = redundant
    return dict(sorted(links.items()))


def _union(pair_facts: dict[tuple[str, str], int]) -> list[list[str]]:
    """Articles joined by at least ``STORY_FACTS`` shared facts, as groups (union-find)."""
    parent = {s: s for pair in pair_facts for s in pair}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (first_source, second_source), count in pair_facts.items():
        if count >= STORY_FACTS:
            parent[root(first_source)] = root(second_source)
    members: dict[str, list[str]] = defaultdict(list)
    for article in parent:
        members[root(article)].append(article)
    return sorted(sorted(g) for g in members.values() if len(g) > 1)


def _hedged_pairs(
    spans: list[Span], texts: dict[Span, str], stories: list[list[str]], known: set[Any]
) -> list[tuple[Span, Span]]:
    """Inside a story, an estimate and a "not disclosed" pair up though they share few
    words: the same unknown figure, told two ways (rag/text/agree.py)."""
    story_of = {source: i for i, group in enumerate(stories) for source in group}
    hedged = [s for s in spans if s[0] in story_of and says_unknown(texts[s])]
    pairs = []
    for i, a in enumerate(hedged):
        for b in hedged[i + 1 :]:
            same_story = a[0] != b[0] and story_of[a[0]] == story_of[b[0]]
            if same_story and (a, b) not in known and estimate_vs_unknown(texts[a], texts[b]):
                pairs.append((a, b))
    return pairs


def _candidates(bags: list[frozenset[str]], sources: list[str]) -> list[tuple[int, int]]:
    """Pairs (i < j) of sentences of different articles sharing ≥ ``MIN_SHARED`` uncommon
    terms, in order. Counted with numpy over each term's posting list (pure Python took
    13.7 of 15.7 s on the 41k BBC sentences; this is ~1 s)."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, bag in enumerate(bags):
        if len(bag) >= MIN_TERMS:
            for term in bag:
                postings[term].append(i)
    triangles: dict[int, tuple[Any, Any]] = {}
    firsts, seconds = [], []
    for posting in postings.values():
        size = len(posting)
        if size < 2 or size > COMMON:
            continue
        if size not in triangles:
            triangles[size] = np.triu_indices(size, 1)
        members = np.asarray(posting, dtype=np.int64)  # ascending: appended in order
        a, b = triangles[size]
        firsts.append(members[a])
        seconds.append(members[b])
    if not firsts:
        return []
    keys = np.concatenate(firsts) * len(bags) + np.concatenate(seconds)
    unique, counts = np.unique(keys, return_counts=True)
    pairs = unique[counts >= MIN_SHARED]
    codes = {source: n for n, source in enumerate(dict.fromkeys(sources))}
    article = np.array([codes[source] for source in sources], dtype=np.int64)
    first, second = pairs // len(bags), pairs % len(bags)
    keep = article[first] != article[second]
    return list(zip(first[keep].tolist(), second[keep].tolist(), strict=True))


def _same_fact(a: frozenset[str], b: frozenset[str], overlap: float) -> bool:
    both = len(a & b)
    return min(both / len(a), both / len(b)) >= overlap


def write(generation_path: Path, stories: Stories) -> None:
    (generation_path / STORIES).write_text(json.dumps(stories.to_json()), encoding="utf-8")


def read(generation_path: Path) -> Stories:
    """The generation's groups; none for a generation built before they existed."""
    path = generation_path / STORIES
    if not path.exists():
        return Stories()
    return Stories.from_json(json.loads(path.read_text(encoding="utf-8")))
