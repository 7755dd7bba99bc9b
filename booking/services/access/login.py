"""Logging in with a password: lockout after repeated failures, audited; session revocation.

The web layer adds a per-address rate limit in front of this (booking.services.access.login_rate);
here the account itself is protected, so spreading guesses over many addresses does not help.

Three rules (issue 11 part 3):

- **At most ``max_failures`` guesses are checked per lockout period, however many arrive at
  once.** Before the password is checked, one conditional UPDATE counts the attempt and sets
  the lock when the count reaches the limit; it matches no row while the account is locked.
  The database decides, so thirty simultaneous guesses cannot all slip past a read-then-write.
  A correct password then clears the count.
- **Every failed login looks the same**: one answer (``LoginResult(None)``) and one cost: the
  password hash check runs for an unknown address, an inactive user and a locked account too
  (against a dummy hash), so neither the message nor the time tells which addresses exist.
- **Sessions are revocable**: ``users.session_generation`` is stored in the session cookie and
  checked on every request; :func:`end_sessions` (logout, password change) raises it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from booking.models import User
from booking.services import audit
from booking.services.access.users import hash_password, verify_password

# Verified against when the e-mail is unknown or the account locked, so such an attempt costs
# as long as a wrong password and the answer time does not tell which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password-0")


@dataclass(frozen=True)
class LoginResult:
    user: User | None

    @property
    def ok(self) -> bool:
        return self.user is not None


def _dummy_check(password: str) -> None:
    verify_password(User(password_hash=_DUMMY_HASH), password)


def _count_attempt(
    db: Session, user_id: int, now: datetime, max_failures: int, lockout_minutes: int
) -> tuple[int, datetime | None] | None:
    """Count one attempt, atomically; lock the account when the count reaches the limit.

    Returns (count, locked_until) after the update, or None when the account is locked (the
    attempt may not be checked). An expired lock starts the count over.
    """
    count = case((User.locked_until.is_not(None), 1), else_=User.failed_logins + 1)
    until = now + timedelta(minutes=lockout_minutes)
    row = db.execute(
        update(User)
        .where(
            User.id == user_id,
            User.active.is_(True),
            (User.locked_until.is_(None)) | (User.locked_until <= now),
        )
        .values(
            failed_logins=count,
            locked_until=case((count >= max(1, max_failures), until), else_=None),
        )
        .returning(User.failed_logins, User.locked_until)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    db.commit()  # before the slow hash check: no row lock is held while it runs
    return None if row is None else (int(row[0]), row[1])


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
    counted = None
    if user is not None and user.active:
        counted = _count_attempt(db, user.id, now, max_failures, lockout_minutes)
    if user is None or counted is None:
        _dummy_check(password)  # unknown, inactive or locked: the same answer, the same time
        return LoginResult(None)
    if not user.password_hash:
        # A user of single sign-on only has no password here: the same cost as a wrong one.
        _dummy_check(password)
    elif verify_password(user, password):
        db.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        db.commit()
        db.refresh(user)
        return LoginResult(user)
    failures, locked_until = counted
    if locked_until is not None:  # this attempt reached the limit and locked the account
        audit.record(
            db,
            audit.Actor.system("login"),
            "user",
            user.id,
            "locked",
            after={"locked_until": locked_until},
            note=f"{failures} failed logins",
            at=now,
        )
        db.commit()
    return LoginResult(None)


def end_sessions(db: Session, user_id: int) -> None:
    """Revoke every session of the user (logout, password change): raise the generation the
    session cookies carry. Atomic, so two logouts at once both count. No commit."""
    db.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session=False)
    )


def log_out(db: Session, user_id: int) -> None:
    end_sessions(db, user_id)
    db.commit()


def set_locale(db: Session, user: User, locale: str) -> None:
    user.locale = locale
    db.commit()
