"""Typed errors. The library raises these and never prints; the CLI and UI turn
them into messages and exit codes.

    RagError                      every error a user can see; .message names the fix
    ├── ConfigError               bad settings or arguments (CLI exit 2)
    │   └── NoArticlesError       the seeds folder has nothing to index
    ├── EmbedderError             the embedding model is missing or not the pinned file
    ├── IndexError_               something is wrong with the index on disk
    │   ├── IndexNotFoundError    nothing published yet
    │   ├── IndexIncompatibleError  other fingerprint or chromadb version: re-ingest
    │   ├── IndexLockedError      another ingest holds the writer lock
    │   ├── IndexVerifyError      a new generation failed its check; not published
    │   ├── IndexWriteError       storing a new generation failed; not published
    │   └── StoreUnavailableError  the Chroma server (RAG_CHROMA_URL) does not answer
    └── LLMError                  the generative backend failed
        ├── LLMUnavailableError   cannot connect / endpoint down
        ├── LLMTimeoutError       a deadline passed
        └── LLMResponseError      the endpoint answered with an error
"""

from __future__ import annotations


class RagError(Exception):
    """Base class. ``str(err)`` is the one-line message for the user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(RagError):
    exit_code = 2


class RateLimitedError(RagError):
    """Too many questions from one session in the last minute."""

    def __init__(self, message: str, retry_after: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until one more is allowed


class NoArticlesError(ConfigError):
    pass


class EmbedderError(RagError):
    pass


class IndexError_(RagError):  # noqa: N801 - avoids shadowing the builtin IndexError
    pass


class IndexNotFoundError(IndexError_):
    pass


class IndexIncompatibleError(IndexError_):
    pass


class IndexVerifyError(IndexError_):
    """A freshly built generation failed its check; it was not published."""


class IndexWriteError(IndexError_):
    """Storing a new generation's passages failed; it was not published."""


class IndexLockedError(IndexError_):
    pass


class StoreUnavailableError(IndexError_):
    """The Chroma server named by RAG_CHROMA_URL cannot be reached."""


class LLMError(RagError):
    pass


class LLMUnavailableError(LLMError):
    pass


class LLMTimeoutError(LLMError):
    pass


class LLMStreamCutError(LLMError):
    """The model failed after part of its answer had arrived (``partial``): that text
    was never checked, so it is replaced, not kept."""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


class LLMResponseError(LLMError):
    pass
