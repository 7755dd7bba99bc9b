"""Logging in with a password: lockout after repeated failures, audited.

The web layer adds a per-address rate limit in front of this; here the account itself is
protected, so spreading guesses over many addresses does not help either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.models import User
from booking.services import audit
from booking.services.users import hash_password, verify_password

# Verified against when the e-mail is unknown, so a wrong address costs as long as a wrong
# password and the answer time does not tell which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password-0")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def authenticate(
    db: Session,
    email: str,
    password: str,
    *,
    now: datetime,
    max_failures: int,
    lockout_minutes: int,
) -> LoginResult:
    """Check the password; count failures and lock the account for a while after too many."""
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        verify_password(User(password_hash=_DUMMY_HASH), password)
        return LoginResult(None)
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(None, user.locked_until)
    if verify_password(user, password):
        user.failed_logins = 0
        user.locked_until = None
        db.commit()
        return LoginResult(user)
    user.failed_logins = (user.failed_logins or 0) + 1
    locked_until = None
    if user.failed_logins >= max_failures:
        locked_until = now + timedelta(minutes=lockout_minutes)
        user.locked_until = locked_until
        user.failed_logins = 0
        audit.record(
            db,
            audit.Actor.system("login"),
            "user",
            user.id,
            "locked",
            after={"locked_until": locked_until},
            note=f"{max_failures} failed logins",
            at=now,
        )
    db.commit()
    return LoginResult(None, locked_until)


def set_locale(db: Session, user: User, locale: str) -> None:
    user.locale = locale
    db.commit()
