"""The outside data's shapes, labels and split (rag/train/data.py): pure, on tiny inputs."""

from __future__ import annotations

import json
from pathlib import Path

from rag.train.data import make_split, news_folder, squad_folder, stated

SQUAD = [
    {
        "title": "Steam_engine",
        "paragraphs": [
            {
                "context": "Watt improved the engine in 1769. It used a separate condenser.",
                "qas": [
                    {
                        "id": "q1",
                        "question": "When did Watt improve the engine?",
                        "answers": [{"text": "1769", "answer_start": 28}],
                        "is_impossible": False,
                    },
                    {
                        "id": "q2",
                        "question": "When did Newcomen improve the condenser?",
                        "answers": [],
                        "plausible_answers": [{"text": "1769", "answer_start": 28}],
                        "is_impossible": True,
                    },
                ],
            }
        ],
    },
    {"title": "Other", "paragraphs": [{"context": "Nothing.", "qas": []}]},
]


def test_a_squad_paragraph_is_a_file_and_its_questions_gold_rows() -> None:
    folder = squad_folder("part", SQUAD, ["Steam_engine"])
    assert list(folder.articles) == ["Steam_engine_000.txt"]
    text = folder.articles["Steam_engine_000.txt"]
    assert text.splitlines()[0] == "Steam engine" and "separate condenser" in text.splitlines()[2]
    answerable, unanswerable = folder.questions
    assert answerable["answerable"] and answerable["keywords"] == [["1769"]]
    assert answerable["lines"] == {"Steam_engine_000.txt": [3]}
    # A question written to be unanswerable stays one, even with a plausible answer.
    assert not unanswerable["answerable"] and "keywords" not in unanswerable


def test_folders_are_written_as_articles_and_gold(tmp_path: Path) -> None:
    written = squad_folder("squad-x", SQUAD, ["Steam_engine"]).write(tmp_path)
    assert (written / "articles" / "Steam_engine_000.txt").is_file()
    rows = [json.loads(x) for x in (written / "gold.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2"]


def test_a_gold_string_is_stated_as_whole_words_only() -> None:
    assert stated("Iran", "Talks with Iran resumed.")
    assert not stated("Iran", "Iranian officials said")  # not inside another word
    assert stated("U.S. Open", "won the US open on Sunday") is False  # punctuation kept apart
    assert stated("New York", "in new  york,")


def _week(root: Path, week: str, pools: list[dict], questions: list[dict]) -> None:
    folder = root / "past" / week[:4]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{week}_gcs.jsonl").write_text("\n".join(json.dumps(p) for p in pools) + "\n")
    (folder / f"{week}_qa.jsonl").write_text("\n".join(json.dumps(q) for q in questions) + "\n")


def test_a_news_week_labels_questions_by_what_the_pool_says_about_them(tmp_path: Path) -> None:
    body = "Leaders met on Monday. The summit was held in Lima, the capital of Peru. " * 5
    body += "Canada sent a delegation."
    ask = {"choices": ["Quito", "Lima", "Canada"]}
    _week(
        tmp_path,
        "20250103",
        [
            {
                "question_id": "w_0",
                "search_result": [{"url": "https://x/1", "title": "Summit", "text": body}],
            }
        ],
        [
            {
                **ask,
                "question_id": "w_0",
                "question_sentence": "Where was the summit held?",
                "answer": ["1"],
                "evidence": "This year's summit was held in Lima, Peru.",
            },
            # The gold string is in the pool, but not about this: unanswerable.
            {
                **ask,
                "question_id": "w_1",
                "question_sentence": "Which country won the vote?",
                "answer": ["2"],
                "evidence": "Canada won the vote on fishing quotas.",
            },
            {
                **ask,
                "question_id": "w_2",
                "question_sentence": "Which of the following is true?",
                "answer": ["0"],
                "evidence": "Quito.",
            },
            {
                **ask,
                "question_id": "w_3",
                "question_sentence": "Where was it held?",
                "answer": ["1"],
                "evidence": "",
            },
        ],
    )
    folder = news_folder(tmp_path, "20250103")
    assert len(folder.articles) == 1
    rows = {r["id"]: r for r in folder.questions}
    assert rows["w_0"]["answerable"] and rows["w_0"]["keywords"] == [["Lima"]]
    assert rows["w_0"]["lines"] == {next(iter(folder.articles)): [3]}
    assert not rows["w_1"]["answerable"]
    assert "w_2" not in rows  # points at its choices: can't be asked without them
    assert rows["w_3"]["answerable"]  # "held": said beside Lima


def test_the_split_is_seeded_disjoint_and_by_date() -> None:
    titles = [f"T{i}" for i in range(16)]
    weeks = ["20221230", "20230106", "20240105", "20240112", "20250103", "20260102"]
    first, second = make_split(titles, weeks, seed=7), make_split(titles, weeks, seed=7)
    assert first == second
    parts = [set(first["squad"][p]) for p in ("train", "calibration", "test")]
    assert sum(map(len, parts)) == 16 and not (parts[0] & parts[1] or parts[0] & parts[2])
    assert first["news"]["train"] == ["20221230", "20230106"]
    assert all(w.startswith("2024") for w in first["news"]["calibration"])
    assert all(w >= "2025" for w in first["news"]["test"])
