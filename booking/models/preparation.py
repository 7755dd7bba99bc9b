"""Arriving prepared (issue 14 §4): per forum and category, the questions the departments
will ask and what the business should bring; the documents a business uploads for its case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from booking.db import STAMP_ON_INSERT, STAMP_ON_WRITE, Base
from booking.domain.vocabulary import CaseCategory
from booking.models.base import UTCDateTime, str_enum


class CategoryGuide(Base):
    """What a business of this category is asked and should bring (admin-edited, one per
    forum and category). Swedish first; the English text may be empty (Swedish is shown)."""

    __tablename__ = "category_guides"
    __table_args__ = (UniqueConstraint("forum_id", "category", name="uq_category_guide"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    category: Mapped[CaseCategory] = mapped_column(str_enum(CaseCategory, "guide_category"))
    ask: Mapped[str] = mapped_column(Text, default="")
    bring: Mapped[str] = mapped_column(Text, default="")
    ask_en: Mapped[str] = mapped_column(Text, default="")
    bring_en: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_WRITE)


class CaseDocument(Base):
    """A file the business (or staff) attached to a case before the meeting. Kept in the
    database beside the case, so one backup holds it and retention removes it with the case;
    never served inline, never in a feed."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)


class AgendaDelivery(Base):
    """One address that got a forum afternoon's agenda mail. The key makes each delivery
    happen once, whichever worker gets there first, and lets a representative booked in after
    the agenda went out get it at the next worker round."""

    __tablename__ = "agenda_deliveries"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    # The representative's address, trimmed and lower-cased (one mail per address).
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
