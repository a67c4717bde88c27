"""Outside question sets, turned into what the product reads: article folders and
gold rows in the format of ``rag.eval`` (id, q, answerable, sources, lines, keywords).

- SQuAD 2.0 (CC BY-SA 4.0): one paragraph a file, all paragraphs of a part's
  Wikipedia articles in one folder; a question written as unanswerable is one.
- RealTimeQA (no licence: evaluation and thresholds only, never training the shipped
  model, never committed): one week's search results a folder; a question is
  answerable when its gold choice is stated in that pool next to most of the
  question's words (``answers_here``; audited by hand in docs/TRAINING.md).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.text.spans import sentence_spans

SEED = 20261202
SQUAD_PARTS = {"train": 10, "calibration": 2, "test": 4}  # titles per part
NEWS_WEEKS = {"calibration": 8, "test": 12}  # weeks sampled per part (ingest cost)


@dataclass
class Folder:
    """Articles (file name → text) and the gold rows asked over them."""

    name: str
    articles: dict[str, str] = field(default_factory=dict)
    questions: list[dict[str, Any]] = field(default_factory=list)

    def write(self, root: Path) -> Path:
        """``root/name/articles/*`` and ``root/name/gold.jsonl``; returns the folder."""
        folder = root / self.name
        articles = folder / "articles"
        articles.mkdir(parents=True, exist_ok=True)
        for name, text in self.articles.items():
            (articles / name).write_text(text, encoding="utf-8")
        with (folder / "gold.jsonl").open("w", encoding="utf-8") as handle:
            for row in self.questions:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        return folder


# --- SQuAD 2.0 ------------------------------------------------------------------------


def read_squad(path: Path) -> list[dict[str, Any]]:
    """The articles of a SQuAD 2.0 JSON file (``data`` entries: title, paragraphs)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data["data"])


def squad_file_name(title: str, index: int) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_-]+', '_', title)}_{index:03d}.txt"


def squad_folder(name: str, articles: list[dict[str, Any]], titles: list[str]) -> Folder:
    """Every paragraph of ``titles`` a file (title line, blank line, paragraph)."""
    folder = Folder(name)
    wanted = set(titles)
    for article in articles:
        if article["title"] not in wanted:
            continue
        heading = article["title"].replace("_", " ")
        for i, paragraph in enumerate(article["paragraphs"]):
            file = squad_file_name(article["title"], i)
            context = paragraph["context"]
            folder.articles[file] = f"{heading}\n\n{context}\n"
            for qa in paragraph["qas"]:
                answers = [a for a in qa.get("answers", []) if a["text"].strip()]
                impossible = bool(qa.get("is_impossible")) or not answers
                row: dict[str, Any] = {
                    "id": qa["id"],
                    "q": " ".join(qa["question"].split()),
                    "answerable": not impossible,
                    "sources": [file],
                    "group": article["title"],
                }
                if not impossible:
                    lines = sorted({3 + context[: a["answer_start"]].count("\n") for a in answers})
                    row["lines"] = {file: lines}
                    row["keywords"] = [sorted({a["text"].strip() for a in answers})]
                folder.questions.append(row)
    return folder


# --- RealTimeQA ---------------------------------------------------------------------

# A multiple-choice question that points at its choices can't be asked without them.
_NEEDS_CHOICES = re.compile(r"\b(?:of the following|of these|the following|above)\b", re.I)


def news_weeks(root: Path) -> list[str]:
    """Weeks (YYYYMMDD) under ``root/past`` with both a search pool and questions."""
    weeks = []
    for pool in sorted(root.glob("past/*/*_gcs.jsonl")):
        week = pool.name.removesuffix("_gcs.jsonl")
        if re.fullmatch(r"\d{8}", week) and (pool.parent / f"{week}_qa.jsonl").exists():
            weeks.append(week)
    return weeks


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def stated(answer: str, text: str) -> bool:
    """The gold string appears in the text, as whole words, case and punctuation aside."""
    needle = normalise(answer)
    return bool(needle) and f" {needle} " in f" {normalise(text)} "


