"""Hybrid retrieval over one published generation: dense (Chroma) + BM25, fused by RRF."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np

from rag.embed import MiniLM, as_llama_embedding
from rag.index import store, stories
from rag.index.backend import LocalStore, Store
from rag.index.nodes import node_to_chunk
from rag.model import Passage, Retrieval
from rag.text.spans import expand_query

Mode = Literal["hybrid", "dense", "bm25"]


def rrf(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """Reciprocal-rank fusion: sum of 1/(k + rank) over the rankings an id is in."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused


class Retriever:
    """Opens a generation once; ``retrieve`` is then cheap and thread-safe."""

    def __init__(
        self, generation: store.Generation, embedder: MiniLM, source: Store | None = None
    ) -> None:
        from llama_index.core import Settings as LlamaSettings
        from llama_index.retrievers.bm25 import BM25Retriever

        # Any llama-index path that wants an embedder gets ours, never OpenAI's default.
        LlamaSettings.embed_model = as_llama_embedding(embedder)

        self.generation = generation
        self.embedder = embedder
        self.store = source or LocalStore(generation.path.parent)
        self.collection = self.store.open_collection(generation.path)
        self._bm25 = BM25Retriever.from_persist_dir(
            str(generation.path / "bm25"), show_progress=False
        )
        # Every passage's serialised node is in the BM25 corpus already, so the dense
        # search asks Chroma for ids and distances only (store.nearest).
        self._row = {entry["node_id"]: i for i, entry in enumerate(self._bm25.corpus)}
        self._lock = threading.Lock()  # bm25s is not documented as thread-safe
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dense")
        self.size = int(generation.manifest["chunk_count"])
        lead_sources, self._leads = store.read_leads(generation.path)
        self._lead_sources = list(lead_sources)
        self.stories = stories.read(generation.path)

    def _metadata(self, key: str) -> dict[str, Any]:
        """A passage's stored metadata (the serialised node), from memory if there."""
        row = self._row.get(key)
        if row is not None:
            return self._bm25.corpus[row]
        return store.records_by_id(self.collection, [key])[key]  # not expected: BM25 has all

    def _node(self, key: str, nodes: dict[str, Any]) -> Any:
        if key not in nodes:
            from llama_index.core.vector_stores.utils import metadata_dict_to_node

            nodes[key] = metadata_dict_to_node(self._metadata(key))
        return nodes[key]

    def _dense_result(self, pending: Any) -> list[Any]:
        try:
            return pending.result()
        except Exception as err:  # a server gone away is the user's to fix, not a crash
            replacement = self.store.connection_error(err)
            if replacement is not None:
                raise replacement from None
            raise

    # -- statistics for the answerer -------------------------------------------
    def document_frequency(self) -> tuple[dict[str, int], int]:
        """Stemmed term → number of passages containing it; and the passage count."""
        model = self._bm25.bm25
        indptr = model.scores["indptr"]
        counts = {
            term: int(indptr[i + 1] - indptr[i])
            for term, i in model.vocab_dict.items()
            if i + 1 < len(indptr)
        }
        return counts, int(model.scores["num_docs"])

    @property
    def stemmer(self) -> Any:
        return self._bm25.stemmer

    def _mask(self, sources: frozenset[str] | None) -> list[int] | None:
        if sources is None:
            return None
        return [int(entry.get("source") in sources) for entry in self._bm25.corpus]

    def _lead_ranks(
        self, vector: Any, top: int, sources: frozenset[str] | None = None
    ) -> dict[str, int]:
        """Source → 1-based rank of its lead among the ``top`` closest to ``vector``."""
        similarity = self._leads @ np.asarray(vector, dtype=np.float32)
        if sources is not None:
            allowed = np.array([s in sources for s in self._lead_sources], dtype=bool)
            similarity = np.where(allowed, similarity, -np.inf)
            top = min(top, int(allowed.sum()))
            if top == 0:
                return {}
        top = min(top, len(similarity))
        best = np.argpartition(-similarity, top - 1)[:top]
        best = best[np.argsort(-similarity[best])]
        return {self._lead_sources[i]: rank for rank, i in enumerate(best, start=1)}

    # -- retrieval -----------------------------------------------------------------
    def retrieve(
        self,
        question: str,
        k: int = 5,
        candidates: int = 20,
        rrf_k: int = 60,
        mode: Mode = "hybrid",
        vector: Any = None,
        lead_boost: bool = True,
        sources: frozenset[str] | None = None,
        diverse: bool = True,
    ) -> Retrieval:
        """``vector``: the question's embedding, when the caller already has it.

        ``lead_boost`` (hybrid only): a third ranking, of articles by how close their
        first chunk (the news lead) is to the question, joins the fusion; each candidate
        passage gets its article's share. docs/BENCHMARKS.md has what it does.

        ``sources``: only passages of these articles (rag/answer/scope.py), applied to all
        three rankings, so fusion cannot bring an excluded article back.

        ``diverse``: a passage that repeats a fact of a better-ranked passage of another
        article (rag/index/stories.py) does not take one of the ``k`` places; it is kept in that
        passage's ``also``."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if vector is None:
            vector = self.embedder.encode([question])[0]
        timings["embed"] = (time.perf_counter() - started) * 1000
        top = min(candidates, self.size)

        def run_dense() -> list[tuple[str, float]]:
            begun = time.perf_counter()
            ids, similarities = store.nearest(self.collection, vector, top, sources)
            timings["dense"] = (time.perf_counter() - begun) * 1000
            return list(zip(ids, similarities, strict=True))

        # Chroma's query runs in Rust without the GIL: on two cores the dense search
        # overlaps the BM25 one instead of queueing behind it.
        pending = self._pool.submit(run_dense) if mode in ("hybrid", "dense") else None
        sparse: list[Any] = []
        if mode in ("hybrid", "bm25"):
            begun = time.perf_counter()
            sparse = self._sparse(question, top, sources)
            timings["bm25"] = (time.perf_counter() - begun) * 1000
        article_rank: dict[str, int] = {}
        if mode == "hybrid" and lead_boost and len(self._lead_sources):
            begun = time.perf_counter()  # while Chroma may still be searching
            article_rank = self._lead_ranks(vector, top, sources)
            timings["leads"] = (time.perf_counter() - begun) * 1000
        dense: list[tuple[str, float]] = self._dense_result(pending) if pending else []

        fused = rrf([[key for key, _ in dense], [h.node.node_id for h in sparse]], rrf_k)
        for key in fused:
            rank = article_rank.get(self._metadata(key)["source"])
            if rank:
                fused[key] += 1.0 / (rrf_k + rank)
        ranked = sorted(fused, key=lambda key: (-fused[key], key))
        kept, twins = diversify(ranked, k, self.stories.links if diverse else {})
        passages = self._passages(kept, twins, fused, dict(dense), sparse)
        return Retrieval(
            passages=passages, query_vector=vector, timings_ms=timings, sources=sources
        )

    def _sparse(self, question: str, top: int, sources: frozenset[str] | None) -> list[Any]:
        """BM25 hits for the question and its other spellings, within ``sources``."""
        from llama_index.core.schema import QueryBundle

        with self._lock:
            self._bm25.similarity_top_k = top
            # Excluded passages score 0 under the mask, but bm25s still returns them
            # when k exceeds the matches: the score and source checks drop them.
            self._bm25.corpus_weight_mask = self._mask(sources)
            keywords = QueryBundle(query_str=expand_query(question))
            try:
                return [
                    hit
                    for hit in self._bm25.retrieve(keywords)
                    if (hit.score or 0) > 0
                    and (sources is None or hit.node.metadata["source"] in sources)
                ]
            finally:
                self._bm25.corpus_weight_mask = None

    def _passages(
        self,
        kept: list[str],
        twins: dict[str, list[str]],
        fused: dict[str, float],
        dense_scores: dict[str, float],
        sparse: list[Any],
    ) -> list[Passage]:
        nodes = {hit.node.node_id: hit.node for hit in sparse}
        bm25_scores = {h.node.node_id: float(h.score or 0.0) for h in sparse}

        def passage(key: str, also: tuple[Passage, ...] = ()) -> Passage:
            chunk = node_to_chunk(self._node(key, nodes))
            return Passage(
                chunk=chunk,
                dense=dense_scores.get(key),
                bm25=bm25_scores.get(key),
                fused=fused[key],
                also=also,
                story=self.stories.story(chunk.source),
            )

        return [passage(key, tuple(passage(t) for t in twins[key])) for key in kept]


MAX_ALSO = 3  # other articles' passages listed under one kept passage


def diversify(
    ranked: list[str], k: int, links: dict[str, list[str]]
) -> tuple[list[str], dict[str, list[str]]]:
    """The first ``k`` of ``ranked`` with no two linked passages (the same fact in two
    articles); each later one rides along under the better-ranked passage it repeats."""
    kept: list[str] = []
    twins: dict[str, list[str]] = {}
    for key in ranked:
        linked = links.get(key, ())
        first = next((other for other in kept if other in linked), None)
        if first is not None:
            if len(twins[first]) < MAX_ALSO:
                twins[first].append(key)
            continue
        if len(kept) == k:
            break
        kept.append(key)
        twins[key] = []
    return kept, twins
