"""The learned reader: how likely a sentence answers a question.

A cross-encoder (all-MiniLM-L6-v2 fine-tuned on SQuAD v1.1 and SQuAD 2.0
question–sentence pairs, rag/train/cross.py) reads the question and one candidate
sentence together and gives a logit; calibration on SQuAD and news turns it into

- ``sentence``: the probability that this sentence answers the question, and
- ``answer``: the probability that the best of a question's candidates does (a
  logistic regression over the best logit and cheap signals; the one that decides
  between answering and refusing).

``python -m rag.train fit`` writes the int8 ONNX file and its calibration (which pins
the file's sha256, checked before use) into ``models/reader/``; onnxruntime only,
nothing downloaded. The model ships with the package and decides with
``RAG_DECIDER=reader``; docs/TRAINING.md has its figures against the word rules.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.embed import TOKENIZER_PATH, TOKENIZER_SHA256, sha256_of, verified
from rag.errors import EmbedderError

READER_DIR = Path(__file__).parent / "models" / "reader"
MODEL_PATH = READER_DIR / "reader-int8.onnx"
CALIBRATION_PATH = READER_DIR / "reader.json"
MAX_TOKENS = 128
TITLE_WORDS = 12


def pair_text(title: str, sentence: str) -> str:
    """The second segment the model reads: the article's title, then the sentence.
    The title stands in for what a pronoun in the sentence refers to."""
    head = " ".join(title.split()[:TITLE_WORDS])
    return f"{head}: {sentence}" if head else sentence


def preselect_score(coverage: float, dense: float) -> float:
    """The order in which candidates reach the reader, in the product and in its
    calibration alike: word coverage plus the passage's dense score."""
    return coverage + dense


#: what the answer-level decision reads of a question's candidates (``answer_features``)
FEATURES = ("best", "gap", "coverage", "dense")


def answer_features(
    logits: Sequence[float], coverage: Sequence[float], dense: Sequence[float]
) -> dict[str, float]:
    """The answer decision's inputs: the best candidate's logit, its lead over the
    next one, and the cheap signals of that candidate (how much of the question its
    words cover, how close its passage is to the question)."""
    if not len(logits):
        return {"best": -20.0, "gap": 0.0, "coverage": 0.0, "dense": 0.0}
    order = np.argsort(-np.asarray(logits, dtype=np.float64))
    best = int(order[0])
    second = float(logits[int(order[1])]) if len(order) > 1 else float(logits[best]) - 5.0
    return {
        "best": float(logits[best]),
        "gap": min(float(logits[best]) - second, 5.0),
        "coverage": float(coverage[best]),
        "dense": float(dense[best]),
    }


@dataclass(frozen=True)
class Calibration:
    sentence: tuple[float, float]  # Platt a, b: p = 1 / (1 + exp(-(a·logit + b)))
    #: logistic regression over ``FEATURES`` (by name), then its bias
    answer: dict[str, float]
    threshold: float  # on the answer probability
    precision: float  # of the answers given at the threshold, on the calibration parts

    @staticmethod
    def platt(ab: tuple[float, float], logit: float) -> float:
        z = ab[0] * logit + ab[1]
        return _sigmoid(z)

    def answer_probability(self, features: dict[str, float]) -> float:
        z = self.answer.get("bias", 0.0) + sum(
            w * features[name] for name, w in self.answer.items() if name != "bias"
        )
        return _sigmoid(z)


def _sigmoid(z: float) -> float:
    if z < -50:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


class Reader:
    """Tokenizer, ONNX session and calibration, loaded once, shared across threads."""

    def __init__(
        self,
        model: Path = MODEL_PATH,
        calibration: Path = CALIBRATION_PATH,
        threads: int | None = None,
    ) -> None:
        self.model_path = model
        self.calibration_path = calibration
        self.threads = threads or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._calibration: Calibration | None = None
        self._inputs: tuple[str, ...] = ()
        self._sha256 = ""

    @property
    def sha256(self) -> str:
        """The model file's pinned sha256 (reported in every answer's JSON)."""
        self._load()
        return self._sha256

    @property
    def calibration(self) -> Calibration:
        self._load()
        assert self._calibration is not None
        return self._calibration

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            if not self.model_path.is_file():
                raise EmbedderError(
                    f"the reader model {self.model_path} is missing; reinstall rag-news "
                    "or rebuild it with python -m rag.train"
                )
            actual = sha256_of(self.model_path)
            if self.calibration_path.is_file():
                raw = json.loads(self.calibration_path.read_text(encoding="utf-8"))
                if raw.get("sha256") != actual:
                    raise EmbedderError(
                        f"{self.model_path.name} does not match the sha256 pinned in "
                        f"{self.calibration_path.name}; reinstall rag-news or rebuild both "
                        "with python -m rag.train fit"
                    )
                self._calibration = Calibration(
                    (raw["sentence"][0], raw["sentence"][1]),
                    {str(k): float(v) for k, v in raw["answer"].items()},
                    raw["threshold"],
                    raw["precision"],
                )
            else:  # while fitting: a plain sigmoid of the logit, not yet calibrated
                self._calibration = Calibration((1.0, 0.0), {"best": 1.0}, 0.5, 0.0)
            self._sha256 = actual
            tokenizer = Tokenizer.from_file(str(verified(TOKENIZER_PATH, TOKENIZER_SHA256)))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            # Idle workers spinning after a run would steal the cores from what follows.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._inputs = tuple(i.name for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def logits(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One logit per (question, text) pair; ``texts`` already in pair_text form."""
        self._load()
        if not texts:
            return np.zeros(0, dtype=np.float32)
        encodings = self._tokenizer.encode_batch([(question, t) for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        out = self._session.run(None, feeds)[0]
        return np.asarray(out, dtype=np.float32).reshape(-1)

    def sentence_probability(self, logit: float) -> float:
        return Calibration.platt(self.calibration.sentence, logit)

    def answer_probability(self, features: dict[str, float]) -> float:
        return self.calibration.answer_probability(features)

    @property
    def available(self) -> bool:
        """Whether a calibrated model ships (else the word rules decide)."""
        return self.model_path.is_file() and self.calibration_path.is_file()


_shared: Reader | None = None
_shared_lock = threading.Lock()


def shared_reader() -> Reader:
    """One reader per process (its ONNX session costs ~0.2 s to open); it checks that a
    calibrated model ships, so a broken install fails at start-up, not at a question."""
    global _shared
    with _shared_lock:
        if _shared is None:
            reader = Reader()
            if not reader.available:
                raise EmbedderError(
                    f"RAG_DECIDER=reader but no calibrated reader is installed in "
                    f"{READER_DIR}; reinstall rag-news, or set RAG_DECIDER=rules"
                )
            _shared = reader
        return _shared
