"""API tokens: random secrets shown once, stored only as a SHA-256 hash.

A token is 32 random bytes (``secrets``), so a fast hash is enough: nobody can guess the
preimage, and the lookup by hash stays a single indexed query per request.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import ApiToken, User
from booking.services.errors import Invalid, NotFound
from booking.services.tokens import hash_token

PREFIX = "dit_"  # "dörren in token": recognisable in logs and secret scanners


def create_token(db: Session, email: str, name: str, *, now: datetime) -> tuple[ApiToken, str]:
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
        user_id=user.id, name=name.strip(), token_hash=hash_token(secret), created_at=now
    )
    db.add(token)
    db.commit()
    return token, secret


def user_for_token(db: Session, secret: str) -> User | None:
    """The active user a live token belongs to, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.active:
        return None
    return token.user


def revoke_token(db: Session, token_id: int, *, now: datetime) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No API token with id {token_id}.", {"token_id": token_id})
    if token.revoked_at is None:
        token.revoked_at = now
        db.commit()
    return token
