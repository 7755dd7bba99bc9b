"""Meetings in slots, their attendees, and the busy buckets that stop double booking.

Constraints that protect bookings live here, in the database, not only in Python:
- a slot holds at most one meeting (unique ``meetings.slot_id``; a cancelled meeting lets go of it),
- a representative is in at most one meeting at a time (unique ``representative_busy`` buckets).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_INSERT, Base
from booking.domain.vocabulary import MeetingStatus, PartStat
from booking.models.base import UTCDateTime, str_enum

if TYPE_CHECKING:
    from booking.models.cases import Case
    from booking.models.directory import Department, Representative
    from booking.models.scheduling import Slot


class Meeting(Base):
    """One forum meeting of a case. Its UID and SEQUENCE are its iTIP identity for life."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # NULL once cancelled, so the slot is free again; unique so a slot holds one meeting.
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("slots.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[MeetingStatus] = mapped_column(
        str_enum(MeetingStatus, "meeting_status"), default=MeetingStatus.BOOKED, index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(String(300), default="")
    convener_id: Mapped[int | None] = mapped_column(
        ForeignKey("representatives.id", ondelete="SET NULL"), index=True
    )
    minute_taker_id: Mapped[int | None] = mapped_column(
        ForeignKey("representatives.id", ondelete="SET NULL")
    )
    override_reason: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the customer last received (booking.services.invitations.delivery.deliver_customer):
    # {"method", "sequence", "starts_at", "ends_at"}; NULL while nothing was sent.
    customer_sent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    # Bumped on every change a feed or invitation shows (LAST-MODIFIED).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)

    case: Mapped[Case] = relationship(back_populates="meetings")
    slot: Mapped[Slot | None] = relationship(back_populates="meeting")
    convener: Mapped[Representative | None] = relationship(foreign_keys=[convener_id])
    minute_taker: Mapped[Representative | None] = relationship(foreign_keys=[minute_taker_id])
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="meeting", order_by="Attendee.id", cascade="all, delete-orphan"
    )


class Attendee(Base):
    """A representative invited to a meeting, with their answer and how it arrived."""

    __tablename__ = "attendees"
    __table_args__ = (
        UniqueConstraint("meeting_id", "representative_id", name="uq_attendee_meeting_rep"),
        # A representative's or a department's meetings from the index alone (feeds, load,
        # busy times, session use).
        Index("ix_attendees_representative_meeting", "representative_id", "meeting_id"),
        Index("ix_attendees_department_meeting", "department_id", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representatives.id", ondelete="RESTRICT")
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    # False once replaced (e.g. by the deputy after a decline) or when the meeting is cancelled.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    partstat: Mapped[PartStat] = mapped_column(
        str_enum(PartStat, "partstat"), default=PartStat.NEEDS_ACTION
    )
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_channel: Mapped[str] = mapped_column(
        String(32), default=""
    )  # caldav/email/link/phone/web
    reply_note: Mapped[str] = mapped_column(Text, default="")
    rsvp_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    # Invitation delivery: pending / delivered / failed (with the server's reason).
    delivery_state: Mapped[str] = mapped_column(String(16), default="pending")
    delivery_transport: Mapped[str] = mapped_column(String(16), default="")
    delivery_error: Mapped[str] = mapped_column(Text, default="")
    # What this attendee last received, and how (booking.services.invitations.delivery): the method
    # (REQUEST/CANCEL, "" = nothing yet), its SEQUENCE and the transport (caldav/imip).
    sent_method: Mapped[str] = mapped_column(String(8), default="")
    sent_sequence: Mapped[int | None] = mapped_column(Integer)
    sent_transport: Mapped[str] = mapped_column(String(16), default="")
    reminders_sent: Mapped[list[int]] = mapped_column(JSON, default=list)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    representative: Mapped[Representative] = relationship()
    department: Mapped[Department] = relationship()


class RepresentativeBusy(Base):
    """Five-minute buckets a representative is booked in.

    A unique (representative, bucket) pair makes an overlapping second booking impossible on
    every database, across all forums, without range types.
    """

    __tablename__ = "representative_busy"
    __table_args__ = (UniqueConstraint("representative_id", "bucket", name="uq_rep_busy_bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representatives.id", ondelete="CASCADE")
    )
    bucket: Mapped[datetime] = mapped_column(UTCDateTime())
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
