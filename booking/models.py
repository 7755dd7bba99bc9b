"""SQLAlchemy 2 typed models.

Times are stored as UTC-aware datetimes; local dates (a session's Tuesday) as dates.
Constraints that protect bookings live here, in the database, not only in Python:
- a slot holds at most one meeting (unique ``meetings.slot_id``; a cancelled meeting lets go of it),
- a representative is in at most one meeting at a time (unique ``representative_busy`` buckets).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_INSERT, STAMP_ON_WRITE, Base
from booking.domain.visibility import ConsentScope
from booking.domain.visibility import consent_scope as as_scope


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as the value strings, as VARCHAR with a CHECK, identical on SQLite and PostgreSQL.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    REPRESENTATIVE = "representative"
    VIEWER = "viewer"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # a forum afternoon with slots
    SKIPPED = "skipped"  # holiday or pause period: kept with its reason, no slots
    CANCELLED = "cancelled"  # cancelled by a coordinator, with a reason


class CaseStatus(enum.StrEnum):
    RECEIVED = "received"
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    HELD = "held"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class CaseCategory(enum.StrEnum):
    NEW_ESTABLISHMENT = "new_establishment"
    MAJOR_CHANGE = "major_change"
    EVENT = "event"


class MeetingStatus(enum.StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    HELD = "held"
    CANCELLED = "cancelled"


class PartStat(enum.StrEnum):
    NEEDS_ACTION = "NEEDS-ACTION"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TENTATIVE = "TENTATIVE"
    DELEGATED = "DELEGATED"


# ---------------------------------------------------------------- forums and sessions


class Forum(Base):
    __tablename__ = "forums"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    location: Mapped[str] = mapped_column(String(300), default="")
    organizer_email: Mapped[str] = mapped_column(String(320), default="")
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
        _enum(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    reason: Mapped[str] = mapped_column(String(300), default="")
    is_extra: Mapped[bool] = mapped_column(Boolean, default=False)
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


# ---------------------------------------------------------------- departments and people


class DepartmentForum(Base):
    __tablename__ = "department_forums"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
    forum_id: Mapped[int] = mapped_column(
        ForeignKey("forums.id", ondelete="CASCADE"), primary_key=True
    )


class Department(Base):
    """A förvaltning, enhet or municipal company; a joint office serves several forums."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="department")
    email: Mapped[str] = mapped_column(String(320), default="")
    responsibility_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    # How many meetings of one forum afternoon the department can staff.
    capacity_per_session: Mapped[int] = mapped_column(Integer, default=4)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_WRITE)

    forums: Mapped[list[Forum]] = relationship(
        secondary="department_forums", back_populates="departments"
    )
    representatives: Mapped[list[Representative]] = relationship(
        back_populates="department", order_by="Representative.id"
    )


class Representative(Base):
    __tablename__ = "representatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    # The calendar user address (mailto:...) the CalDAV server knows; defaults to the e-mail.
    calendar_address: Mapped[str] = mapped_column(String(400), default="")
    is_deputy: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_WRITE)

    department: Mapped[Department] = relationship(back_populates="representatives")
    absences: Mapped[list[Absence]] = relationship(
        back_populates="representative", cascade="all, delete-orphan"
    )

    @property
    def address(self) -> str:
        return self.calendar_address or f"mailto:{self.email}"


class Absence(Base):
    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representatives.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    representative: Mapped[Representative] = relationship(back_populates="absences")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str] = mapped_column(String(8), default="sv")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    # Stored in the session cookie at login and checked on every request; logging out and a
    # password change raise it, so every copy of an older cookie stops working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Who did what, when, with the state before and after (for the auditor)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The API token the actor used, when the change came through the API with one (its name
    # copied, so the trail reads on its own).
    actor_token_id: Mapped[int | None] = mapped_column(Integer)
    actor_token_name: Mapped[str | None] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")


