"""The published index for a long-running process (the UI): picks up a new generation.

An ingest from the CLI publishes by swapping ``index/CURRENT``; ``LiveEngine.get``
notices the swap and opens the new generation. A question already running keeps the
Engine it started with, so it finishes on the generation it began on.
"""

from __future__ import annotations

import threading
import time

from rag.answer.engine import Engine
from rag.config import Settings


class LiveEngine:
    def __init__(
        self, settings: Settings, check_every: float = 1.0, engine: Engine | None = None
    ) -> None:
        """``engine``: one the caller already opened on this index (not opened twice)."""
        self.settings = settings
        self.check_every = check_every
        self._lock = threading.Lock()
        self._engine = engine or Engine(settings)
        self._checked = time.monotonic()

    def get(self) -> Engine:
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return self._engine
        with self._lock:
            self._checked = now
            name = self._engine.store.current_name()
            if name and name != self._engine.generation.name:
                # Build the new one first: the old stays in use if this fails.
                self._engine = Engine(self.settings, embedder=self._engine.embedder)
            return self._engine
