"""API tokens: random secrets shown once, stored only as a SHA-256 hash; listed, revoked, audited.

A token is 32 random bytes (``secrets``), so a fast hash is enough: nobody can guess the
preimage, and the lookup by hash stays a single indexed query per request.

Who may see and revoke a token: its owner, and administrators (every token). Creating and
revoking a token are audit events (entity ``api_token``); a change made with a token names it
in the audit trail (``Actor.of(user, token)``).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import Role
from booking.models import ApiToken, User
from booking.services import audit
from booking.services.access.tokens import hash_token
from booking.services.errors import Invalid, NotFound

PREFIX = "dit_"  # "dörren in token": recognisable in logs and secret scanners


def _snapshot(token: ApiToken) -> dict[str, object]:
    return {
        "name": token.name,
        "user_id": token.user_id,
        "created_at": token.created_at,
        "revoked_at": token.revoked_at,
    }


def create_token(
    db: Session,
    email: str,
    name: str,
    *,
    now: datetime,
    actor: audit.Actor | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for the user with ``email``; returns the row and the secret (shown once)."""
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user with e-mail {email}; create the user first.", {"email": email})
    if not user.active:
        raise Invalid(f"The user {user.email} is not active.", {"email": email})
    if not name.strip():
        raise Invalid("Give the token a name (what it is used for).", {"name": "required"})
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name.strip()[:200], token_hash=hash_token(secret), created_at=now
    )
    db.add(token)
    db.flush()
    audit.record(
        db,
        actor or audit.Actor.system("cli"),
        "api_token",
        token.id,
        "create",
        after=_snapshot(token),
        note=f"API token {token.id} ({token.name}) for {user.email}",
        at=now,
    )
    db.commit()
    return token, secret


def token_for_secret(db: Session, secret: str) -> ApiToken | None:
    """The live token with this secret whose user is active, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.active:
        return None
    return token


def user_for_token(db: Session, secret: str) -> User | None:
    """The active user a live token belongs to, or None."""
    token = token_for_secret(db, secret)
    return token.user if token is not None else None


def _may_manage(viewer: User | None, token: ApiToken) -> bool:
    """The CLI (no user) and administrators manage every token; a user their own."""
    return viewer is None or viewer.role == Role.ADMIN or token.user_id == viewer.id


def list_tokens(
    db: Session, viewer: User | None = None, *, email: str | None = None
) -> list[ApiToken]:
    """The tokens ``viewer`` may see (newest first), optionally only those of one user."""
    query = select(ApiToken).join(ApiToken.user).order_by(ApiToken.id.desc())
    if viewer is not None and viewer.role != Role.ADMIN:
        query = query.where(ApiToken.user_id == viewer.id)
    if email:
        query = query.where(User.email == email.strip().lower())
    return list(db.scalars(query))


def revoke_token(
    db: Session, token_id: int, *, now: datetime, actor: audit.Actor | None = None
) -> ApiToken:
    """Revoke a token at once (its next request gets 401); revoking twice changes nothing."""
    actor = actor or audit.Actor.system("cli")
    token = db.get(ApiToken, token_id)
    if token is None or not _may_manage(actor.user, token):
        # Someone else's token: the same answer as for one that does not exist.
        raise NotFound(f"No API token with id {token_id}.", {"token_id": token_id})
    if token.revoked_at is None:
        before = _snapshot(token)
        token.revoked_at = now
        audit.record(
            db,
            actor,
            "api_token",
            token.id,
            "revoke",
            before=before,
            after=_snapshot(token),
            note=f"API token {token.id} ({token.name}) of {token.user.email}",
            at=now,
        )
        db.commit()
    return token
