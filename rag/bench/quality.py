"""Retrieval quality on outside data: BBC headline → article, and the Lee corpus.

BBC task (as in the retrieval issue): each article is indexed without its headline
by the real ingest pipeline (clean, chunk, embed, Chroma, BM25); the headline is the
query; the article is the answer, and articles with an identical body count as the
same answer. Chunks are ranked by the real retriever and folded into articles by
their first (best) chunk.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.retrieve import Mode, Retriever
from rag.bench.corpora import BBCArticle, LeeCorpus
from rag.config import Settings
from rag.embed import shared_minilm
from rag.index import store

MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")
DOCS = 10  # article ranks scored (nDCG@10, hit@10)
CHUNKS = 100  # chunks taken from each retriever: enough to fill 10 distinct articles


def write_bbc_seeds(articles: Sequence[BBCArticle], seeds: Path) -> dict[str, str]:
    """Bodies as seed files; returns file name → body key."""
    seeds.mkdir(parents=True, exist_ok=True)
    keys = {}
    for article in articles:
        name = article.id.replace("/", "_") + ".txt"
        (seeds / name).write_text(article.body.strip() + "\n", encoding="utf-8")
        keys[name] = article.body_key
    return keys


def rank_articles(
    retriever: Retriever,
    query: str,
    keys: dict[str, str],
    mode: Mode,
    rrf_k: int = 60,
    candidates: int = CHUNKS,
) -> list[str]:
    """Body keys, best first, from one retrieval."""
    found = retriever.retrieve(query, k=candidates, candidates=candidates, rrf_k=rrf_k, mode=mode)
    ranking: list[str] = []
    # A passage that repeats a kept one is listed under it ("also reported by"): the
    # user sees its article there, so it ranks right after the passage it repeats.
    shown = [twin for passage in found.passages for twin in (passage, *passage.also)]
    for passage in shown:
        key = keys[passage.chunk.source]
        if key not in ranking:
            ranking.append(key)
            if len(ranking) == DOCS:
                break
    return ranking


def scores(ranks: Sequence[int | None]) -> dict[str, float]:
    """hit@1/5/10, MRR and nDCG@10 from the 1-based rank of the one answer (None: missed)."""
    n = max(len(ranks), 1)

    def hit(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n

    return {
        "hit@1": round(hit(1), 4),
        "hit@5": round(hit(5), 4),
        "hit@10": round(hit(10), 4),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
        "ndcg@10": round(sum(1 / math.log2(r + 1) for r in ranks if r and r <= DOCS) / n, 4),
        "queries": len(ranks),
    }


def bbc_quality(
    retriever: Retriever,
    articles: Sequence[BBCArticle],
    keys: dict[str, str],
    modes: Sequence[Mode] = MODES,
    rrf_k: int = 60,
    candidates: int = CHUNKS,
) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for mode in modes:
        started = time.perf_counter()
        ranks: list[int | None] = []
        for article in articles:
            ranking = rank_articles(retriever, article.headline, keys, mode, rrf_k, candidates)
            key = article.body_key
            ranks.append(ranking.index(key) + 1 if key in ranking else None)
        results[mode] = scores(ranks)
        results[mode]["seconds"] = round(time.perf_counter() - started, 1)
    return results


def open_retriever(settings: Settings) -> Retriever:
    generation = store.open_current(settings.index_dir)
    return Retriever(generation, shared_minilm(settings.embed_batch_size))


def lee_correlation(
    corpus: LeeCorpus, embed: Callable[[list[str]], np.ndarray], bm25: bool = True
) -> dict[str, float]:
    """Pearson correlation of model similarities with the human ratings (1,225 pairs)."""
    upper = np.triu_indices(len(corpus.documents), 1)
    human = corpus.similarity[upper]
    vectors = embed(corpus.documents)
    out = {"minilm": round(float(np.corrcoef((vectors @ vectors.T)[upper], human)[0, 1]), 4)}
    if bm25:
        out["bm25"] = round(
            float(np.corrcoef(_bm25_similarity(corpus.documents)[upper], human)[0, 1]), 4
        )
    out["pairs"] = len(human)
    return out


def _bm25_similarity(documents: list[str]) -> np.ndarray:
    """Each document as a BM25 query against all the others, symmetrised."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(documents, stopwords="en", stemmer=stemmer, show_progress=False)
    model = bm25s.BM25()
    model.index(tokens, show_progress=False)
    matrix = np.zeros((len(documents), len(documents)))
    for i, doc in enumerate(documents):
        query = bm25s.tokenize([doc], stopwords="en", stemmer=stemmer, show_progress=False)
        matrix[i] = model.get_scores(_query_tokens(query))
    matrix = matrix / np.maximum(np.diag(matrix)[:, None], 1e-9)
    return (matrix + matrix.T) / 2


def _query_tokens(tokenized: Any) -> list[str]:
    inverse = {v: k for k, v in tokenized.vocab.items()}
    return [inverse[i] for i in tokenized.ids[0]]
