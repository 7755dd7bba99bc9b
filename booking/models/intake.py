"""Contact requests: the door in (issue 14). A business asks for a meeting on the public form,
or anyone in the municipality passes a contact on; the coordinator turns it into a case or
declines it. Routing rules suggest the departments a request needs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from booking.db import STAMP_ON_INSERT, Base
from booking.domain.vocabulary import CaseCategory, MessageSender, RequestSource, RequestStatus
from booking.models.base import UTCDateTime, str_enum


class ContactRequest(Base):
    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, "request_status"), default=RequestStatus.UNCONFIRMED, index=True
    )
    source: Mapped[RequestSource] = mapped_column(str_enum(RequestSource, "request_source"))
    category: Mapped[CaseCategory] = mapped_column(str_enum(CaseCategory, "request_category"))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    start_hope: Mapped[str] = mapped_column(String(200), default="")
    org_name: Mapped[str] = mapped_column(String(300))
    org_number: Mapped[str] = mapped_column(String(20), default="")
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferred_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="sv")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who passed the contact on (a staff member), and how the consent was given then.
    passed_on_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_note: Mapped[str] = mapped_column(String(300), default="")
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    follow_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str] = mapped_column(String(320), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    # The one department a request was handed to when the forum was not needed.
    forwarded_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", name="fk_request_forwarded_to", ondelete="SET NULL")
    )


class RequestMessage(Base):
    """A question the coordinator asked the business, or the business's answer."""

    __tablename__ = "request_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("contact_requests.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[MessageSender] = mapped_column(str_enum(MessageSender, "message_sender"))
    author: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)


class RoutingRule(Base):
    """A category or a question → a department to suggest (admin-editable)."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("match", "department_id", name="uq_routing_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match: Mapped[str] = mapped_column(String(64))  # "category:event" or "question:food"
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
