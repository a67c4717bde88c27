"""The sentence-vector cache: bounded, correct past its bound, safe under concurrency."""

from __future__ import annotations

import threading

import numpy as np

from rag.answer.extractive import CACHE_SIZE, ExtractiveAnswerer


def _answerer(calls: list[int] | None = None) -> ExtractiveAnswerer:
    def embed(texts: list[str]) -> np.ndarray:
        if calls is not None:
            calls.append(len(texts))
        # a vector that says which text it is: [hash, length, 0, 0]
        return np.array([[hash(t) % 1000, len(t), 0.0, 0.0] for t in texts], dtype=np.float32)

    return ExtractiveAnswerer(embed=embed, document_frequency={}, passages_total=1, stem=str)


def test_a_call_that_fills_the_cache_past_its_bound_still_gets_its_vectors() -> None:
    # Before: the cache was cleared after inserting and before reading: KeyError.
    answerer = _answerer()
    texts = [f"sentence {i}" for i in range(CACHE_SIZE + 7)]
    vectors = answerer._vectors(texts)
    assert vectors.shape == (len(texts), 4)
    assert [int(v[1]) for v in vectors[-3:]] == [len(t) for t in texts[-3:]]
    assert len(answerer._cache) == CACHE_SIZE


def test_the_cache_keeps_the_recently_used_and_embeds_each_text_once() -> None:
    calls: list[int] = []
    answerer = _answerer(calls)
    answerer.cache_size = 3
    answerer._vectors(["a", "b", "c"])
    answerer._vectors(["a"])  # a is now the most recent
    answerer._vectors(["d"])  # evicts b, the least recently used
    assert list(answerer._cache) == ["c", "a", "d"]
    calls.clear()
    answerer._vectors(["a", "c", "d", "d"])
    assert calls == []  # all cached; a repeated text costs nothing either
    answerer._vectors(["b"])
    assert calls == [1]


def test_sixteen_questions_at_once_share_the_cache_safely() -> None:
    answerer = _answerer()
    answerer.cache_size = 50  # small: evictions happen while others read
    errors: list[BaseException] = []

    def ask(worker: int) -> None:
        try:
            for round_ in range(200):
                texts = [f"s{(worker * 7 + round_ + i) % 120}" for i in range(9)]
                vectors = answerer._vectors(texts)
                assert [int(v[1]) for v in vectors] == [len(t) for t in texts]
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=ask, args=(w,)) for w in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(answerer._cache) <= 50
