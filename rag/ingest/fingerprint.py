"""What decides an index's vectors and passages, as one short hash."""

from __future__ import annotations

import hashlib
import json

from rag.embed import MODEL_ID, MODEL_SHA256, TOKENIZER_SHA256
from rag.ingest.chunk import CHUNKER_VERSION
from rag.ingest.clean import CLEANER_VERSION


def fingerprint(shape: dict[str, object]) -> str:
    """Embedder files, chunking, cleaning and the settings in ``shape``: an index built
    with another fingerprint must be rebuilt, not read."""
    payload = {
        "model": MODEL_ID,
        "model_sha256": MODEL_SHA256,
        "tokenizer_sha256": TOKENIZER_SHA256,
        "cleaner": CLEANER_VERSION,
        "chunker": CHUNKER_VERSION,
        **shape,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
