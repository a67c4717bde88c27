"""The real embedding model: the bulk (one session per core) path gives the very
vectors of the query path, in input order, and a failure in a worker reaches the caller."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embed import MiniLM
from tests.conftest import SEEDS


def _sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    return [s.strip() for s in text.split(". ") if len(s.strip()) > 20][:60]


def test_bulk_sessions_give_the_query_path_vectors_in_order() -> None:
    texts = _sentences()
    bulk = MiniLM(batch_size=4, threads=2, bulk=True)
    single = MiniLM(batch_size=4, threads=2)
    got, want = bulk.encode(texts), single.encode(texts)
    assert len(bulk._sessions) == 2 and len(single._sessions) == 1
    assert got.shape == (len(texts), 384)
    assert np.allclose(got, want, atol=1e-5)
    # every row is its own text's vector, not a neighbour's
    assert np.allclose(got[7], single.encode([texts[7]])[0], atol=1e-5)


def test_a_failing_batch_in_a_worker_is_raised_to_the_caller(monkeypatch) -> None:
    model = MiniLM(batch_size=2, threads=2, bulk=True)
    real = model._run

    def flaky(texts, session=None):
        if any("boom" in t for t in texts):
            raise RuntimeError("session failed")
        return real(texts, session)

    monkeypatch.setattr(model, "_run", flaky)
    with pytest.raises(RuntimeError, match="session failed"):
        model.encode(["one text", "another text", "boom here", "and more", "a fifth"])
