"""Idempotency keys: a retried POST with the same key returns the first answer.

The key is claimed (a row with status 0) and committed before the work starts, so two
concurrent retries cannot both run it: the second finds the claim and is told to wait.
A claim older than ``STALE_AFTER`` (the process died mid-request) may be taken over.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.models import IdempotencyKey
from booking.services.errors import Conflict, Invalid

IN_PROGRESS = 0
STALE_AFTER = timedelta(minutes=2)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Stored:
    status_code: int
    response: dict[str, Any]


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        {"m": method, "p": path, "b": body}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _find(db: Session, user_id: int, key: str) -> IdempotencyKey | None:
    return db.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )


def claim(db: Session, user_id: int, key: str, digest: str, *, now: datetime) -> Stored | None:
    """Claim ``key`` for this request, or return the first answer given for it.

    Raises Invalid when the key was used with a different request, Conflict while the first
    request with the key is still running.
    """
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
            {"Idempotency-Key": key[:50].encode("unicode_escape").decode()},
        )
    for _ in range(2):
        row = _find(db, user_id, key)
        if row is not None:
            if row.request_hash != digest:
                raise Invalid(
                    "This Idempotency-Key was used for a different request; use a new key.",
                    {"Idempotency-Key": key},
                )
            if row.status_code != IN_PROGRESS:
                return Stored(row.status_code, row.response)
            if now - row.created_at < STALE_AFTER:
                raise Conflict(
                    "A request with this Idempotency-Key is still running; retry in a moment.",
                    {"Idempotency-Key": key},
                )
            db.delete(row)
            db.flush()
        db.add(
            IdempotencyKey(
                user_id=user_id,
                key=key,
                request_hash=digest,
                status_code=IN_PROGRESS,
                response={},
                created_at=now,
            )
        )
        try:
            db.commit()
            return None
        except IntegrityError:
            db.rollback()  # a concurrent retry claimed it first; look again
    raise Conflict("A request with this Idempotency-Key is still running; retry in a moment.")


def complete(
    db: Session, user_id: int, key: str, status_code: int, response: dict[str, Any]
) -> None:
    """Store the answer for the claimed key (a 5xx is not stored, so a retry runs again)."""
    db.rollback()  # whatever the failed use case left open must not be committed here
    row = _find(db, user_id, key)
    if row is None:
        return
    if status_code >= 500:
        db.delete(row)
    else:
        row.status_code = status_code
        row.response = response
    db.commit()


def release(db: Session, user_id: int, key: str) -> None:
    db.rollback()
    db.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.status_code == IN_PROGRESS,
        )
    )
    db.commit()
