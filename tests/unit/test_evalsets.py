"""Which evaluation sets rag.eval finds, and the metrics it adds for them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from rag.cli.eval import format_sets, set_metrics
from rag.cli.evalsets import discover
from rag.cli.gold import Gold


def _folder(path: Path) -> Path:
    (path / "articles").mkdir(parents=True)
    (path / "gold.jsonl").write_text('{"id": "x", "q": "q?", "answerable": false}\n')
    return path


def test_sets_are_found_in_the_project_and_under_the_data_folder(tmp_path: Path) -> None:
    root, data = tmp_path / "project", tmp_path / "data"
    (root / "eval").mkdir(parents=True)
    (root / "eval" / "gold.jsonl").write_text("")
    _folder(root / "eval" / "squad_slice")
    _folder(data / "squad-test")
    _folder(data / "squad-train")
    for week in ("20250103", "20250110"):
        _folder(data / "news-test" / week)
    found = {s.name: s for s in discover(root, root / "seeds", data, ("test",))}
    assert list(found) == ["gold", "squad-slice", "squad-test", "news-test"]
    assert found["gold"].folders[0].articles == root / "seeds"
    assert len(found["news-test"].folders) == 2  # one index a week
    assert [s.name for s in discover(root, root / "seeds", None, ("test",))] == [
        "gold",
        "squad-slice",
    ]


def _row(answerable: bool, text: str, refused: bool, confidence: float) -> tuple[Gold, object]:
    gold = Gold("i", "q?", answerable, ["a.txt"], {"a.txt": [3]}, [["Lima"]], "all")
    answer = SimpleNamespace(
        text=text,
        refused=refused,
        confidence=confidence,
        passages=[{"source": "a.txt", "line_start": 3, "line_end": 3}],
        sentences=[{"label": "supported", "flags": []}] if not refused else [],
        citations=[]
        if refused
        else [SimpleNamespace(source="a.txt", line_start=3, line_end=3, support=None)],
    )
    return gold, answer


def test_accuracy_counts_right_answers_and_right_refusals() -> None:
    rows = [
        _row(True, "It was held in Lima. [1]", False, 0.9),  # right
        _row(True, "It was held in Quito. [1]", False, 0.8),  # wrong answer
        _row(False, "The articles don't say.", True, 0.1),  # right refusal
        _row(False, "Lima. [1]", False, 0.6),  # answered the unanswerable
    ]
    metrics = set_metrics(rows)  # type: ignore[arg-type]
    assert metrics["accuracy"] == 0.5
    assert metrics["key_fact"] == 0.5 and metrics["refusal_accuracy"] == 0.5
    assert metrics["sentences_per_answer"] == 1.0
    table = format_sets({"tiny": metrics})
    assert table.splitlines()[2].startswith("| tiny | 4 |")
