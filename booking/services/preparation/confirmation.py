"""What the customer's confirmation says to help the business arrive prepared (issue 14 §4):
every department with what it will cover, the convener who chairs, and what to bring.

The confirmation mail and its .ics (booking.services.invitations.messages, booking.ical.itip)
take these values; this module gathers them from the case, its departments and the forum's
category guide. Reading only: it sends nothing and commits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import ContactRequest, Meeting
from booking.services.cases.covers import covers_of
from booking.services.preparation.guides import guide_for

DEFAULT_LANGUAGE = "sv"


@dataclass(frozen=True)
class DepartmentCover:
    """A department at the meeting and what it will cover there ("" when not written)."""

    name: str
    covers: str = ""


@dataclass(frozen=True)
class CustomerPreparation:
    departments: tuple[DepartmentCover, ...]
    convener: str | None  # None: not chosen yet
    bring: str  # "" when the forum's guide for the category says nothing
    language: str = DEFAULT_LANGUAGE

    def department_pairs(self) -> list[tuple[str, str]]:
        """(name, covers) for the calendar text (booking.ical takes plain values)."""
        return [(d.name, d.covers) for d in self.departments]

    def mail_values(self) -> dict[str, object]:
        """The values the confirmation and new-time templates take."""
        return {
            "departments": [{"name": d.name, "covers": d.covers} for d in self.departments],
            "convener": self.convener,
            "bring": self.bring,
        }


def business_language(db: Session, case_id: int) -> str:
    """The language the business chose on the request form that became the case ("sv" for a
    case registered by the coordinator)."""
    language = db.scalar(
        select(ContactRequest.language)
        .where(ContactRequest.case_id == case_id)
        .order_by(ContactRequest.id.desc())
        .limit(1)
    )
    return language or DEFAULT_LANGUAGE


def meeting_departments(db: Session, meeting: Meeting) -> tuple[DepartmentCover, ...]:
    """Every department at the meeting, by name: the case's required ones with what they will
    cover, and any other department an attendee comes from (e.g. the convener's)."""
    required = [DepartmentCover(d.name, covers) for d, covers in covers_of(db, meeting.case_id)]
    known = {d.name for d in required}
    others = sorted(
        {
            a.department.name
            for a in meeting.attendees
            if a.active and a.department.name not in known
        }
    )
    return tuple(sorted([*required, *(DepartmentCover(n) for n in others)], key=lambda d: d.name))


def bring_text(db: Session, meeting: Meeting, language: str) -> str:
    """What to bring, from the forum's guide for the case's category: in the business's
    language where the guide has it in that language, else in Swedish."""
    case = meeting.case
    guide = guide_for(db, case.forum_id, case.category)
    if guide is None:
        return ""
    if language == "en" and (guide.bring_en or "").strip():
        return guide.bring_en.strip()
    return (guide.bring or "").strip()


def customer_preparation(db: Session, meeting: Meeting) -> CustomerPreparation:
    language = business_language(db, meeting.case_id)
    return CustomerPreparation(
        departments=meeting_departments(db, meeting),
        convener=meeting.convener.name if meeting.convener is not None else None,
        bring=bring_text(db, meeting, language),
        language=language,
    )
