"""Helpers shared by the web UI tests (imported as a plain module: tests/ has no packages)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseCategory, CaseStatus, PartStat, SessionStatus
from booking.models import Attendee, Case, CaseDocument, Forum, Meeting, Representative
from booking.models import Session as ForumSession


def text_of(html: str) -> str:
    """The page's visible text, whitespace collapsed (good enough to assert on)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def page_text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return text_of(response.get_data(as_text=True))


LoginAs = Callable[[str], FlaskClient]


def book_directly(
    db: Session,
    *,
    reference: str = "F-2026-0001",
    org_name: str = "Siljans Bageri AB",
    confidential: bool = False,
    consent: bool = True,
    answers: tuple[PartStat, ...] = (
        PartStat.ACCEPTED,
        PartStat.ACCEPTED,
        PartStat.ACCEPTED,
        PartStat.ACCEPTED,
        PartStat.NEEDS_ACTION,
    ),
    slot_index: int = 0,
) -> Meeting:
    """A booked meeting written straight into the tables (for page tests that need one
    without going through the booking service), in the first Mora session."""
    forum = db.scalar(select(Forum).where(Forum.slug == "mora"))
    assert forum is not None
    session = db.scalar(
        select(ForumSession)
        .where(ForumSession.forum_id == forum.id, ForumSession.status == SessionStatus.SCHEDULED)
        .order_by(ForumSession.local_date)
    )
    assert session is not None
    slot = session.slots[slot_index]
    one_per_department: dict[int, Representative] = {}
    for rep in db.scalars(
        select(Representative)
        .where(Representative.is_deputy.is_(False))
        .order_by(Representative.id)
    ):
        one_per_department.setdefault(rep.department_id, rep)
    reps = list(one_per_department.values())[: len(answers)]
    case = Case(
        forum_id=forum.id,
        reference=reference,
        org_name=org_name,
        org_number="556677-8899",
        contact_name="Greta Kund",
        contact_email="greta@bageri.example",
        contact_phone="070-123 45 67",
        category=CaseCategory.NEW_ESTABLISHMENT,
        description="Nytt bageri med servering i centrala Mora.",
        confidential=confidential,
        consent_to_share=consent,
        status=CaseStatus.BOOKED,
        departments=[r.department for r in reps],
    )
    meeting = Meeting(
        case=case,
        uid=f"{reference}@test",
        slot_id=slot.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        location=forum.location,
    )
    for rep, answer in zip(reps, answers, strict=False):
        meeting.attendees.append(
            Attendee(
                representative_id=rep.id,
                department_id=rep.department_id,
                partstat=answer,
                reply_channel="caldav" if answer != PartStat.NEEDS_ACTION else "",
            )
        )
    db.add(case)
    db.commit()
    return meeting


def add_document(db: Session, case_id: int, filename: str, data: bytes) -> CaseDocument:
    """A PDF the business uploaded for the case, committed (as documents.upload stores it)."""
    document = CaseDocument(
        case_id=case_id,
        filename=filename,
        content_type="application/pdf",
        size=len(data),
        sha256="0" * 64,
        data=data,
        uploaded_by="kund@foretag.example",
    )
    db.add(document)
    db.commit()
    return document
