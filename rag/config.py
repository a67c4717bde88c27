"""All settings in one place: environment (prefix ``RAG_``), ``.env``, then CLI flags.

The fields that shape the index (embedder, chunking, cleaning) are hashed into
the index fingerprint (:func:`rag.index.store.fingerprint`), so changing one builds a
new index instead of mixing vectors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError
from rag.urls import check_server_url, parse_chroma_url

Backend = Literal["extractive", "openai", "openai-compatible", "local"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", extra="ignore", populate_by_name=True
    )

    seeds_dir: Path = Field(Path("seeds"), description="Folder of articles to index.")
    index_dir: Path = Field(Path("index"), description="Folder holding the index generations.")

    # -- answering ---------------------------------------------------------
    llm: Backend = Field(
        "extractive",
        description="Answer backend. Only this setting chooses it: an OPENAI_API_KEY in the "
        "environment never sends articles anywhere by itself.",
    )
    model: str | None = Field(
        None, description="Model name for openai / openai-compatible (default gpt-4o-mini)."
    )
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="Key for the openai backend only.",
    )
    endpoint_api_key: SecretStr | None = Field(
        None,
        description="Key for an openai-compatible endpoint, if it wants one. OPENAI_API_KEY "
        "is never sent to such an endpoint: it is not OpenAI.",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("RAG_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="Endpoint for openai-compatible, e.g. http://127.0.0.1:11434/v1 (Ollama).",
    )
    model_path: Path | None = Field(None, description="GGUF file for --llm local.")
    connect_timeout: float = Field(3.0, gt=0, description="Seconds to open a connection.")
    first_token_timeout: float = Field(
        60.0, gt=0, description="Seconds until the model's first token."
    )
    turn_timeout: float = Field(180.0, gt=0, description="Seconds for a whole answer.")
    max_retries: int = Field(1, ge=0, le=3, description="Retries on 429/5xx (one layer only).")
    max_tokens: int = Field(512, gt=0, description="Cap on generated tokens, always sent.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    context_tokens: int = Field(
        3000, ge=200, description="Budget (tiktoken tokens) for the passages sent to a model."
    )
    resample: int = Field(
        2,
        ge=0,
        le=5,
        description="Further answers asked of a model, sampled at resample_temperature, "
        "when the checks find a sentence its passages do not fully support, or no date "
        "(figure, number) for a 'when' ('how much', 'how many') question; the "
        "best-supported answer is kept. 0: never.",
    )
    resample_temperature: float = Field(
        0.7, ge=0, le=2, description="Sampling temperature of those further answers."
    )
    evidence_sentences: int = Field(
        8,
        ge=1,
        le=50,
        description="Sentences a model gets to answer from, best first (twice that for a summary).",
    )

    # -- retrieval ---------------------------------------------------------
    k: int = Field(5, ge=1, le=50, description="Passages handed to the answerer.")
    candidates: int = Field(20, ge=1, le=200, description="Hits taken from each retriever.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    lead_boost: bool = Field(
        True, description="Rank articles by their lead paragraph as a third fused list."
    )
    diversify: bool = Field(
        True,
        description="A passage repeating a better-ranked one of another article (same "
        "fact) gives up its place and is listed under it.",
    )

    # -- the answer decision ----------------------------------------------
    decider: Literal["reader", "rules"] = Field(
        "rules",
        description="Who decides whether a sentence answers: the learned reader "
        "(rag/models/reader, docs/TRAINING.md) or the word rules.",
    )
    min_confidence: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Refuse below this calibrated confidence (reader only); unset: the "
        "threshold chosen on the calibration data.",
    )

    # -- where the vectors live -------------------------------------------
    chroma_url: str | None = Field(
        None,
        description="A Chroma server (http://host:8000) holding the index for several "
        "replicas; unset: the embedded store under index_dir.",
    )

    # -- index shape (part of the fingerprint) -----------------------------
    embedder: Literal["minilm-int8"] = Field(
        "minilm-int8", description="Embedding model (all-MiniLM-L6-v2 int8 ONNX, bundled)."
    )
    chunk_tokens: int = Field(
        96, ge=32, le=256, description="Chunk size in the embedder's own tokens (max 256)."
    )
    chunk_overlap_sentences: int = Field(
        1, ge=0, le=5, description="Sentences repeated from the previous chunk."
    )
    embed_title: bool = Field(
        False, description="Prefix each chunk's embedded text with its title."
    )

    # -- ingest ------------------------------------------------------------
    max_file_bytes: int = Field(10_000_000, gt=0, description="Larger files are skipped.")
    embed_batch_size: int = Field(8, ge=1, le=64, description="Texts per embedder call.")
    store_process_from: int = Field(
        2000,
        ge=0,
        description="Passages to store from which a child process stores them while the "
        "embedding goes on (below it, a thread: the process costs ~3 s to start).",
    )

    # -- browser chat (python -m ui) ------------------------------------------
    ui_host: str = Field("127.0.0.1", description="Address the chat listens on (loopback).")
    ui_port: int = Field(7860, ge=0, le=65535, description="Port of the chat (0: any free).")
    ui_concurrency: int = Field(
        16, ge=1, le=256, description="Questions answered at once (Gradio's default is 1)."
    )
    ui_queue_size: int = Field(
        64, ge=1, description="Questions waiting at most; past it users are told it is busy."
    )
    ui_max_upload: str = Field("5mb", description="Largest upload the chat accepts.")
    ui_rate_limit: int = Field(
        30, ge=1, description="Questions one chat session (or API client) may ask per minute."
    )
    ui_uploads: bool = Field(
        False, description="Let the page add articles to seeds/ and re-index (a writer)."
    )

    # -- OpenAI-compatible API (python -m rag.serve) --------------------------
    api_host: str = Field("127.0.0.1", description="Address the API listens on (loopback).")
    api_port: int = Field(8000, ge=0, le=65535, description="Port of the API.")
    api_key: SecretStr | None = Field(
        None,
        description="Bearer token the API requires (RAG_API_KEY); required to listen "
        "beyond loopback.",
    )
    api_hosts: str = Field(
        "",
        description="Other host names the API answers to (a reverse proxy's), comma-separated.",
    )
    api_cors_origins: str = Field(
        "", description="Origins a browser page may call the API from, comma-separated."
    )
    api_max_body: int = Field(1_000_000, ge=1000, description="Largest request body, bytes.")
    api_max_messages: int = Field(200, ge=1, description="Most messages in one request.")

    @field_validator("chroma_url")
    @classmethod
    def _check_chroma_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            parse_chroma_url(value)
        except ConfigError as err:
            raise ValueError(err.message) from None
        return check_server_url(value.rstrip("/"))

    @field_validator("openai_base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return check_server_url(value) if value else None

    def shape(self) -> dict[str, object]:
        """The settings that decide what the index holds."""
        return {
            "embedder": self.embedder,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap_sentences": self.chunk_overlap_sentences,
            "embed_title": self.embed_title,
        }


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``.env``, with explicit overrides on top."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(
            f"invalid setting {where}: {first['msg']} (see .env.example for every variable)"
        ) from None
