"""The request path: the validators and bytes of a feed asked for by token or forum slug.

A request is one indexed select: token hash → feed key → validators (``PRIVATE_STATE``). The
web layer answers 304 from those alone; the body is a second select by primary key
(``BYTES_BY_KEY``), skipped when the web layer already holds the bytes for that ETag. A stale
or expired feed is rebuilt first (``build.rebuild``).

The two statements are public so that the raw feed reader (booking/adapters/feed_reader.py) runs
exactly these, with the same freshness rule (``fresh_state``), without the ORM.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from booking.models import Forum
from booking.models.feeds import FeedBody, FeedToken
from booking.services.feeds.build import FeedBytes, FeedState, rebuild
from booking.services.feeds.policy import FeedConfig
from booking.services.feeds.single_flight import STATE_BY_KEY, is_fresh

# Columns: feed_key, etag, last_modified, stale, valid_until (None from etag on when not built).
PRIVATE_STATE = (
    select(
        FeedToken.feed_key,
        FeedBody.etag,
        FeedBody.last_modified,
        FeedBody.stale,
        FeedBody.valid_until,
    )
    .outerjoin(FeedBody, FeedBody.feed_key == FeedToken.feed_key)
    .where(FeedToken.token_hash == bindparam("token_hash"), FeedToken.revoked_at.is_(None))
)
# Columns: etag, last_modified, body_gzip.
BYTES_BY_KEY = select(FeedBody.etag, FeedBody.last_modified, FeedBody.body_gzip).where(
    FeedBody.feed_key == bindparam("feed_key")
)


def fresh_state(
    kind: str,
    row: tuple[str, str | None, datetime | None, bool | None, datetime | None],
    now: datetime,
) -> FeedState | None:
    """A ``PRIVATE_STATE`` row as validators when it is a built, fresh feed of this kind."""
    key, etag, last_modified, stale, valid_until = row
    if not key.startswith(f"{kind}:") or not is_fresh(etag, stale, valid_until, now):
        return None
    assert etag is not None and last_modified is not None
    return FeedState(key, etag, last_modified)


def peek_private(
    conn: Session | Connection, kind: str, token_hash: str, now: datetime
) -> FeedState | None:
    """The validators of a fresh feed behind a token, read-only; None when unknown or stale."""
    row = conn.execute(PRIVATE_STATE, {"token_hash": token_hash}).first()
    return None if row is None else fresh_state(kind, tuple(row), now)  # type: ignore[arg-type]


def private_feed_state(
    db: Session, kind: str, token_hash: str, now: datetime, config: FeedConfig
) -> FeedState | None:
    """The validators of the feed behind a token, rebuilt first when stale; None for an
    unknown, revoked or other-kind token."""
    row = db.execute(PRIVATE_STATE, {"token_hash": token_hash}).first()
    if row is None or not row.feed_key.startswith(f"{kind}:"):
        return None
    if not is_fresh(row.etag, row.stale, row.valid_until, now):
        return rebuild(db, row.feed_key, now, config)
    return FeedState(row.feed_key, row.etag, row.last_modified)


def availability_state(
    db: Session, forum_slug: str, now: datetime, config: FeedConfig
) -> FeedState | None:
    """The public availability feed of a forum; None for an unknown forum."""
    forum_id = db.scalar(select(Forum.id).where(Forum.slug == forum_slug))
    if forum_id is None:
        return None
    key = f"availability:{forum_id}"
    row: Any = db.execute(STATE_BY_KEY, {"feed_key": key}).first()
    if row is None or not is_fresh(row.etag, row.stale, row.valid_until, now):
        return rebuild(db, key, now, config)
    return FeedState(key, row.etag, row.last_modified)


def feed_bytes(db: Session | Connection, feed_key: str) -> FeedBytes | None:
    """The feed's bytes (plain and gzip) with their validators; None when not built."""
    row = db.execute(BYTES_BY_KEY, {"feed_key": feed_key}).first()
    if row is None:
        return None
    return FeedBytes.from_gzip(row.etag, row.last_modified, row.body_gzip)
