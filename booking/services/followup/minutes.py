"""Minutes of a meeting: a prefilled draft, approval by the convener, corrections as versions.

A draft is prefilled with who was invited and how they answered, and one statement per required
department. Only the convener approves (audited). An approved version is never edited again; a
correction is a new draft version that, once approved, supersedes the previous one. On approval
the minutes go by e-mail to the customer's contact and every attendee (minutes_mail), the action
points become follow-up points on the case's timeline, and the case moves to follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import (
    LIVE_MEETING,
    CaseStatus,
    MeetingStatus,
    MinutesStatus,
    PartStat,
)
from booking.models import FollowUpPoint, Meeting, Minutes
from booking.services import audit
from booking.services.audit import Actor
from booking.services.cases.status import set_meeting_status
from booking.services.errors import Conflict, Forbidden, Invalid
from booking.services.followup.common import move_case
from booking.services.followup.minutes_access import (
    current_approved,
    current_draft,
    get_meeting,
    get_minutes,
    may_approve,
    require_edit,
    versions,
)
from booking.services.followup.minutes_mail import send_minutes
from booking.services.followup.policy import FollowupPolicy


@dataclass
class ActionPointInput:
    title: str
    due_date: date
    owner_department_id: int | None = None
    owner_name: str = ""
    owner_email: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title.strip(),
            "due_date": self.due_date.isoformat(),
            "owner_department_id": self.owner_department_id,
            "owner_name": self.owner_name.strip(),
            "owner_email": self.owner_email.strip(),
        }


@dataclass
class MinutesInput:
    """What the minute-taker edits. `present` maps representative id → present or not."""

    present: dict[int, bool] = field(default_factory=dict)
    customer_present: str = ""
    statements: dict[int, str] = field(default_factory=dict)  # department id → statement
    decisions: str = ""
    action_points: list[ActionPointInput] = field(default_factory=list)


# ---------------------------------------------------------------- drafting


def prefill(meeting: Meeting) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Who was invited (present = accepted) and an empty statement per department."""
    present: list[dict[str, Any]] = []
    departments: dict[int, str] = {}
    for attendee in meeting.attendees:
        declined = attendee.partstat == PartStat.DECLINED
        if not attendee.active and declined:
            continue  # replaced by a deputy: the deputy is listed instead
        present.append(
            {
                "representative_id": attendee.representative_id,
                "name": attendee.representative.name,
                "department_id": attendee.department_id,
                "department": attendee.department.name,
                "partstat": attendee.partstat.value,
                "present": attendee.active and attendee.partstat == PartStat.ACCEPTED,
            }
        )
        departments.setdefault(attendee.department_id, attendee.department.name)
    for department in meeting.case.departments:
        departments.setdefault(department.id, department.name)
    statements = [
        {"department_id": dep_id, "department": name, "text": ""}
        for dep_id, name in sorted(departments.items(), key=lambda item: item[1])
    ]
    return present, statements


