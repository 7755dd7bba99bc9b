"""A small per-process cache of feed bytes, keyed by feed and checked against the stored ETag.

The database stays the source of truth: every request reads the feed's current ETag (one indexed
row); only when this process already holds the bytes for exactly that ETag does it skip reading
the body again. Bounded by total size, least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from booking.services.feeds.build import FeedBytes

MAX_BYTES = 64 * 1024 * 1024


class FeedMemory:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._items: OrderedDict[str, FeedBytes] = OrderedDict()
        self._size = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, feed_key: str, etag: str) -> FeedBytes | None:
        with self._lock:
            item = self._items.get(feed_key)
            if item is None or item.etag != etag:
                return None
            self._items.move_to_end(feed_key)
            return item

    def put(self, feed_key: str, item: FeedBytes) -> None:
        size = len(item.body) + len(item.body_gzip)
        if size > self._max:
            return
        with self._lock:
            old = self._items.pop(feed_key, None)
            if old is not None:
                self._size -= len(old.body) + len(old.body_gzip)
            self._items[feed_key] = item
            self._size += size
            while self._size > self._max:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.body) + len(dropped.body_gzip)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0
