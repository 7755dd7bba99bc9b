"""Who may sign in and call the API: users, API tokens, the login rate limit's buckets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_INSERT, Base
from booking.domain.vocabulary import Role, SsoMatch
from booking.models.base import UTCDateTime, str_enum


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str] = mapped_column(String(8), default="sv")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    # Stored in the session cookie at login and checked on every request; logging out and a
    # password change raise it, so every copy of an older cookie stops working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The identity provider's subject (``sub``) once the user has signed in with single sign-on:
    # later logins find the user by it, whatever the e-mail address has become.
    sso_subject: Mapped[str | None] = mapped_column(String(255), unique=True, index=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LoginRateBucket(Base):
    """Login attempts from one address in one time bucket, counted in the database so the
    limit holds across gunicorn workers and nodes. ``key`` is the SHA-256 of the address
    (no address is stored); ``bucket`` the bucket's start in Unix seconds. Old buckets are
    deleted as new attempts arrive (booking.services.access.login_rate)."""

    __tablename__ = "login_rate_buckets"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


class SsoRoleRule(Base):
    """An administrator's rule for single sign-on: users in group ``value`` (or with an e-mail
    address in domain ``value``) get ``role``; the highest matching role wins
    (booking.services.access.sso)."""

    __tablename__ = "sso_role_rules"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_sso_role_rules_kind_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SsoMatch] = mapped_column(str_enum(SsoMatch, "sso_match"))
    value: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(str_enum(Role, "sso_rule_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
