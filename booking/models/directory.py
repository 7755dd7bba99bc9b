"""Departments, their forums and representatives, and the representatives' absences."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.db import STAMP_ON_WRITE, Base
from booking.models.base import UTCDateTime

if TYPE_CHECKING:
    from booking.models.scheduling import Forum


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
