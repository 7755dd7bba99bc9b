"""The per-address login rate limit, counted in the database (issue 11 part 3).

Counted per process it would allow workers × nodes × limit guesses per window; here every
gunicorn worker and node shares one count. Attempts are summed in buckets (a tenth of the
window each): one row per address and bucket, ``hits`` raised by one atomic upsert
(``INSERT .. ON CONFLICT DO UPDATE .. RETURNING``), so simultaneous attempts are each counted
once and the one over the limit knows it. Every attempt is counted, refused ones too: an
address that keeps hammering stays refused.

No address is stored, only its SHA-256. Buckets older than the window are deleted as attempts
arrive (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a sweep never waits for another one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from booking.db import conflict_insert
from booking.models import LoginRateBucket

BUCKETS_PER_WINDOW = 10


@dataclass(frozen=True)
class RateVerdict:
    allowed: bool
    retry_after: int = 0  # seconds until an attempt from the address is allowed again


def address_key(address: str) -> str:
    return hashlib.sha256(address.encode("utf-8", "replace")).hexdigest()


def register_attempt(
    db: Session, address: str, *, now: datetime, limit: int, window_seconds: float
) -> RateVerdict:
    """Count one login attempt from ``address``; allowed while the window holds at most
    ``limit`` attempts (this one included). Commits."""
    key = address_key(address)
    size = max(1, int(window_seconds // BUCKETS_PER_WINDOW))
    stamp = now.timestamp()
    current = int(stamp // size) * size
    oldest = stamp - window_seconds - size  # a bucket counts while its start is after this

    insert = conflict_insert(db, LoginRateBucket).values(key=key, bucket=current, hits=1)
    hits_now = db.execute(
        insert.on_conflict_do_update(
            index_elements=["key", "bucket"], set_={"hits": LoginRateBucket.hits + 1}
        ).returning(LoginRateBucket.hits)
    ).scalar_one()
    earlier = db.execute(
        select(LoginRateBucket.bucket, LoginRateBucket.hits)
        .where(
            LoginRateBucket.key == key,
            LoginRateBucket.bucket < current,
            LoginRateBucket.bucket > oldest,
        )
        .order_by(LoginRateBucket.bucket)
    ).all()
    _sweep(db, oldest)
    db.commit()

    buckets = [(int(b), int(h)) for b, h in earlier] + [(current, int(hits_now))]
    total = sum(h for _, h in buckets)
    if total <= limit:
        return RateVerdict(True)
    # Refused: the next attempt is allowed once enough of the oldest buckets have left the
    # window for it to be the limit-th.
    remaining = total
    for bucket, hits in buckets:
        remaining -= hits
        if remaining + 1 <= limit:
            return RateVerdict(False, max(1, int(bucket + size + window_seconds - stamp) + 1))
    return RateVerdict(False, int(window_seconds) + size)  # pragma: no cover (limit < 1)


def _sweep(db: Session, oldest: float) -> None:
    """Delete buckets that have left the window (every address), skipping rows another
    transaction holds."""
    expired = (
        select(LoginRateBucket.key, LoginRateBucket.bucket)
        .where(LoginRateBucket.bucket <= oldest)
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    db.execute(
        delete(LoginRateBucket)
        .where(tuple_(LoginRateBucket.key, LoginRateBucket.bucket).in_(expired))
        .execution_options(synchronize_session=False)
    )
