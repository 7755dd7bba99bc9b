"""The forum's termly evaluation meeting: one afternoon a term the forum meets to evaluate its
work and get to know each other.

The coordinator turns a coming forum afternoon that holds no booking into the term's
evaluation meeting: the afternoon's kind becomes EVALUATION (ordinary bookings and proposals
never use it: booking.services.meetings.context, slot_checks), and one meeting spanning the
afternoon invites every active representative of the forum's active departments, deputies
too, through the normal invitation machinery (outbox → CalDAV/iMIP, RSVP links). The meeting
belongs to an internal case ("Forum internt", no customer: no customer mail, page or survey)
whose description carries the term's figures (booking.services.followup.statistics, worded by
booking.ical.evaluation), so the invitation's DESCRIPTION carries them.

A representative already in a meeting of another forum then is invited all the same (everyone
is), but their time is not held a second time: the database allows one meeting per moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import selectinload

from booking.domain import allocation as alloc
from booking.domain.terms import Term, term_of
from booking.domain.visibility import ConsentScope
from booking.domain.vocabulary import (
    LIVE_MEETING,
    CaseCategory,
    CaseStatus,
    MeetingStatus,
    SessionKind,
    SessionStatus,
)
from booking.ical.evaluation import statistics_text
from booking.models import (
    Attendee,
    Case,
    Department,
    DepartmentForum,
    Forum,
    Meeting,
    Representative,
    RepresentativeBusy,
    Session,
    Slot,
)
from booking.services import audit
from booking.services.cases.registry import next_reference
from booking.services.cases.status import set_status
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.followup import statistics
from booking.services.meetings.attendees import hold_time
from booking.services.meetings.events import meeting_changed
from booking.services.meetings.policy import policy_of
from booking.services.meetings.snapshots import audit_booked


@dataclass(frozen=True)
class EvaluationBooked:
    """What the coordinator is told: the meeting, its case, the term and who was invited."""

    meeting: Meeting
    case: Case
    day: date
    term: Term
    invited: int


def session_on(db: Db, forum_slug: str, day: date) -> Session:
    """The forum's afternoon on ``day`` (for the command line); NotFound names what is wrong."""
    forum = db.scalar(select(Forum).where(Forum.slug == forum_slug))
    if forum is None:
        raise NotFound(f"No forum with slug {forum_slug!r}.", {"forum": forum_slug})
    session = db.scalar(
        select(Session).where(Session.forum_id == forum.id, Session.local_date == day)
    )
    if session is None:
        raise NotFound(
            f"{forum.name} has no afternoon on {day.isoformat()}; pick one of its forum dates.",
            {"forum": forum_slug, "date": day.isoformat()},
            reason="no_session",
        )
    return session


def term_evaluation(db: Db, forum_id: int, term: Term, *, other_than: int = 0) -> Session | None:
    """The forum's evaluation afternoon of the term that holds a live meeting, if any."""
    live = exists().where(
        Meeting.slot_id == Slot.id, Slot.session_id == Session.id, Meeting.status.in_(LIVE_MEETING)
    )
    return db.scalar(
        select(Session).where(
            Session.forum_id == forum_id,
            Session.kind == SessionKind.EVALUATION,
            Session.status == SessionStatus.SCHEDULED,
            Session.local_date >= term.start,
            Session.local_date < term.end,
            Session.id != other_than,
            live,
        )
    )


def book_evaluation(
    db: Db, session_id: int, actor: audit.Actor, *, now: datetime
) -> EvaluationBooked:
    """Make the afternoon the term's evaluation meeting and invite every representative.
    Commits once; Conflict (409) when the afternoon holds bookings or the term already has its
    evaluation meeting."""
    session = db.scalar(
        select(Session)
        .where(Session.id == session_id)
        .options(selectinload(Session.slots), selectinload(Session.forum))
        .with_for_update(of=Session)
    )
    if session is None:
        raise NotFound(f"No forum afternoon with id {session_id}.", {"session_id": session_id})
    forum = session.forum
    term = term_of(session.local_date)
    _check_afternoon(db, session, term, now)
    people = _representatives(db, forum)
    if not people:
        raise Invalid(
            f"{forum.name} has no active representative to invite.",
            {"forum": forum.slug},
            reason="no_representatives",
        )
    figures = statistics.compute(db, term, forum_id=forum.id, timezone=forum.timezone)
    try:
        case = _evaluation_case(db, forum, term, people, figures, actor, now)
        meeting = _evaluation_meeting(db, session, case, people, now)
        session.kind = SessionKind.EVALUATION
        set_status(db, case, CaseStatus.BOOKED, actor, now)
        audit.record(
            db,
            actor,
            "session",
            session.id,
            "evaluation",
            before={"kind": SessionKind.FORUM.value},
            after={"kind": SessionKind.EVALUATION.value, "term": term.key, "invited": len(people)},
            case_id=case.id,
            at=now,
        )
        audit_booked(db, actor, meeting, now)
        meeting_changed(db, meeting, "booked", now)
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            "The afternoon was booked or changed a moment ago; reload and try again.",
            {"session_id": session_id},
            reason="session_has_bookings",
        ) from None
    return EvaluationBooked(meeting, case, session.local_date, term, len(people))


