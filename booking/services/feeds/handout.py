"""Handing out feed links from a page (issue 15): coordinators and administrators give a
department, a representative or a forum its subscription link, rotate it (the old link stops
at once) or revoke it; each step is audited (the token never: only which feed and who).

The token is derived from SECRET_KEY and a stored nonce (booking.services.feeds.tokens), so an
active link can be shown again without storing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import Department, Forum, Representative
from booking.models.feeds import FeedToken
from booking.services import audit
from booking.services.errors import NotFound
from booking.services.feeds import tokens as feed_tokens

HANDED_OUT_KINDS = ("department", "representative", "forum")


@dataclass(frozen=True)
class FeedSubject:
    kind: str
    subject_id: int
    name: str
    detail: str
    state: str  # "active", "revoked" or "none"


def subjects(db: Session) -> list[FeedSubject]:
    """Every feed a link can be handed out for, with whether its link is active."""
    state = {
        row.feed_key: ("revoked" if row.revoked_at is not None else "active")
        for row in db.scalars(select(FeedToken))
    }

    def one(kind: str, ident: int, name: str, detail: str) -> FeedSubject:
        return FeedSubject(kind, ident, name, detail, state.get(f"{kind}:{ident}", "none"))

    found = [one("forum", f.id, f.name, f.municipality) for f in db.scalars(select(Forum))]
    found += [
        one("department", d.id, d.name, d.email)
        for d in db.scalars(select(Department).where(Department.active.is_(True)))
    ]
    found += [
        one("representative", r.id, r.name, r.email)
        for r in db.scalars(select(Representative).where(Representative.active.is_(True)))
    ]
    return sorted(found, key=lambda s: (HANDED_OUT_KINDS.index(s.kind), s.name))


def subject(db: Session, kind: str, subject_id: int) -> FeedSubject:
    """One feed a link can be handed out for (NotFound otherwise), without listing them all."""
    if kind not in HANDED_OUT_KINDS:
        raise NotFound(f"No {kind} feed is handed out from this page.", {"kind": kind})
    _, label = feed_tokens.resolve_subject(db, kind, str(subject_id))
    found: Department | Representative | None = None
    if kind == "department":
        found = db.get(Department, subject_id)
    elif kind == "representative":
        found = db.get(Representative, subject_id)
    if found is not None and not found.active:  # the list offers active ones only
        raise NotFound(f"The {kind} is not active.", {"kind": kind})
    row = db.scalar(
        select(FeedToken).where(FeedToken.feed_key == feed_tokens.feed_key(kind, subject_id))
    )
    state = "none" if row is None else ("revoked" if row.revoked_at is not None else "active")
    return FeedSubject(kind, subject_id, label, "", state)


def _record(
    db: Session, kind: str, subject_id: int, action: str, actor: audit.Actor, now: datetime
) -> None:
    audit.record(db, actor, "feed_link", subject_id, action, after={"kind": kind}, at=now)


def hand_out(
    db: Session, kind: str, subject_id: int, secret_key: str, actor: audit.Actor, now: datetime
) -> str:
    """The feed's active token; a new one when it has none or was revoked. Commits."""
    feed_tokens.resolve_subject(db, kind, str(subject_id))
    token = feed_tokens.current_token(db, kind, subject_id, secret_key)
    if token is not None:
        _record(db, kind, subject_id, "show", actor, now)
        db.commit()
        return token
    _record(db, kind, subject_id, "hand_out", actor, now)
    row = db.scalar(
        select(FeedToken).where(FeedToken.feed_key == feed_tokens.feed_key(kind, subject_id))
    )
    if row is None or row.revoked_at is not None:
        return feed_tokens.create(db, kind, subject_id, secret_key, now, actor.label)
    return feed_tokens.rotate(db, kind, subject_id, secret_key, now)  # SECRET_KEY changed


def rotate(
    db: Session, kind: str, subject_id: int, secret_key: str, actor: audit.Actor, now: datetime
) -> str:
    """A new link; the old one stops working at once. Commits."""
    _record(db, kind, subject_id, "rotate", actor, now)
    return feed_tokens.rotate(db, kind, subject_id, secret_key, now)


def revoke(db: Session, kind: str, subject_id: int, actor: audit.Actor, now: datetime) -> None:
    """No link works until one is handed out again. Commits."""
    _record(db, kind, subject_id, "revoke", actor, now)
    feed_tokens.revoke(db, kind, subject_id, now)
