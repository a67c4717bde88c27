"""Question answering over a folder of news articles, with line-level citations.

The public API is what this package exports (README, "Use it from Python")::

    import rag

    settings = rag.load_settings(seeds_dir="seeds", index_dir="index")
    engine = rag.open_engine(settings)          # indexes the seeds on first use
    answer = engine.ask("Who is the CEO of Mistral?")
    for citation in answer.citations:
        print(citation.n, citation.source, citation.line_start, citation.quote)

Names are imported on first use, so ``import rag`` stays cheap. Importing ``rag`` first
makes every library below it offline: nothing here may phone home or download at run
time (see docs/OFFLINE.md for each trap).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rag._offline import make_offline

make_offline()

__version__ = "0.1.0"

#: public name → (module, name in that module)
_EXPORTS: dict[str, tuple[str, str]] = {
    "Settings": ("rag.config", "Settings"),
    "load_settings": ("rag.config", "load_settings"),
    "Engine": ("rag.answer.engine", "Engine"),
    "Conversation": ("rag.answer.engine", "Conversation"),
    "open_engine": ("rag.answer.engine", "open_engine"),
    "Scope": ("rag.answer.scope", "Scope"),
    "build_index": ("rag.ingest.build", "build_index"),
    "IngestReport": ("rag.ingest.build", "IngestReport"),
    "add_files": ("rag.ingest.uploads", "add_articles"),
    "Chat": ("rag.chat", "Chat"),
    "Session": ("rag.chat", "Session"),
    "Delta": ("rag.chat", "Delta"),
    "Reply": ("rag.chat", "Reply"),
    "Answer": ("rag.model", "Answer"),
    "Checking": ("rag.model", "Checking"),
    "Citation": ("rag.model", "Citation"),
    "Passage": ("rag.model", "Passage"),
    "Retrieval": ("rag.model", "Retrieval"),
    "REFUSAL": ("rag.model", "REFUSAL"),
    **{
        name: ("rag.errors", name)
        for name in (
            "RagError",
            "ConfigError",
            "NoArticlesError",
            "RateLimitedError",
            "EmbedderError",
            "IndexNotFoundError",
            "IndexIncompatibleError",
            "IndexLockedError",
            "IndexVerifyError",
            "IndexWriteError",
            "StoreUnavailableError",
            "LLMError",
            "LLMUnavailableError",
            "LLMTimeoutError",
            "LLMResponseError",
        )
    },
}

__all__ = [
    "Answer",
    "Chat",
    "Checking",
    "Citation",
    "ConfigError",
    "Conversation",
    "Delta",
    "EmbedderError",
    "Engine",
    "IndexIncompatibleError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexVerifyError",
    "IndexWriteError",
    "IngestReport",
    "LLMError",
    "LLMResponseError",
    "LLMTimeoutError",
    "LLMUnavailableError",
    "NoArticlesError",
    "Passage",
    "REFUSAL",
    "RagError",
    "RateLimitedError",
    "Reply",
    "Retrieval",
    "Scope",
    "Session",
    "Settings",
    "StoreUnavailableError",
    "add_files",
    "build_index",
    "load_settings",
    "open_engine",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # what a type checker sees; at run time __getattr__ imports lazily
    from rag.answer.engine import Conversation, Engine, open_engine
    from rag.answer.scope import Scope
    from rag.chat import Chat, Delta, Reply, Session
    from rag.config import Settings, load_settings
    from rag.errors import (
        ConfigError,
        EmbedderError,
        IndexIncompatibleError,
        IndexLockedError,
        IndexNotFoundError,
        IndexVerifyError,
        IndexWriteError,
        LLMError,
        LLMResponseError,
        LLMTimeoutError,
        LLMUnavailableError,
        NoArticlesError,
        RagError,
        RateLimitedError,
        StoreUnavailableError,
    )
    from rag.ingest.build import IngestReport, build_index
    from rag.ingest.uploads import add_articles as add_files
    from rag.model import REFUSAL, Answer, Checking, Citation, Passage, Retrieval