def start(db: Session, meeting_id: int, actor: Actor, now: datetime) -> Minutes:
    """Create version 1 as a prefilled draft (or return the open draft)."""
    meeting = get_meeting(db, meeting_id)
    require_edit(actor, meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Invalid(
            "The meeting was cancelled; there are no minutes to write.", reason="meeting_cancelled"
        )
    draft = current_draft(db, meeting_id)
    if draft is not None:
        return draft
    if versions(db, meeting_id):
        raise Conflict(
            "These minutes are approved and read-only; start a correction to change them.",
            {"meeting_id": meeting_id},
            reason="minutes_approved",
        )
    present, statements = prefill(meeting)
    minutes = Minutes(
        meeting_id=meeting.id,
        version=1,
        status=MinutesStatus.DRAFT,
        present=present,
        statements=statements,
        created_at=now,
        updated_at=now,
        created_by=actor.label,
    )
    db.add(minutes)
    db.flush()
    audit.record(
        db,
        actor,
        "minutes",
        minutes.id,
        "create",
        after={"version": 1},
        case_id=meeting.case_id,
        at=now,
    )
    db.commit()
    return minutes


def _validate(meeting: Meeting, data: MinutesInput) -> None:
    allowed = {d.id for d in meeting.case.departments} | {
        a.department_id for a in meeting.attendees
    }
    errors: dict[str, str] = {}
    for i, point in enumerate(data.action_points):
        if not point.title.strip():
            errors[f"action_points[{i}].title"] = "required"
        if point.owner_department_id is not None and point.owner_department_id not in allowed:
            errors[f"action_points[{i}].owner_department_id"] = "not a department of this case"
        if not point.owner_department_id and not point.owner_name.strip():
            errors[f"action_points[{i}].owner"] = "name an owner department or person"
        if point.owner_email and "@" not in point.owner_email:
            errors[f"action_points[{i}].owner_email"] = "not an e-mail address"
    unknown = set(data.statements) - allowed
    if unknown:
        errors["statements"] = f"departments {sorted(unknown)} are not part of this meeting"
    if errors:
        raise Invalid(
            "The minutes could not be saved: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            errors,
            reason="point_invalid",
        )


def save_draft(
    db: Session, minutes_id: int, data: MinutesInput, actor: Actor, now: datetime
) -> Minutes:
    minutes = get_minutes(db, minutes_id)
    meeting = minutes.meeting
    require_edit(actor, meeting)
    if minutes.status != MinutesStatus.DRAFT:
        raise Conflict(
            f"Version {minutes.version} is approved and read-only; start a correction instead.",
            {"minutes_id": minutes.id, "status": minutes.status.value},
            reason="minutes_approved",
        )
    _validate(meeting, data)
    minutes.present = [
        {**row, "present": data.present.get(row["representative_id"], row["present"])}
        for row in minutes.present
    ]
    minutes.customer_present = data.customer_present.strip()
    minutes.statements = [
        {**row, "text": data.statements.get(row["department_id"], row["text"]).strip()}
        for row in minutes.statements
    ]
    minutes.decisions = data.decisions.strip()
    minutes.action_points = [p.as_json() for p in data.action_points]
    minutes.updated_at = now
    audit.record(
        db,
        actor,
        "minutes",
        minutes.id,
        "edit",
        after={"version": minutes.version},
        case_id=meeting.case_id,
        at=now,
    )
    db.commit()
    return minutes


def start_correction(
    db: Session, meeting_id: int, reason: str, actor: Actor, now: datetime
) -> Minutes:
    """A new draft version copied from the approved one; the approved one stays as it was."""
    meeting = get_meeting(db, meeting_id)
    require_edit(actor, meeting)
    if not reason.strip():
        raise Invalid(
            "Say why the minutes are corrected.",
            {"reason": "required"},
            reason="correction_reason_required",
        )
    if current_draft(db, meeting_id) is not None:
        raise Conflict(
            "A correction is already being drafted; finish or approve it first.",
            reason="correction_open",
        )
    approved = current_approved(db, meeting_id)
    if approved is None:
        raise Conflict(
            "There are no approved minutes to correct; edit the draft instead.",
            reason="nothing_to_correct",
        )
    latest = db.scalar(select(func.max(Minutes.version)).where(Minutes.meeting_id == meeting_id))
    minutes = Minutes(
        meeting_id=meeting_id,
        version=(latest or 0) + 1,
        status=MinutesStatus.DRAFT,
        present=[dict(r) for r in approved.present],
        customer_present=approved.customer_present,
        statements=[dict(r) for r in approved.statements],
        decisions=approved.decisions,
        action_points=[dict(p) for p in approved.action_points],
        correction_reason=reason.strip(),
        created_at=now,
        updated_at=now,
        created_by=actor.label,
    )
    db.add(minutes)
    db.flush()
    audit.record(
        db,
        actor,
        "minutes",
        minutes.id,
        "correction",
        after={"version": minutes.version, "corrects": approved.version},
        case_id=meeting.case_id,
        note=reason.strip(),
        at=now,
    )
    db.commit()
    return minutes


# ---------------------------------------------------------------- approval


def approve(
    db: Session, minutes_id: int, actor: Actor, now: datetime, settings: FollowupPolicy
) -> Minutes:
    minutes = get_minutes(db, minutes_id)
    meeting = minutes.meeting
    if meeting.convener is None:
        raise Invalid(
            "The meeting has no convener; set the convener before approving.",
            reason="no_convener",
        )
    if not may_approve(actor, meeting):
        raise Forbidden(
            f"Only the convener ({meeting.convener.name}) may approve these minutes.",
            {"convener": meeting.convener.name},
            reason="convener_approves",
        )
    if minutes.status != MinutesStatus.DRAFT:
        raise Conflict(
            f"Version {minutes.version} is already approved.",
            {"version": minutes.version},
            reason="already_approved",
        )
    if meeting.starts_at > now:
        raise Invalid(
            "The meeting has not taken place yet; approve the minutes afterwards.",
            reason="meeting_not_held",
        )
    previous = current_approved(db, meeting.id)
    if previous is not None:
        previous.status = MinutesStatus.SUPERSEDED
        db.flush()  # the old approved row leaves "approved" before the new one enters it
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_at = now
    minutes.approved_by = actor.label
    audit.record(
        db,
        actor,
        "minutes",
        minutes.id,
        "approve",
        before={"status": "draft"},
        after={
            "status": "approved",
            "version": minutes.version,
            "supersedes": previous.version if previous else None,
        },
        case_id=meeting.case_id,
        at=now,
    )
    _timeline_from_action_points(db, minutes, now)
    send_minutes(db, minutes, now, settings)
    if meeting.case.status in {CaseStatus.BOOKED, CaseStatus.CONFIRMED, CaseStatus.HELD}:
        # Last: the case life cycle marks the meeting held and commits the whole approval.
        move_case(db, meeting.case, CaseStatus.FOLLOW_UP, actor, now, "minutes approved")
    elif meeting.status in LIVE_MEETING:
        set_meeting_status(db, meeting, MeetingStatus.HELD, actor, now)
    db.commit()
    return minutes


def _timeline_from_action_points(db: Session, minutes: Minutes, now: datetime) -> None:
    """Each action point becomes a follow-up point, once (a correction adds only new ones)."""
    case_id = minutes.meeting.case_id
    existing = {
        (p.title, p.due_date)
        for p in db.scalars(select(FollowUpPoint).where(FollowUpPoint.case_id == case_id))
    }
    for item in minutes.action_points:
        due = date.fromisoformat(item["due_date"])
        if (item["title"], due) in existing:
            continue
        db.add(
            FollowUpPoint(
                case_id=case_id,
                title=item["title"],
                owner_department_id=item.get("owner_department_id"),
                owner_name=item.get("owner_name", ""),
                owner_email=item.get("owner_email", ""),
                due_date=due,
                status="open",
                source_minutes_id=minutes.id,
                created_at=now,
            )
        )
