"""Personal links: the representative's RSVP link and the customer's case-page link.

Both tokens are derived from SECRET_KEY (so every mail about the same thing carries the same
working link) and only their SHA-256 is stored; changing SECRET_KEY revokes every link.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.cases import has_customer
from booking.models import Attendee, Case, CustomerToken
from booking.services.access.tokens import derive_token, hash_token
from booking.services.invitations.ports import InvitationConfig


def rsvp_token(secret_key: str, attendee: Attendee) -> str:
    """The attendee's personal RSVP token: derived, so every mail about it carries the same link.

    Only its SHA-256 is stored; changing SECRET_KEY revokes every link.
    """
    message = f"rsvp:{attendee.id}:{attendee.meeting.uid}:{attendee.representative_id}"
    return derive_token(secret_key, message)


def rsvp_link(attendee: Attendee, config: InvitationConfig) -> str:
    """The personal link ``/r/<token>``; stores the token's hash on first use."""
    token = rsvp_token(config.secret_key, attendee)
    digest = hash_token(token)
    if attendee.rsvp_token_hash != digest:
        attendee.rsvp_token_hash = digest
    return f"{config.base_url}/r/{token}"


def attendee_by_token(db: Session, token: str) -> Attendee | None:
    if not token or len(token) > 200:
        return None
    return db.scalar(select(Attendee).where(Attendee.rsvp_token_hash == hash_token(token)))


def customer_link(
    db: Session,
    case: Case,
    *,
    base_url: str,
    secret_key: str,
    rotate_at: datetime | None = None,
) -> str:
    """The customer's case-page link ``<PUBLIC_BASE_URL>/c/<token>``. No commit.

    The token is derived from SECRET_KEY, the case and the time it was issued, and only its
    hash is stored; so every mail about the case (confirmation, reschedule, minutes) carries
    the same working link. ``rotate_at`` issues a new one (the old link stops working), and so
    does a changed SECRET_KEY.
    """
    row = db.get(CustomerToken, case.id)
    if row is None:
        # created_at is the token's salt: the injected clock stamps it at the flush.
        row = CustomerToken(case_id=case.id, token_hash="")
        if rotate_at is not None:
            row.created_at = rotate_at
        db.add(row)
        db.flush()
    elif rotate_at is not None:
        row.created_at = rotate_at
    token = derive_token(secret_key, f"customer-link:{case.id}:{row.created_at.isoformat()}")
    if row.token_hash != hash_token(token):
        row.token_hash = hash_token(token)
    db.flush()
    return f"{base_url.rstrip('/')}/c/{token}"


def case_by_customer_token(db: Session, token: str) -> Case | None:
    """The case a customer link belongs to (for the customer's case page)."""
    if not token or len(token) > 200:
        return None
    row = db.scalar(select(CustomerToken).where(CustomerToken.token_hash == hash_token(token)))
    if row is None or not has_customer(row.case):
        return None  # a case without a customer has no customer page
    return row.case
