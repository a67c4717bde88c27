"""The learned decision: which sentences answer a question, and whether any does.

The cheap signals of rag/answer/extractive.py (weighted term coverage, the passage's
dense score) pick the ``PRESELECT`` most likely sentences; the reader (rag/reader.py)
reads each with the question. Its calibrated answer probability over those
candidates is the answer's ``confidence``: below the threshold chosen on the
calibration parts (docs/TRAINING.md) the question is refused. Otherwise the best
sentence is quoted, and others only where the reader is nearly as sure of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.extractive import Scored, overlaps
from rag.reader import Reader, answer_features, pair_text, preselect_score

PRESELECT = 16  # candidates the reader reads per question (or per part)
MAX_SENTENCES = 3
#: a further sentence is quoted only at this sentence probability or more …
MIN_EXTRA = 0.5
#: … and within this many logits of the best one
EXTRA_MARGIN = 1.0


@dataclass(frozen=True)
class Decision:
    confidence: float  # calibrated probability that the best sentence answers
    answers: bool  # confidence at or above the threshold
    chosen: list[Scored]  # the sentences to quote, best first (empty when refused)
    read: list[Scored]  # the candidates the reader read, best first, with confidence


def cheap_rank(s: Scored) -> float:
    """The order in which candidates reach the reader (``preselect_score``)."""
    return preselect_score(s.coverage, s.passage.dense or 0.0)


class Decider:
    """The reader, its calibration and the threshold, applied to scored candidates."""

    def __init__(self, reader: Reader, threshold: float | None = None) -> None:
        self.reader = reader
        self.threshold = reader.calibration.threshold if threshold is None else threshold

    def decide(self, question: str, scored: Sequence[Scored]) -> Decision:
        candidates = sorted(scored, key=lambda s: -cheap_rank(s))[:PRESELECT]
        if not candidates:
            return Decision(0.0, False, [], [])
        texts = [pair_text(s.passage.chunk.meta.title or "", s.text) for s in candidates]
        logits = self.reader.logits(question, texts)
        features = answer_features(
            logits.tolist(),
            [s.coverage for s in candidates],
            [s.passage.dense or 0.0 for s in candidates],
        )
        confidence = self.reader.answer_probability(features)
        order = np.argsort(-logits, kind="stable")
        read = [
            dataclasses.replace(
                candidates[i], confidence=self.reader.sentence_probability(float(logits[i]))
            )
            for i in order
        ]
        answers = confidence >= self.threshold
        if not answers:
            return Decision(confidence, False, [], read)
        best = float(logits[order[0]])
        chosen = [read[0]]
        for s, i in zip(read[1:], order[1:], strict=True):
            if len(chosen) >= MAX_SENTENCES:
                break
            close = float(logits[i]) >= best - EXTRA_MARGIN
            if (
                close
                and (s.confidence or 0.0) >= MIN_EXTRA
                and not any(overlaps(s, c) for c in chosen)
            ):
                chosen.append(s)
        return Decision(confidence, True, chosen, read)
