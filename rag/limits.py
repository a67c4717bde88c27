"""A sliding-window rate limit: at most ``limit`` events per ``window`` seconds per key."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """Record an event and return None, or refuse it: seconds until one is allowed."""
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and now - events[0] >= self.window:
                events.popleft()
            if len(events) >= self.limit:
                return self.window - (now - events[0])
            events.append(now)
            if len(self._events) > self._max_keys:  # forget idle keys: bounded memory
                for stale in [
                    k for k, v in self._events.items() if not v or now - v[-1] >= self.window
                ]:
                    del self._events[stale]
            return None
