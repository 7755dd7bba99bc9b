"""One rebuild per change, however many requests ask for the stale feed at once (issue 16).

After a change, every subscriber's next poll finds the feed stale. Without this, each of them
would rebuild the same body (32 simultaneous polls of a 10,000-event feed: 32 rebuilds). Here
the first request rebuilds; the others wait for it and then serve what it stored:
- within one process (the threads of a gunicorn worker): one of a fixed set of locks, chosen
  by the feed's key (bounded memory, whatever the number of feeds);
- across processes and nodes on PostgreSQL: a transaction-level advisory lock on the key,
  released by the rebuild's commit or rollback.
A request that got the lock after waiting first reads the feed's state again and, when it is
fresh now, returns it without rebuilding.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from booking.models.feeds import FeedBody

_STRIPES = [threading.Lock() for _ in range(64)]

STATE_BY_KEY = select(
    FeedBody.etag, FeedBody.last_modified, FeedBody.stale, FeedBody.valid_until
).where(FeedBody.feed_key == bindparam("feed_key"))


def is_fresh(
    etag: str | None, stale: bool | None, valid_until: datetime | None, now: datetime
) -> bool:
    return etag is not None and not stale and valid_until is not None and valid_until > now


def _stripe(key: str) -> threading.Lock:
    return _STRIPES[zlib.crc32(key.encode()) % len(_STRIPES)]


@contextmanager
def one_at_a_time(key: str) -> Iterator[None]:
    """Within this process, one rebuild of this feed at a time."""
    with _stripe(key):
        yield


def lock_across_processes(db: Session, key: str) -> None:
    """On PostgreSQL, wait for any other process's rebuild of this feed (until its commit)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def fresh_row(db: Session, key: str, now: datetime) -> Any | None:
    """The stored feed's (etag, last_modified) when it is fresh now, else None."""
    row = db.execute(STATE_BY_KEY, {"feed_key": key}).first()
    if row is None or not is_fresh(row.etag, row.stale, row.valid_until, now):
        return None
    return row