# ---------------------------------------------------------------- cases and meetings


class CaseDepartment(Base):
    __tablename__ = "case_departments"
    # A department's cases (department feeds, invalidation); the primary key serves a case's.
    __table_args__ = (Index("ix_case_departments_department", "department_id", "case_id"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), primary_key=True
    )


class Case(Base):
    """An ärende: the main object. Meetings hang off it."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="RESTRICT"), index=True)
    # Reference shown where nothing else may be: stable, not personal (e.g. "F-2026-0042").
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    registry_number: Mapped[str] = mapped_column(String(64), default="")
    org_name: Mapped[str] = mapped_column(String(300))
    org_number: Mapped[str] = mapped_column(String(16), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    category: Mapped[CaseCategory] = mapped_column(_enum(CaseCategory, "case_category"))
    description: Mapped[str] = mapped_column(Text, default="")
    responsibility_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # How far the customer agreed to share the case (booking.domain.visibility), when and by
    # whom that was recorded (the actor's label, as in the audit trail).
    consent_scope: Mapped[ConsentScope] = mapped_column(
        _enum(ConsentScope, "consent_scope"), default=ConsentScope.NONE
    )
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_recorded_by: Mapped[str] = mapped_column(String(320), default="")
    status: Mapped[CaseStatus] = mapped_column(
        _enum(CaseStatus, "case_status"), default=CaseStatus.RECEIVED, index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_WRITE)

    forum: Mapped[Forum] = relationship()
    departments: Mapped[list[Department]] = relationship(
        secondary="case_departments", order_by="Department.name"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="case", order_by="Meeting.id", cascade="all, delete-orphan"
    )
    received_by: Mapped[User | None] = relationship()

    @property
    def consent_to_share(self) -> bool:
        """The older yes/no consent: any scope. Setting True means the municipal scope."""
        return as_scope(self.consent_scope or ConsentScope.NONE) != ConsentScope.NONE

    @consent_to_share.setter
    def consent_to_share(self, value: bool) -> None:
        self.consent_scope = as_scope(bool(value))


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
        _enum(MeetingStatus, "meeting_status"), default=MeetingStatus.BOOKED, index=True
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
    # What the customer last received (booking.services.invitations.deliver_customer):
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
        _enum(PartStat, "partstat"), default=PartStat.NEEDS_ACTION
    )
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_channel: Mapped[str] = mapped_column(String(32), default="")  # caldav/email/link/phone
    reply_note: Mapped[str] = mapped_column(Text, default="")
    rsvp_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    # Invitation delivery: pending / delivered / failed (with the server's reason).
    delivery_state: Mapped[str] = mapped_column(String(16), default="pending")
    delivery_transport: Mapped[str] = mapped_column(String(16), default="")
    delivery_error: Mapped[str] = mapped_column(Text, default="")
    # What this attendee last received, and how (booking.services.invitations): the method
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


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)


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


class KeyValue(Base):
    """Small persistent state (e.g. the CalDAV sync token, last run of periodic jobs)."""

    __tablename__ = "key_values"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_WRITE)


# Tables of feature areas live in their own modules (keeps merges easy); importing them here
# registers them on Base.metadata for Alembic and the tests.
from booking.models_feeds import FeedBody, FeedEvent, FeedMember, FeedToken  # noqa: E402
from booking.models_followup import (  # noqa: E402
    FollowUpPoint,
    Minutes,
    MinutesStatus,
    Survey,
    SurveyAnswer,
)
from booking.models_invitations import CustomerToken  # noqa: E402
from booking.models_security import LoginRateBucket  # noqa: E402

__all__ = [
    "CustomerToken",
    "FeedBody",
    "FeedEvent",
    "FeedMember",
    "FeedToken",
    "FollowUpPoint",
    "LoginRateBucket",
    "Minutes",
    "MinutesStatus",
    "Survey",
    "SurveyAnswer",
]
