"""Users and passwords (argon2id via argon2-cffi; never a home-made hash)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import Role
from booking.models import User
from booking.services.errors import Conflict, Invalid

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def create_user(
    db: Session, email: str, name: str, role: str, password: str, *, password_hash: str = ""
) -> User:
    """Create a login; ``password_hash`` lets demo data reuse one hash of its shared password."""
    email = email.strip().lower()
    if "@" not in email:
        raise Invalid(f"{email!r} is not an e-mail address.", {"email": email}, reason="bad_email")
    try:
        role_value = Role(role)
    except ValueError:
        raise Invalid(
            f"Unknown role {role!r}; use one of {', '.join(r.value for r in Role)}.", {"role": role}
        ) from None
    if len(password) < 10:
        raise Invalid(
            "The password must be at least 10 characters.",
            {"password": "too short"},
            reason="password_too_short",
        )
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(
            f"A user with e-mail {email} already exists.", {"email": email}, reason="email_taken"
        )
    user = User(
        email=email,
        name=name,
        role=role_value,
        password_hash=password_hash or hash_password(password),
    )
    db.add(user)
    db.flush()
    return user
