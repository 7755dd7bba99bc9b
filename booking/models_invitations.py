"""Tables of the invitation work (issue 5) and the customer's case-page token (issue 7 item 1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_INSERT, Base
from booking.models import Case, UTCDateTime


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
