"""The invitation work: the outbox of work after a commit, and the customer's case-page token."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_INSERT, Base
from booking.models.base import UTCDateTime

if TYPE_CHECKING:
    from booking.models.cases import Case


class OutboxMessage(Base):
    """Work that must happen after the commit (CalDAV writes, e-mail), delivered by the worker."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/done/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CustomerToken(Base):
    """The customer's case-page link ``/c/<token>``: only the SHA-256 of the token is stored.

    One row per case; rotating the link replaces the hash, which revokes the old link.
    """

    __tablename__ = "customer_tokens"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)

    case: Mapped[Case] = relationship()
