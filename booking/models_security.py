"""Tables of login security (issue 11 part 3): the per-address login rate limit's buckets."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.db import Base


class LoginRateBucket(Base):
    """Login attempts from one address in one time bucket, counted in the database so the
    limit holds across gunicorn workers and nodes. ``key`` is the SHA-256 of the address
    (no address is stored); ``bucket`` the bucket's start in Unix seconds. Old buckets are
    deleted as new attempts arrive (booking.services.login_rate)."""

    __tablename__ = "login_rate_buckets"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
