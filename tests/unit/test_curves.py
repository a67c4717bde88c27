"""Risk–coverage curves (rag/cli/curves.py) and the answer at a threshold taken from a
run that refused nothing (rag/cli/evalsets.py ``refused_below``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.cli.curves import at, curve, plot
from rag.cli.evalsets import refused_below
from rag.model import REFUSAL


def test_each_threshold_answers_the_questions_at_or_above_it() -> None:
    # confidence, answered right, answerable
    points = curve([0.9, 0.8, 0.4, 0.2], [True, False, True, False], [True, True, True, False])
    by_t = {p.threshold: p for p in points}
    top = by_t[0.9]
    assert top.coverage == 0.25 and top.risk == 0.0 and top.key_fact == pytest.approx(1 / 3)
    assert top.refusal_accuracy == 1.0  # the unanswerable one is refused
    everything = by_t[0.2]
    assert everything.coverage == 1.0 and everything.risk == 0.5
    assert everything.refusal_accuracy == 0.0 and everything.key_fact == pytest.approx(2 / 3)
    nothing = by_t[1.01]
    assert nothing.coverage == 0.0 and nothing.accuracy == 0.25  # only the right refusal
    assert at(points, 0.5).threshold == 0.8  # the product at 0.5 answers 0.9 and 0.8


def test_below_the_threshold_an_answer_becomes_the_refusal_with_its_passages() -> None:
    answer = SimpleNamespace(
        text="Quote [1].",
        refused=False,
        passages=[{"source": "a"}],
        sentences=[{}],
        citations=[object()],
        confidence=0.3,
    )
    refused = refused_below(answer, 0.5)
    assert refused.refused and refused.text == REFUSAL and refused.citations == []
    assert refused.passages == answer.passages  # retrieval is scored the same
    assert refused_below(answer, 0.3) is answer


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    points = curve([0.9, 0.1], [True, False], [True, False])
    out = plot({"a set": points}, 0.5, tmp_path / "curves" / "rc.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
