"""``rag.eval --calibrate`` reports settings; it leaves the answerer as it found it."""

from __future__ import annotations

from types import SimpleNamespace

from rag.cli.eval import GRID, calibrate
from rag.cli.gold import Gold


class _Answerer:
    """Refuses below its min_score; the grid search only needs score/select."""

    def __init__(self) -> None:
        self.lazy = True
        for name, values in GRID.items():
            setattr(self, name, values[-1])

    def score(self, question: str, vector: object, passages: object) -> list[str]:
        return [question]

    def select(self, scored: list[str]) -> list[SimpleNamespace]:
        answers = "Mensch" in scored[0] and self.min_score <= 0.45  # type: ignore[attr-defined]
        return [SimpleNamespace(text="Arthur Mensch leads Mistral")] if answers else []


def test_calibrate_reports_a_choice_and_restores_the_answerers_settings() -> None:
    answerer = _Answerer()
    before = {name: getattr(answerer, name) for name in (*GRID, "lazy")}
    engine = SimpleNamespace(
        extractive=answerer,
        retrieve=lambda q: SimpleNamespace(query_vector=None, passages=[]),
    )
    gold = [
        Gold("a", "Who leads Mistral? Mensch", True, [], {}, [["Mensch"]], "calibration"),
        Gold("u", "How many staff?", False, [], {}, [], "calibration"),
    ]
    result = calibrate(engine, gold)
    assert result["key_fact"] == 1.0 and result["refusal_accuracy"] == 1.0
    assert result["min_score"] <= 0.45
    after = {name: getattr(answerer, name) for name in (*GRID, "lazy")}
    assert after == before  # before the fix: the last grid point and lazy=False stayed
