"""A per-address login rate limit (sliding window), in front of the per-account lockout.

It lives in the process: with several gunicorn workers each counts on its own, which still
bounds guessing to workers × limit per window; the account lockout is in the database.
"""

from __future__ import annotations

from collections import deque
from threading import Lock


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def allowed(self, key: str, now: float) -> bool:
        with self._lock:
            return len(self._recent(key, now)) < self.limit

    def hit(self, key: str, now: float) -> None:
        with self._lock:
            if len(self._hits) >= self.max_keys and key not in self._hits:
                # Forget the idle addresses rather than grow without bound.
                self._hits = {
                    k: v for k, v in self._hits.items() if v and v[-1] > now - self.window
                }
            self._recent(key, now).append(now)

    def retry_after(self, key: str, now: float) -> int:
        with self._lock:
            hits = self._recent(key, now)
            return int(hits[0] + self.window - now) + 1 if hits else 0
