"""The agreed timeline: dated follow-up points with an owner, reminders, overdue list, closing.

A case moves to follow-up once its meeting is over (or its minutes are approved) and to closed
when every point is done, or when a coordinator closes it. "Overdue" is computed from the due
date, never stored, so it cannot go stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from booking.domain.cases import has_customer
from booking.domain.followup import DONE, OPEN, OVERDUE, point_status, reminder_due
from booking.domain.vocabulary import CaseStatus, MeetingStatus
from booking.models import Case, FollowUpPoint, Meeting, Representative
from booking.services import audit
from booking.services.audit import Actor
from booking.services.cases.queries import get_case
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.followup.common import (
    enqueue_email,
    local_date,
    move_case,
    require_staff,
    sv_date,
)
from booking.services.followup.policy import FollowupPolicy
from booking.services.inputs import checked, clean_email, clean_line, clean_text, day_problem
from booking.services.mail.render import render


@dataclass
class PointInput:
    title: str
    due_date: date
    owner_department_id: int | None = None
    owner_name: str = ""
    owner_email: str = ""
    description: str = ""
    visible_to_customer: bool = True


@dataclass(frozen=True)
class TimelineRow:
    point: FollowUpPoint
    status: str  # open / done / overdue


# ---------------------------------------------------------------- reading


def get_point(db: Session, point_id: int) -> FollowUpPoint:
    point = db.get(FollowUpPoint, point_id)
    if point is None:
        raise NotFound(f"Follow-up point {point_id} does not exist.")
    return point


def timeline(
    db: Session, case_id: int, today: date, *, customer_view: bool = False
) -> list[TimelineRow]:
    query = select(FollowUpPoint).where(FollowUpPoint.case_id == case_id)
    if customer_view:
        query = query.where(FollowUpPoint.visible_to_customer.is_(True))
    points = db.scalars(query.order_by(FollowUpPoint.due_date, FollowUpPoint.id))
    return [TimelineRow(p, point_status(p.status, p.due_date, today)) for p in points]


def overdue(
    db: Session, today: date, *, limit: int | None = None, offset: int = 0
) -> list[FollowUpPoint]:
    """Open points whose due date has passed, oldest first (the coordinator's list); with
    ``limit``, at most that many after the first ``offset``."""
    return list(
        db.scalars(
            select(FollowUpPoint)
            .join(Case, Case.id == FollowUpPoint.case_id)
            .where(
                FollowUpPoint.status == OPEN,
                FollowUpPoint.due_date < today,
                Case.status.not_in([CaseStatus.CLOSED, CaseStatus.CANCELLED]),
            )
            .options(selectinload(FollowUpPoint.case), selectinload(FollowUpPoint.owner_department))
            .order_by(FollowUpPoint.due_date, FollowUpPoint.id)
            .limit(limit)
            .offset(offset)
        )
    )


# ---------------------------------------------------------------- editing


def _validate(db: Session, case: Case, data: PointInput) -> None:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "required"
    if data.owner_department_id is not None and data.owner_department_id not in {
        d.id for d in case.departments
    }:
        errors["owner_department_id"] = "not a department of this case"
    if data.owner_department_id is None and not data.owner_name.strip():
        errors["owner"] = "name an owner department or person"
    for name, clean in (
        ("title", clean_line),
        ("owner_name", clean_line),
        ("owner_email", clean_email),
        ("description", clean_text),
    ):
        value, problem = checked(clean, getattr(data, name))
        if problem is None:
            setattr(data, name, value)
        else:
            errors[name] = problem
    if (problem := day_problem(data.due_date)) is not None:
        errors["due_date"] = problem
    if errors:
        message = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise Invalid(
            f"The follow-up point could not be saved: {message}", errors, reason="point_invalid"
        )


def _snapshot(point: FollowUpPoint) -> dict[str, object]:
    return {
        "title": point.title,
        "due_date": point.due_date,
        "owner_department_id": point.owner_department_id,
        "owner_name": point.owner_name,
        "status": point.status,
    }


def _require_open_case(case: Case) -> None:
    if case.status in {CaseStatus.CLOSED, CaseStatus.CANCELLED}:
        raise Conflict(
            f"Case {case.reference} is {case.status.value}; its timeline is read-only.",
            {"status": case.status.value},
            reason="case_closed",
        )


def add_point(
    db: Session, case_id: int, data: PointInput, actor: Actor, now: datetime
) -> FollowUpPoint:
    require_staff(actor, "edit the timeline")
    case = get_case(db, case_id)
    _require_open_case(case)
    _validate(db, case, data)
    point = FollowUpPoint(
        case_id=case.id,
        title=data.title.strip(),
        description=data.description.strip(),
        owner_department_id=data.owner_department_id,
        owner_name=data.owner_name.strip(),
        owner_email=data.owner_email.strip(),
        due_date=data.due_date,
        # Nobody outside sees the timeline of a case without a customer.
        visible_to_customer=data.visible_to_customer and has_customer(case),
        status=OPEN,
        created_at=now,
    )
    db.add(point)
    db.flush()
    audit.record(
        db, actor, "followup", point.id, "create", after=_snapshot(point), case_id=case.id, at=now
    )
    db.commit()
    return point


def update_point(
    db: Session, point_id: int, data: PointInput, actor: Actor, now: datetime
) -> FollowUpPoint:
    require_staff(actor, "edit the timeline")
    point = get_point(db, point_id)
    _require_open_case(point.case)
    _validate(db, point.case, data)
    before = _snapshot(point)
    if data.due_date != point.due_date:
        point.reminders_sent = []  # a new date earns its reminders again
    point.title = data.title.strip()
    point.description = data.description.strip()
    point.owner_department_id = data.owner_department_id
    point.owner_name = data.owner_name.strip()
    point.owner_email = data.owner_email.strip()
    point.due_date = data.due_date
    point.visible_to_customer = data.visible_to_customer and has_customer(point.case)
    audit.record(
        db,
        actor,
        "followup",
        point.id,
        "edit",
        before=before,
        after=_snapshot(point),
        case_id=point.case_id,
        at=now,
    )
    db.commit()
    return point


def is_owner(db: Session, actor: Actor, point: FollowUpPoint) -> bool:
    """The point is the actor's own: its owner address is the user's or one of their
    representatives' (a point's owner is a name and an address, not a user)."""
    if actor.user is None or not point.owner_email:
        return False
    reps = db.scalars(select(Representative.email).where(Representative.user_id == actor.user.id))
    return point.owner_email.lower() in {actor.user.email.lower(), *(e.lower() for e in reps)}


def mark_done(db: Session, point_id: int, actor: Actor, now: datetime) -> FollowUpPoint:
    """Done (by a coordinator or the point's owner); when it was the last open point of a case
    in follow-up, the case closes."""
    point = get_point(db, point_id)
    if not is_owner(db, actor, point):
        require_staff(actor, "mark follow-up points done")
    if point.status == DONE:
        return point
    _require_open_case(point.case)
    point.status = DONE
    point.done_at = now
    point.done_by = actor.label
    audit.record(
        db,
        actor,
        "followup",
        point.id,
        "done",
        before={"status": OPEN},
        after={"status": DONE},
        case_id=point.case_id,
        at=now,
    )
    db.flush()
    case = point.case
    remaining = db.scalar(
        select(FollowUpPoint.id).where(
            FollowUpPoint.case_id == case.id, FollowUpPoint.status != DONE
        )
    )
    if remaining is None and case.status == CaseStatus.FOLLOW_UP:
        move_case(db, case, CaseStatus.CLOSED, actor, now, "every follow-up point is done")
    db.commit()
    return point


def reopen(db: Session, point_id: int, actor: Actor, now: datetime) -> FollowUpPoint:
    require_staff(actor, "reopen follow-up points")
    point = get_point(db, point_id)
    _require_open_case(point.case)
    if point.status != DONE:
        return point
    point.status = OPEN
    point.done_at = None
    point.done_by = ""
    audit.record(
        db,
        actor,
        "followup",
        point.id,
        "reopen",
        before={"status": DONE},
        after={"status": OPEN},
        case_id=point.case_id,
        at=now,
    )
    db.commit()
    return point


def close_case(db: Session, case_id: int, actor: Actor, now: datetime, note: str = "") -> Case:
    """The coordinator closes a case even with open points (e.g. the customer withdrew)."""
    require_staff(actor, "close a case")
    case = get_case(db, case_id)
    if case.status == CaseStatus.CLOSED:
        return case
    if case.status not in (CaseStatus.HELD, CaseStatus.FOLLOW_UP):
        raise Conflict(
            f"Case {case.reference} is {case.status.value}; only a case whose meeting has been "
            "held can be closed (cancel it instead).",
            {"status": case.status.value},
            reason="case_not_held",
        )
    move_case(db, case, CaseStatus.CLOSED, actor, now, note or "closed by coordinator")
    db.commit()
    return case


# ---------------------------------------------------------------- periodic (worker)


def advance_after_meetings(db: Session, *, now: datetime) -> int:
    """Cases whose meetings are all over move to follow-up; returns how many moved."""
    cases = db.scalars(
        select(Case)
        .where(Case.status.in_([CaseStatus.BOOKED, CaseStatus.CONFIRMED, CaseStatus.HELD]))
        .options(selectinload(Case.meetings))
    ).all()  # read all first: each move commits
    moved = 0
    actor = Actor.system("worker")
    for case in cases:
        live = [m for m in case.meetings if m.status != MeetingStatus.CANCELLED]
        if not live or any(m.ends_at > now for m in live):
            continue
        if move_case(db, case, CaseStatus.FOLLOW_UP, actor, now, "the meeting has taken place"):
            moved += 1
    db.commit()
    return moved


def _owner_address(point: FollowUpPoint) -> str:
    if point.owner_email:
        return point.owner_email
    return point.owner_department.email if point.owner_department else ""


def send_followup_reminders(db: Session, *, now: datetime, settings: FollowupPolicy) -> int:
    """Remind owners before due dates (FOLLOWUP_REMINDER_DAYS); returns e-mails enqueued.

    Also moves cases whose meeting is over to follow-up, so the worker needs one call.
    """
    advance_after_meetings(db, now=now)
    today = local_date(now, settings.forum_timezone)
    offsets = settings.followup_reminder_days
    horizon = today + timedelta(days=max(offsets, default=0))
    points = db.scalars(
        select(FollowUpPoint)
        .join(Case, Case.id == FollowUpPoint.case_id)
        .where(
            FollowUpPoint.status == OPEN,
            FollowUpPoint.due_date <= horizon,
            Case.status.not_in([CaseStatus.CLOSED, CaseStatus.CANCELLED]),
        )
        .options(selectinload(FollowUpPoint.case), selectinload(FollowUpPoint.owner_department))
        .with_for_update(of=FollowUpPoint, skip_locked=True)
    )
    sent = 0
    for point in points:
        created = local_date(point.created_at, settings.forum_timezone)
        decision = reminder_due(point.due_date, today, offsets, point.reminders_sent, created)
        handled = list(decision.skip)
        address = _owner_address(point)
        if decision.send is not None and address:
            _remind(db, point, address, (point.due_date - today).days, now)
            handled.append(decision.send)
            sent += 1
        if handled:
            point.reminders_sent = sorted({*point.reminders_sent, *handled}, reverse=True)
    db.commit()
    return sent


def _remind(db: Session, point: FollowUpPoint, address: str, days_left: int, now: datetime) -> None:
    mail = render(
        "followup/point_reminder",
        title=point.title,
        reference=point.case.reference,
        days_left=days_left,
        due=sv_date(point.due_date),
        due_iso=point.due_date.isoformat(),
    )
    enqueue_email(db, to=address, subject=mail.subject, text=mail.text, now=now)


def status_counts(rows: list[TimelineRow]) -> dict[str, int]:
    counts = {OPEN: 0, DONE: 0, OVERDUE: 0}
    for row in rows:
        counts[row.status] += 1
    return counts


def meetings_of(case: Case) -> list[Meeting]:
    return [m for m in case.meetings if m.status != MeetingStatus.CANCELLED]