def _check_afternoon(db: Db, session: Session, term: Term, now: datetime) -> None:
    day = session.local_date.isoformat()
    if session.status != SessionStatus.SCHEDULED or not session.slots:
        raise Conflict(
            f"The afternoon of {day} is {session.status.value}; pick a scheduled afternoon.",
            {"session_id": session.id, "date": day},
            reason="session_not_scheduled",
        )
    if session.starts_at <= now:
        raise Invalid(
            f"The afternoon of {day} has begun or passed; pick a coming one.",
            {"session_id": session.id, "date": day},
            reason="session_past",
        )
    booked = db.scalar(
        select(exists().where(Meeting.slot_id == Slot.id, Slot.session_id == session.id))
    )
    if booked:
        raise Conflict(
            f"The afternoon of {day} already holds bookings; the evaluation meeting needs a "
            "whole afternoon with none.",
            {"session_id": session.id, "date": day},
            reason="session_has_bookings",
        )
    other = term_evaluation(db, session.forum_id, term)
    if other is not None:
        raise Conflict(
            f"{term.label_sv} already has its evaluation meeting, on "
            f"{other.local_date.isoformat()}.",
            {"session_id": session.id, "date": other.local_date.isoformat(), "term": term.key},
            reason="evaluation_exists",
        )


def _representatives(db: Db, forum: Forum) -> list[Representative]:
    """Every active representative (deputies too) of the forum's active departments."""
    return list(
        db.scalars(
            select(Representative)
            .join(Department, Department.id == Representative.department_id)
            .join(DepartmentForum, DepartmentForum.department_id == Department.id)
            .where(
                DepartmentForum.forum_id == forum.id,
                Department.active.is_(True),
                Representative.active.is_(True),
            )
            .options(selectinload(Representative.department))
            .order_by(Department.name, Representative.is_deputy, Representative.name)
        )
    )


def _evaluation_case(
    db: Db,
    forum: Forum,
    term: Term,
    people: list[Representative],
    figures: Mapping[str, Any],
    actor: audit.Actor,
    now: datetime,
) -> Case:
    """The internal case the meeting belongs to: its title names the term, its description
    carries the figures."""
    year = now.astimezone(ZoneInfo(forum.timezone)).year
    departments = list({r.department_id: r.department for r in people}.values())
    case = Case(
        forum_id=forum.id,
        reference=next_reference(db, forum, year),
        org_name=f"Utvärderingsmöte {term.label_sv.lower()}",
        category=CaseCategory.INTERNAL,
        description=statistics_text(figures, forum.name),
        # No customer's data to protect: every participant, external ones too, sees it.
        consent_scope=ConsentScope.EXTERNAL,
        consent_recorded_at=now,
        consent_recorded_by=actor.label,
        status=CaseStatus.RECEIVED,
        received_at=now,
        received_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    case.departments = sorted(departments, key=lambda d: d.name)
    db.add(case)
    db.flush()
    audit.record(
        db,
        actor,
        "case",
        case.id,
        "create",
        after={"category": case.category, "org_name": case.org_name, "term": term.key},
        case_id=case.id,
        at=now,
    )
    return case


def _evaluation_meeting(
    db: Db, session: Session, case: Case, people: list[Representative], now: datetime
) -> Meeting:
    """One meeting over the whole afternoon, holding its first slot (the afternoon is taken)."""
    meeting = Meeting(
        uid=f"{uuid.uuid4()}@{policy_of(db).uid_host}",
        sequence=0,
        slot_id=session.slots[0].id,
        status=MeetingStatus.BOOKED,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        location=session.forum.location,
        created_at=now,
        updated_at=now,
    )
    case.meetings.append(meeting)
    db.flush()
    busy = _busy_elsewhere(db, [r.id for r in people], meeting)
    for rep in people:
        # A deputy is asked too, but the meeting does not wait for a deputy's answer.
        meeting.attendees.append(
            Attendee(
                representative_id=rep.id,
                department_id=rep.department_id,
                required=not rep.is_deputy,
                invited_at=now,
            )
        )
        if rep.id not in busy:
            hold_time(db, meeting, rep.id)
    db.flush()
    return meeting


def _busy_elsewhere(db: Db, rep_ids: list[int], meeting: Meeting) -> set[int]:
    """The representatives another meeting already holds during the afternoon."""
    buckets = alloc.busy_buckets(meeting.starts_at, meeting.ends_at)
    return set(
        db.scalars(
            select(RepresentativeBusy.representative_id).where(
                RepresentativeBusy.representative_id.in_(rep_ids),
                RepresentativeBusy.bucket.in_(buckets),
                RepresentativeBusy.meeting_id != meeting.id,
            )
        )
    )