# Function words of questions, left out when asking whether a sentence is about the
# question (a general English list, not tuned on any question).
_FUNCTION_WORDS = frozenset(
    """a an the of in on at to for from by with and or but is are was were be been has have
    had do does did this that these those which what who whom whose when where why how
    its it their his her they he she we you this week year month recently new after before
    than as into over about according said says""".split()
)
#: share of the question's content words that must be near the gold string
MIN_OVERLAP = 0.5


def _content(text: str) -> set[str]:
    return {w[:5] for w in normalise(text).split() if len(w) > 2 and w not in _FUNCTION_WORDS}


def answers_here(question: str, answer: str, text: str) -> bool:
    """``text`` states the gold string in a sentence that, with its neighbours, holds at
    least half of the question's content words (prefix-matched): the pool says the
    answer *about this*, not only somewhere ("Canada" in any Canada story). The
    question's own "evidence" field was tried instead: it comes from another outlet's
    wording and matched true answers less well (docs/TRAINING.md)."""
    asked = _content(question) - _content(answer)
    if not asked:
        return False
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    for i, sentence in enumerate(sentences):
        if stated(answer, sentence):
            window = _content(" ".join(sentences[max(0, i - 1) : i + 2]))
            if len(asked & window) / len(asked) >= MIN_OVERLAP:
                return True
    return False


def news_folder(root: Path, week: str) -> Folder:
    """One week: its search results (deduplicated by address) and its questions."""
    year = week[:4]
    pools = [json.loads(line) for line in _lines(root / "past" / year / f"{week}_gcs.jsonl")]
    folder = Folder(f"news-{week}")
    for pool in pools:
        for hit in pool.get("search_result") or []:
            body = (hit.get("text") or "").strip()
            if len(body) < 200:
                continue
            name = hashlib.sha1(hit["url"].encode()).hexdigest()[:12] + ".txt"
            title = " ".join((hit.get("title") or "").split()) or "Untitled"
            folder.articles.setdefault(name, f"{title}\n\n{body}\n")
    for line in _lines(root / "past" / year / f"{week}_qa.jsonl"):
        qa = json.loads(line)
        question = " ".join(qa["question_sentence"].split())
        if _NEEDS_CHOICES.search(question) or not qa.get("answer"):
            continue
        try:
            gold = qa["choices"][int(qa["answer"][0])].strip()
        except (ValueError, IndexError):
            continue
        lines: dict[str, list[int]] = {}
        for name, text in folder.articles.items():
            hits = [
                i
                for i, ln in enumerate(text.split("\n"), 1)
                if stated(gold, ln) and answers_here(question, gold, ln)
            ]
            if hits:
                lines[name] = hits
        row: dict[str, Any] = {
            "id": qa["question_id"],
            "q": question,
            "answerable": bool(lines),
            "sources": sorted(lines),
            "group": week,
            "gold": gold,
        }
        if lines:
            row["lines"] = lines
            row["keywords"] = [[gold]]
        folder.questions.append(row)
    return folder


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


# --- the split ------------------------------------------------------------------------


def make_split(titles: list[str], weeks: list[str], seed: int = SEED) -> dict[str, Any]:
    """SQuAD by title (no article in two parts); RealTimeQA by date (stories recur
    across neighbouring weeks): up to 2023 train, 2024 calibration, 2025 on test,
    with a seeded sample of weeks for the two parts that are run."""
    rng = random.Random(seed)
    shuffled = sorted(titles)
    rng.shuffle(shuffled)
    squad: dict[str, list[str]] = {}
    start = 0
    for part, count in SQUAD_PARTS.items():
        squad[part] = sorted(shuffled[start : start + count])
        start += count
    by_part: dict[str, list[str]] = {
        "train": [w for w in weeks if w < "2024"],
        "calibration": [w for w in weeks if "2024" <= w < "2025"],
        "test": [w for w in weeks if w >= "2025"],
    }
    news = {"train": by_part["train"]}
    for part, count in NEWS_WEEKS.items():
        news[part] = sorted(rng.sample(by_part[part], min(count, len(by_part[part]))))
    return {
        "seed": seed,
        "squad": {"source": "chrischute/squad data/dev-v2.0.json", **squad},
        "news": {"source": "realtimeqa/realtimeqa_public past/*/*_gcs.jsonl", **news},
    }
