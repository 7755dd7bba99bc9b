"""Forums and their afternoons: the Tuesday series, pauses, the sessions and their slots."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_INSERT, STAMP_ON_WRITE, Base
from booking.domain.vocabulary import SessionKind, SessionStatus
from booking.models.base import UTCDateTime, str_enum

if TYPE_CHECKING:
    from booking.models.directory import Department
    from booking.models.meetings import Meeting


class Forum(Base):
    __tablename__ = "forums"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    location: Mapped[str] = mapped_column(String(300), default="")
    organizer_email: Mapped[str] = mapped_column(String(320), default="")
    # Whom businesses and staff contact about the forum (shown on its pages).
    contact_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)

    series: Mapped[list[SessionSeries]] = relationship(back_populates="forum")
    departments: Mapped[list[Department]] = relationship(
        secondary="department_forums", back_populates="forums"
    )


class SessionSeries(Base):
    """Anchor date + interval in days; local start/end; meeting length and buffer give slots."""

    __tablename__ = "session_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    anchor_date: Mapped[date] = mapped_column(Date)
    interval_days: Mapped[int] = mapped_column(Integer, default=14)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=60)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=15)
    skip_half_days: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    forum: Mapped[Forum] = relationship(back_populates="series")
    pauses: Mapped[list[PausePeriod]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="PausePeriod.start_date"
    )


class PausePeriod(Base):
    """A configured break (summer, sportlov): series dates inside are skipped with the reason."""

    __tablename__ = "pause_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("session_series.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    # Repeats every year on the same dates (booking.domain.schedule.expand_pauses).
    yearly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    series: Mapped[SessionSeries] = relationship(back_populates="pauses")


class Session(Base):
    """One forum afternoon (or a skipped/cancelled date, kept with its reason)."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("forum_id", "local_date", name="uq_session_forum_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_series.id", ondelete="SET NULL"), index=True
    )
    local_date: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    reason: Mapped[str] = mapped_column(String(300), default="")
    is_extra: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[SessionKind] = mapped_column(
        str_enum(SessionKind, "session_kind"), default=SessionKind.FORUM
    )
    # When the agenda mail first went out (who got it: agenda_deliveries).
    agenda_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_WRITE)

    forum: Mapped[Forum] = relationship()
    slots: Mapped[list[Slot]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Slot.starts_at"
    )


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("session_id", "starts_at", name="uq_slot_session_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    session: Mapped[Session] = relationship(back_populates="slots")
    meeting: Mapped[Meeting | None] = relationship(back_populates="slot", uselist=False)
