"""Cases (ärenden) and the departments each must meet."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_INSERT, STAMP_ON_WRITE, Base
from booking.domain.visibility import ConsentScope
from booking.domain.visibility import consent_scope as as_scope
from booking.domain.vocabulary import CaseCategory, CaseStatus
from booking.models.base import UTCDateTime, str_enum

if TYPE_CHECKING:
    from booking.models.directory import Department
    from booking.models.meetings import Meeting
    from booking.models.scheduling import Forum
    from booking.models.security import User


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
    # What the department will cover in this case's meeting, as the customer is told it.
    covers: Mapped[str] = mapped_column(String(500), default="")


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
    category: Mapped[CaseCategory] = mapped_column(str_enum(CaseCategory, "case_category"))
    description: Mapped[str] = mapped_column(Text, default="")
    responsibility_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # How far the customer agreed to share the case (booking.domain.visibility), when and by
    # whom that was recorded (the actor's label, as in the audit trail).
    consent_scope: Mapped[ConsentScope] = mapped_column(
        str_enum(ConsentScope, "consent_scope"), default=ConsentScope.NONE
    )
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_recorded_by: Mapped[str] = mapped_column(String(320), default="")
    status: Mapped[CaseStatus] = mapped_column(
        str_enum(CaseStatus, "case_status"), default=CaseStatus.RECEIVED, index=True
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
