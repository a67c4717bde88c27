import math

import pytest

from rag.bench.quality import scores


def test_rank_metrics_from_the_rank_of_the_one_answer() -> None:
    got = scores([1, 2, None, 10])
    assert got["hit@1"] == 0.25 and got["hit@5"] == 0.5 and got["hit@10"] == 0.75
    assert got["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 10) / 4, abs=1e-4)
    expected = (1 + 1 / math.log2(3) + 1 / math.log2(11)) / 4
    assert got["ndcg@10"] == pytest.approx(expected, abs=1e-4)
    assert got["queries"] == 4


def test_a_miss_scores_zero() -> None:
    assert scores([None, None]) == {
        "hit@1": 0.0,
        "hit@5": 0.0,
        "hit@10": 0.0,
        "mrr": 0.0,
        "ndcg@10": 0.0,
        "queries": 2,
    }
