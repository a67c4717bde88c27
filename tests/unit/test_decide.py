"""The reader's decision over scored candidates (rag/answer/decide.py), with a fake
reader whose logits are given per sentence: which are read, refusal below the
threshold, and which further sentences join the best one."""

from __future__ import annotations

import numpy as np

from rag.answer.decide import MAX_SENTENCES, PRESELECT, Decider
from rag.answer.extractive import Scored
from rag.model import ArticleMeta, Chunk, Passage
from rag.reader import Calibration


class FakeReader:
    """Logits by sentence text; Platt a = 1, b = 0 for sentences; answers on the best."""

    def __init__(self, logits: dict[str, float], threshold: float = 0.5) -> None:
        self.by_text = logits
        self.calibration = Calibration((1.0, 0.0), {"best": 1.0, "bias": 0.0}, threshold, 0.8)
        self.asked: list[list[str]] = []

    def logits(self, question: str, texts: list[str]) -> np.ndarray:
        self.asked.append(texts)
        return np.array([self.by_text[t.split(": ", 1)[-1]] for t in texts], dtype=np.float32)

    def sentence_probability(self, logit: float) -> float:
        return Calibration.platt(self.calibration.sentence, logit)

    def answer_probability(self, features: dict[str, float]) -> float:
        return self.calibration.answer_probability(features)


def _scored(sentences: list[str], coverage: list[float], dense: float = 0.5) -> list[Scored]:
    text = " ".join(sentences)
    spans, start = [], 0
    for s in sentences:
        spans.append((start, start + len(s)))
        start += len(s) + 1
    chunk = Chunk(
        id="c",
        source="a.txt",
        text=text,
        embed_text=text,
        char_start=0,
        char_end=len(text),
        line_start=1,
        line_end=1,
        sentences=tuple(spans),
        content_hash="h",
        file_sha256="f",
        meta=ArticleMeta(title="T"),
    )
    passage = Passage(chunk, dense, 1.0, 0.03)
    return [
        Scored(passage, a, b, dense, c, True, True, c)
        for (a, b), c in zip(spans, coverage, strict=True)
    ]


def test_below_the_threshold_it_refuses_and_every_read_sentence_has_a_probability() -> None:
    scored = _scored(["Alpha one.", "Beta two."], [0.9, 0.1])
    decision = Decider(FakeReader({"Alpha one.": -2.0, "Beta two.": -3.0})).decide("q?", scored)
    assert not decision.answers and decision.chosen == []
    assert decision.confidence < 0.5
    assert [s.text for s in decision.read] == ["Alpha one.", "Beta two."]
    assert all(0 < (s.confidence or 0) < 0.5 for s in decision.read)


def test_the_reader_not_the_word_coverage_picks_the_answer() -> None:
    scored = _scored(["Covers every word.", "States the answer."], [1.0, 0.2])
    reader = FakeReader({"Covers every word.": -1.0, "States the answer.": 3.0})
    decision = Decider(reader).decide("q?", scored)
    assert decision.answers and [s.text for s in decision.chosen] == ["States the answer."]
    assert decision.confidence > 0.9


def test_a_further_sentence_joins_only_when_nearly_as_sure_and_at_most_three() -> None:
    names = [f"S{i}." for i in range(6)]
    logits = {"S0.": 4.0, "S1.": 3.6, "S2.": 3.5, "S3.": 3.4, "S4.": 2.0, "S5.": 3.9}
    decision = Decider(FakeReader(logits)).decide("q?", _scored(names, [0.5] * 6))
    assert [s.text for s in decision.chosen] == ["S0.", "S5.", "S1."][:MAX_SENTENCES]
    lonely = Decider(FakeReader({"A.": 4.0, "B.": 2.0})).decide("q?", _scored(["A.", "B."], [1, 1]))
    assert [s.text for s in lonely.chosen] == ["A."]  # 2 logits behind: not quoted


def test_only_the_best_candidates_by_the_cheap_signals_are_read() -> None:
    names = [f"S{i}." for i in range(PRESELECT + 4)]
    reader = FakeReader({n: 0.0 for n in names})
    coverage = [i / 100 for i in range(len(names))]  # the last ones cover most
    Decider(reader).decide("q?", _scored(names, coverage))
    read = {t.split(": ")[-1] for t in reader.asked[0]}
    assert len(read) == PRESELECT and "S0." not in read and names[-1] in read


def test_a_threshold_setting_overrides_the_calibrated_one() -> None:
    scored = _scored(["A."], [1.0])
    reader = FakeReader({"A.": 0.5})  # confidence σ(0.5) ≈ 0.62
    assert Decider(reader).decide("q?", scored).answers
    assert not Decider(reader, threshold=0.7).decide("q?", scored).answers
