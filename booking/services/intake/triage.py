"""The coordinator's queue of requests: accept one as a case (departments suggested by the
routing rules, editable), or decline it with a reason; the business is told either way.

A request is claimed with one conditional UPDATE, so two coordinators cannot both act on it.
The case keeps the request's first contact as its received time: the lead time to the
meeting counts from the business's first contact, not from the coordinator's click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from booking.domain.visibility import ConsentScope
from booking.domain.vocabulary import LIVE_MEETING, RequestStatus
from booking.models import Case, ContactRequest, Department, Forum
from booking.services import audit
from booking.services.cases.registry import create_case
from booking.services.errors import Invalid, NotFound
from booking.services.intake import mails
from booking.services.intake.requests import OPEN, claim


def queue(db: Session, *, limit: int = 200, offset: int = 0) -> list[ContactRequest]:
    """Open requests (new, or waiting for the business's answer), oldest first: the longest
    waiting on top; at most ``limit`` after the first ``offset``."""
    return list(
        db.scalars(
            select(ContactRequest)
            .where(ContactRequest.status.in_(OPEN))
            .order_by(ContactRequest.confirmed_at, ContactRequest.id)
            .limit(limit)
            .offset(offset)
        )
    )


def get_request(db: Session, request_id: int) -> ContactRequest:
    request = db.get(ContactRequest, request_id)
    if request is None:
        raise NotFound(f"No request with id {request_id}.", {"request_id": request_id})
    return request


def accept(
    db: Session,
    request_id: int,
    department_ids: list[int],
    actor: audit.Actor,
    now: datetime,
) -> Case:
    """The request becomes a case with these departments; the business is told. Commits."""
    request = get_request(db, request_id)
    if not department_ids:
        raise Invalid(
            "Choose at least one department.",
            {"department_ids": "required"},
            reason="no_departments",
        )
    forum = db.get(Forum, request.forum_id)
    assert forum is not None
    first_contact = request.created_at
    claim(db, request_id, RequestStatus.ACCEPTED, actor, now)
    db.commit()
    try:
        case = create_case(
            db,
            {
                "forum": forum.slug,
                "org_name": request.org_name,
                "org_number": request.org_number,
                "contact_name": request.contact_name,
                "contact_email": request.contact_email,
                "contact_phone": request.contact_phone,
                "category": request.category.value,
                "description": _description(request),
                "department_ids": department_ids,
                "consent_scope": ConsentScope.MUNICIPAL.value,
                "received_at": first_contact,
            },
            actor,
            now=now,
        )
    except Exception:
        db.rollback()
        request = get_request(db, request_id)
        request.status, request.decided_at, request.decided_by = RequestStatus.NEW, None, ""
        db.commit()
        raise
    request = get_request(db, request_id)
    request.case_id = case.id
    mails.accepted(db, request, forum, case.reference, now)
    audit.record(
        db, actor, "request", request.id, "accept", after={"case_id": case.id},
        case_id=case.id, at=now,
    )  # fmt: skip
    db.commit()
    return case


def _description(request: ContactRequest) -> str:
    parts = [request.description]
    if request.place:
        parts.append(f"Plats / Where: {request.place}")
    if request.start_hope:
        parts.append(f"Vill starta / Hopes to start: {request.start_hope}")
    if request.preferred_dates:
        parts.append("Önskade tisdagar / Preferred Tuesdays: " + ", ".join(request.preferred_dates))
    return "\n".join(parts)


def decline(db: Session, request_id: int, reason: str, actor: audit.Actor, now: datetime) -> None:
    """Declined with a reason, which the business is told. Commits."""
    if not reason.strip():
        raise Invalid(
            "Give the reason the business is told.", {"reason": "required"},
            reason="decline_reason_required",
        )  # fmt: skip
    request = get_request(db, request_id)
    claim(db, request_id, RequestStatus.DECLINED, actor, now)
    db.refresh(request)
    request.decision_note = reason.strip()
    forum = db.get(Forum, request.forum_id)
    assert forum is not None
    mails.declined(db, request, forum, request.decision_note, now)
    audit.record(db, actor, "request", request.id, "decline", note=request.decision_note, at=now)
    db.commit()


def forwarded_department(db: Session, request: ContactRequest) -> Department | None:
    if request.forwarded_to_id is None:
        return None
    return db.get(Department, request.forwarded_to_id)


def with_case(db: Session, request: ContactRequest) -> Case | None:
    if request.case_id is None:
        return None
    return db.scalar(
        select(Case).where(Case.id == request.case_id).options(selectinload(Case.meetings))
    )


def forward(
    db: Session, request_id: int, department_id: int, note: str, actor: audit.Actor, now: datetime
) -> Department:
    """One department is enough: the request is handed to it (a mail to the department's
    address with the request) and the business is told who will contact it. Commits."""
    request = get_request(db, request_id)
    department = db.get(Department, department_id)
    if department is None or not department.active:
        raise Invalid(
            "Choose the department to hand the request to.",
            {"department_id": "required"},
            reason="forward_department_required",
        )
    if not department.email:
        raise Invalid(
            f"{department.name} has no e-mail address; add one in the directory first.",
            {"department_id": "no_email"},
            reason="forward_no_email",
        )
    claim(db, request_id, RequestStatus.FORWARDED, actor, now)
    db.refresh(request)
    request.forwarded_to_id = department.id
    request.decision_note = note.strip()[:2000]
    forum = db.get(Forum, request.forum_id)
    assert forum is not None
    mails.forwarded(db, request, forum, department, _description(request), now)
    audit.record(
        db, actor, "request", request.id, "forward", after={"department_id": department.id},
        note=request.decision_note, at=now,
    )  # fmt: skip
    db.commit()
    return department


@dataclass(frozen=True)
class Outcome:
    """What became of a request, as whoever passed it on may see it: the case's reference and
    its next meeting (neither is personal), or the department it went to."""

    reference: str = ""
    meeting_at: datetime | None = None
    department: str = ""


def outcomes(db: Session, requests: list[ContactRequest]) -> dict[int, Outcome]:
    case_ids = [r.case_id for r in requests if r.case_id is not None]
    cases = {
        c.id: c
        for c in db.scalars(
            select(Case).where(Case.id.in_(case_ids)).options(selectinload(Case.meetings))
        )
    }
    result: dict[int, Outcome] = {}
    for request in requests:
        case = cases.get(request.case_id) if request.case_id is not None else None
        if case is not None:
            live = [m.starts_at for m in case.meetings if m.status in LIVE_MEETING]
            result[request.id] = Outcome(case.reference, min(live) if live else None)
        elif request.forwarded_to_id is not None:
            department = forwarded_department(db, request)
            result[request.id] = Outcome(department=department.name if department else "")
        else:
            result[request.id] = Outcome()
    return result
