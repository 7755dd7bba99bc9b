"""Tables of the meeting follow-through: minutes (versioned), follow-up points, NKI surveys."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_INSERT, Base
from booking.domain.vocabulary import MinutesStatus
from booking.models.base import UTCDateTime, str_enum

if TYPE_CHECKING:
    from booking.models.cases import Case
    from booking.models.directory import Department
    from booking.models.meetings import Meeting


class Minutes(Base):
    """One version of a meeting's minutes. Approved versions are never edited again."""

    __tablename__ = "minutes"
    __table_args__ = (UniqueConstraint("meeting_id", "version", name="uq_minutes_meeting_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[MinutesStatus] = mapped_column(
        str_enum(MinutesStatus, "minutes_status"), default=MinutesStatus.DRAFT
    )
    # [{"representative_id", "name", "department_id", "department", "present", "partstat"}]
    present: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Customer-side participants as free text (removed by retention).
    customer_present: Mapped[str] = mapped_column(Text, default="")
    # [{"department_id", "department", "text"}]
    statements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decisions: Mapped[str] = mapped_column(Text, default="")
    # [{"title", "owner_department_id", "owner_name", "owner_email", "due_date"}]
    action_points: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str] = mapped_column(String(320), default="")

    meeting: Mapped[Meeting] = relationship()


class FollowUpPoint(Base):
    """A dated point of the agreed timeline, with an owner. "Overdue" is computed, not stored."""

    __tablename__ = "followup_points"
    __table_args__ = (Index("ix_followup_open_due", "status", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    owner_email: Mapped[str] = mapped_column(String(320), default="")
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / done
    visible_to_customer: Mapped[bool] = mapped_column(Boolean, default=True)
    # Offsets (days before due) already reminded for, or skipped because they had passed.
    reminders_sent: Mapped[list[int]] = mapped_column(JSON, default=list)
    source_minutes_id: Mapped[int | None] = mapped_column(
        ForeignKey("minutes.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str] = mapped_column(String(320), default="")

    case: Mapped[Case] = relationship()
    owner_department: Mapped[Department | None] = relationship()


class Survey(Base):
    """An NKI survey sent to one contact of a case; the link carries a token (hash stored)."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("case_id", "recipient_key", name="uq_survey_case_contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    # Lower-cased contact e-mail while personal data is kept; "contact-1" after retention.
    recipient_key: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scale: Mapped[int] = mapped_column(Integer, default=6)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    answer: Mapped[SurveyAnswer | None] = relationship(
        back_populates="survey", uselist=False, cascade="all, delete-orphan"
    )


class SurveyAnswer(Base):
    """The answers: three NKI questions and six service factors on 1..scale, None = vet ej."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), unique=True
    )
    scale: Mapped[int] = mapped_column(Integer)
    q_overall: Mapped[int | None] = mapped_column(Integer)
    q_expectations: Mapped[int | None] = mapped_column(Integer)
    q_ideal: Mapped[int | None] = mapped_column(Integer)
    information: Mapped[int | None] = mapped_column(Integer)
    tillganglighet: Mapped[int | None] = mapped_column(Integer)
    bemotande: Mapped[int | None] = mapped_column(Integer)
    kompetens: Mapped[int | None] = mapped_column(Integer)
    rattssakerhet: Mapped[int | None] = mapped_column(Integer)
    effektivitet: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)

    survey: Mapped[Survey] = relationship(back_populates="answer")
