"""Secret tokens of the private ICS feeds: create, rotate, revoke, list, look up.

A token is 256 bits (43 URL-safe characters), derived as HMAC-SHA256(secret key, feed key and a
random 128-bit nonce stored with the row). Only its sha256 is stored and looked up, so a database
dump alone gives no token; the service can still show the current link to its owner (the case
page, a representative's profile) by deriving it again. Changing the secret key therefore makes
``current_token`` return None (the stored hash no longer matches): rotate to issue new links.
One row per feed: ``create`` refuses a second, ``rotate`` replaces the token, ``revoke`` disables
it (an unknown and a revoked token look the same to the outside: 404).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.cases import has_customer
from booking.models import Case, Department, Forum, Representative
from booking.models.feeds import FeedToken
from booking.services.access.tokens import derive_token, hash_token
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.inputs import MAX_ID, control_characters

PRIVATE_KINDS = ("department", "representative", "forum", "case")
# URL path segment of each kind (``/feeds/<segment>/<token>.ics``).
PATH_SEGMENT = {
    "department": "departments",
    "representative": "representatives",
    "forum": "forums",
    "case": "cases",
}


@dataclass(frozen=True)
class TokenInfo:
    feed_key: str
    kind: str
    subject_id: int
    label: str
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _derive(secret_key: str, feed_key: str, nonce: str) -> str:
    return derive_token(secret_key, f"feed-token|{feed_key}|{nonce}")


def feed_key(kind: str, subject_id: int) -> str:
    return f"{kind}:{subject_id}"


def split_key(key: str) -> tuple[str, int]:
    kind, _, ident = key.partition(":")
    return kind, int(ident)


def resolve_subject(db: Session, kind: str, ref: str) -> tuple[int, str]:
    """Find a feed's subject by id or by its natural reference; return (id, label)."""
    if kind not in PRIVATE_KINDS:
        raise Invalid(
            f"Unknown feed kind {kind!r}; use one of {', '.join(PRIVATE_KINDS)}.", {"kind": kind}
        )
    ref = ref.strip()
    if control_characters(ref) or len(ref) > 320:
        raise NotFound(f"No {kind} with that reference.", {"ref": ref[:40]})
    # An id is ASCII digits within the database's range ("²".isdigit() is true, too).
    ident = int(ref) if ref.isascii() and ref.isdigit() and 0 < int(ref) <= MAX_ID else None
    if kind == "department":
        dept = db.scalar(select(Department).where(Department.slug == ref))
        dept = dept or (db.get(Department, ident) if ident else None)
        if dept:
            return dept.id, dept.name
    elif kind == "forum":
        forum = db.scalar(select(Forum).where(Forum.slug == ref))
        forum = forum or (db.get(Forum, ident) if ident else None)
        if forum:
            return forum.id, forum.name
    elif kind == "representative":
        rep = db.scalar(select(Representative).where(Representative.email == ref.lower()))
        rep = rep or (db.get(Representative, ident) if ident else None)
        if rep:
            return rep.id, rep.name
    else:
        case = db.scalar(select(Case).where(Case.reference == ref))
        case = case or (db.get(Case, ident) if ident else None)
        if case and not has_customer(case):
            raise Invalid(
                f"Case {case.reference} is internal (Forum internt): it has no customer and "
                "no customer feed.",
                {"ref": case.reference},
                reason="no_customer",
            )
        if case:
            return case.id, case.reference
    raise NotFound(f"No {kind} {ref!r}: give its id or its slug/e-mail/reference.", {"ref": ref})


def _row(db: Session, key: str) -> FeedToken | None:
    return db.scalar(select(FeedToken).where(FeedToken.feed_key == key))


def _issue(row: FeedToken, secret_key: str) -> str:
    row.nonce = secrets.token_hex(16)
    token = _derive(secret_key, row.feed_key, row.nonce)
    row.token_hash = hash_token(token)
    return token


def create(
    db: Session, kind: str, subject_id: int, secret_key: str, now: datetime, actor: str = ""
) -> str:
    """Issue the feed's token (returned once in clear). Refuses when one is active."""
    resolve_subject(db, kind, str(subject_id))
    key = feed_key(kind, subject_id)
    row = _row(db, key)
    if row is not None and row.revoked_at is None:
        raise Conflict(f"The {kind} feed {subject_id} already has a token; rotate it instead.")
    if row is None:
        row = FeedToken(feed_key=key, created_at=now, created_by=actor)
        db.add(row)
    else:  # re-enable a revoked feed with a fresh token
        row.revoked_at = None
        row.rotated_at = now
    token = _issue(row, secret_key)
    db.commit()
    return token


def ensure(db: Session, kind: str, subject_id: int, secret_key: str, now: datetime) -> str:
    """The feed's current token, issuing one when there is none (e.g. for the case page).

    A revoked token stays revoked: an administrator's revocation is not undone by a page view.
    """
    key = feed_key(kind, subject_id)
    row = _row(db, key)
    if row is None:
        return create(db, kind, subject_id, secret_key, now, "system")
    if row.revoked_at is not None:
        raise NotFound(f"The {kind} feed {subject_id} has been revoked by an administrator.")
    token = current_token(db, kind, subject_id, secret_key)
    if token is None:  # the secret key changed since it was issued
        return rotate(db, kind, subject_id, secret_key, now)
    return token


def rotate(db: Session, kind: str, subject_id: int, secret_key: str, now: datetime) -> str:
    """Replace the token (the old one stops working at once); re-enables a revoked feed."""
    row = _row(db, feed_key(kind, subject_id))
    if row is None:
        raise NotFound(f"The {kind} feed {subject_id} has no token; create one first.")
    row.revoked_at = None
    row.rotated_at = now
    token = _issue(row, secret_key)
    db.commit()
    return token


def revoke(db: Session, kind: str, subject_id: int, now: datetime) -> None:
    if not revoke_if_active(db, kind, subject_id, now):
        raise NotFound(f"The {kind} feed {subject_id} has no active token.")
    db.commit()


def revoke_if_active(db: Session, kind: str, subject_id: int, now: datetime) -> bool:
    """Revoke within the caller's unit of work (no commit); False when nothing was active."""
    row = _row(db, feed_key(kind, subject_id))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    # A fresh random hash, so the old token can never match again even if un-revoked by hand.
    row.token_hash = hash_token(secrets.token_urlsafe(32))
    return True


def current_token(db: Session, kind: str, subject_id: int, secret_key: str) -> str | None:
    """The active token in clear, derived again; None when revoked, missing or re-keyed."""
    row = _row(db, feed_key(kind, subject_id))
    if row is None or row.revoked_at is not None:
        return None
    token = _derive(secret_key, row.feed_key, row.nonce)
    return token if hmac.compare_digest(hash_token(token), row.token_hash) else None


def list_tokens(db: Session, kind: str | None = None) -> list[TokenInfo]:
    query = select(FeedToken).order_by(FeedToken.feed_key)
    if kind:
        query = query.where(FeedToken.feed_key.startswith(f"{kind}:"))
    result = []
    for row in db.scalars(query):
        k, ident = split_key(row.feed_key)
        try:
            _, label = resolve_subject(db, k, str(ident))
        except NotFound:
            label = "(deleted)"
        result.append(
            TokenInfo(row.feed_key, k, ident, label, row.created_at, row.rotated_at, row.revoked_at)
        )
    return result


def feed_path(kind: str, token: str) -> str:
    return f"/feeds/{PATH_SEGMENT[kind]}/{token}.ics"
