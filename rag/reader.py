"""The learned reader: how likely a sentence answers a question.

A cross-encoder (all-MiniLM-L6-v2 fine-tuned on SQuAD 2.0 question–sentence pairs,
rag/train/cross.py) reads the question and one candidate sentence together and
gives a logit; two Platt scalings fitted on the calibration part turn it into

- ``sentence``: the probability that this sentence answers the question, and
- ``answer``: the probability that the best of a question's candidates does (the
  one that decides between answering and refusing).

``python -m rag.train fit`` writes the int8 ONNX file and its calibration (which pins
the file's sha256, checked before use) into ``models/reader/``; onnxruntime only,
nothing downloaded. The first model trained this way is not shipped: on the
calibration data it does not yet beat the word rules of rag/answer/extractive.py, which
stay the default (docs/TRAINING.md has the figures).
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


@dataclass(frozen=True)
class Calibration:
    sentence: tuple[float, float]  # Platt a, b: p = 1 / (1 + exp(-(a·logit + b)))
    answer: tuple[float, float]
    threshold: float  # on the answer probability
    precision: float  # the precision the threshold was chosen for (calibration part)

    @staticmethod
    def platt(ab: tuple[float, float], logit: float) -> float:
        z = ab[0] * logit + ab[1]
        return 1.0 / (1.0 + math.exp(-z)) if z > -50 else 0.0


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
                    (raw["answer"][0], raw["answer"][1]),
                    raw["threshold"],
                    raw["precision"],
                )
            else:  # while fitting: a plain sigmoid of the logit, not yet calibrated
                self._calibration = Calibration((1.0, 0.0), (1.0, 0.0), 0.5, 0.0)
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

    def answer_probability(self, logit: float) -> float:
        return Calibration.platt(self.calibration.answer, logit)
