"""Environment switches that keep third-party libraries from reaching the network.

Set before those libraries are imported; ``setdefault`` so a user can still
override one deliberately.
"""

import os
from importlib.util import find_spec
from pathlib import Path


def _tiktoken_cache() -> str | None:
    # llama-index-core ships the BPE files tiktoken would otherwise download.
    try:
        spec = find_spec("llama_index.core")
    except ModuleNotFoundError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
    return str(path) if path.is_dir() else None


def make_offline() -> None:
    cache = _tiktoken_cache()
    if cache:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", cache)
    # chromadb: posthog telemetry.  SEE: https://docs.trychroma.com/docs/overview/telemetry
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    # gradio: analytics and the version check on launch.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # huggingface_hub (pulled in by gradio/tokenizers): never reach the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # onnxruntime/tokenizers: fork-safety warnings otherwise spam stderr.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
