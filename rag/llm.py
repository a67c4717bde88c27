"""Generative backends (OpenAI, OpenAI-compatible, local llama.cpp).

Not built yet: choosing one is a configuration error that says so, rather than a
silent fallback to another backend.
"""

from __future__ import annotations

from typing import Any

from rag.config import Settings
from rag.errors import ConfigError


def make_generator(settings: Settings) -> Any:
    raise ConfigError(
        f"the {settings.llm!r} backend is not available in this release yet; "
        "use the default extractive backend (--llm extractive)"
    )
