"""The extractive answerer embeds only the sentences its cheap rules leave eligible
(plus each passage's best-covered one, which ranks the passage): the same answers as
embedding every sentence, for a fraction of the model time."""

from __future__ import annotations

import pytest

from rag import Engine, Settings
from rag.cli.gold import load_gold
from tests.conftest import ROOT

# Every gold question answered twice (lazy and not): 15 s, so with the full suite only.
pytestmark = pytest.mark.slow


def test_embedding_only_the_eligible_sentences_changes_no_answer(built_index) -> None:
    seeds, index = built_index
    engine = Engine(Settings(seeds_dir=seeds, index_dir=index))
    answerer = engine.extractive
    embedded: list[int] = []
    real = answerer._embed
    answerer._embed = lambda texts: (embedded.append(len(texts)), real(texts))[1]
    counts = {True: 0, False: 0}
    for gold in load_gold(ROOT / "eval" / "gold.jsonl"):
        answers = {}
        for lazy in (True, False):
            answerer.lazy = lazy
            answerer._cache.clear()
            embedded.clear()
            answer = engine.ask(gold.q)
            counts[lazy] += sum(embedded)
            passages = [(p["source"], p["line_start"]) for p in answer.passages]
            # a refusal's closest passages may come in another order, never other ones
            answers[lazy] = (answer.text, set(passages) if answer.refused else passages[0])
        assert answers[True] == answers[False], gold.q
    assert counts[True] < 0.75 * counts[False], counts
