"""Bringing attendees in and out of a meeting, holding and freeing their time (busy buckets).

A representative is in one meeting at a time, across forums: ``representative_busy
(representative_id, bucket)`` is unique, so the database refuses a second meeting at that time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db

from booking.domain import allocation as alloc
from booking.domain.vocabulary import MeetingStatus, PartStat
from booking.models import Attendee, Meeting, Representative, RepresentativeBusy, Slot
from booking.services import audit
from booking.services.errors import Conflict, Invalid
from booking.services.meetings.context import load_context
from booking.services.meetings.events import meeting_changed
from booking.services.meetings.slot_checks import candidate_of
from booking.services.meetings.snapshots import meeting_snapshot


def hold_time(db: Db, meeting: Meeting, representative_id: int) -> None:
    """Hold the representative's time for the meeting (its busy buckets)."""
    db.add_all(
        RepresentativeBusy(representative_id=representative_id, bucket=b, meeting_id=meeting.id)
        for b in alloc.busy_buckets(meeting.starts_at, meeting.ends_at)
    )


def attach_checked(
    db: Db, meeting: Meeting, rep: Representative, required: bool, now: datetime
) -> None:
    """Add an attendee whose time was just checked; the unique buckets still guard the race."""
    meeting.attendees.append(
        Attendee(
            representative_id=rep.id,
            department_id=rep.department_id,
            required=required,
            invited_at=now,
        )
    )
    hold_time(db, meeting, rep.id)


def _clash(db: Db, meeting: Meeting, representative_id: int) -> Meeting | None:
    """Another meeting that already holds this representative at the meeting's time."""
    other_id = db.scalar(
        select(RepresentativeBusy.meeting_id)
        .where(
            RepresentativeBusy.representative_id == representative_id,
            RepresentativeBusy.bucket.in_(alloc.busy_buckets(meeting.starts_at, meeting.ends_at)),
            RepresentativeBusy.meeting_id != meeting.id,
        )
        .limit(1)
    )
    return db.get(Meeting, other_id) if other_id is not None else None


def assign_attendee(
    db: Db,
    meeting: Meeting,
    representative: Representative,
    *,
    required: bool = True,
    now: datetime | None = None,
) -> Attendee:
    """Invite ``representative`` to ``meeting`` and hold their time (busy buckets). No commit.

    Raises Conflict when the meeting is cancelled or the representative is already in another
    meeting then. When the database refuses (a concurrent booking won), the whole unit of work is
    rolled back before Conflict is raised: the caller must not commit a half-made change.
    """
    if meeting.status == MeetingStatus.CANCELLED or meeting.slot_id is None:
        raise Conflict(
            "The meeting is cancelled; no one can be invited to it.", {"meeting_id": meeting.id}
        )
    if not representative.active:
        raise Invalid(
            f"{representative.name} is not an active representative.",
            {"representative_id": representative.id},
        )
    existing = next(
        (a for a in meeting.attendees if a.representative_id == representative.id), None
    )
    if existing is not None and existing.active:
        return existing
    clash = _clash(db, meeting, representative.id)
    if clash is not None:
        raise Conflict(
            f"{representative.name} is already in another meeting at that time "
            f"({clash.starts_at.isoformat()}).",
            {"representative_id": representative.id, "meeting_id": clash.id},
        )
    if existing is not None:
        attendee = existing
        attendee.active = True
        attendee.required = required
        attendee.partstat = PartStat.NEEDS_ACTION
        attendee.replied_at = None
    else:
        attendee = Attendee(
            representative_id=representative.id,
            department_id=representative.department_id,
            required=required,
        )
        meeting.attendees.append(attendee)
    if now is not None:
        attendee.invited_at = now
    hold_time(db, meeting, representative.id)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            f"{representative.name} was booked into another meeting at that time a moment ago.",
            {"representative_id": representative.id},
        ) from None
    return attendee


def release_attendee(db: Db, attendee: Attendee) -> None:
    """Take an attendee off the meeting (e.g. replaced by a deputy) and free their time.
    No commit."""
    attendee.active = False
    db.execute(
        delete(RepresentativeBusy).where(
            RepresentativeBusy.meeting_id == attendee.meeting_id,
            RepresentativeBusy.representative_id == attendee.representative_id,
        )
    )
    db.flush()


def change_departments(
    db: Db,
    meeting: Meeting,
    added: Sequence[int],
    removed: Sequence[int],
    actor: audit.Actor,
    now: datetime,
) -> None:
    """The case's departments changed while its meeting is live (``case.departments`` already
    holds the new set): a removed department's attendees are taken off (they get a CANCEL), an
    added department gets one representative who is active, not absent and free then, chosen
    as the allocator does, and is invited; everyone else keeps their invitation and answer.
    Conflict (no_free_representative) when an added department has nobody free. No commit."""
    before = meeting_snapshot(meeting)
    for attendee in meeting.attendees:
        if attendee.active and attendee.department_id in removed:
            release_attendee(db, attendee)
    if added:
        slot = db.get(Slot, meeting.slot_id)
        assert slot is not None
        ctx = load_context(
            db,
            meeting.case,
            now,
            exclude_meeting_ids=[meeting.id],
            window=(meeting.starts_at, meeting.ends_at),
        )
        cand = candidate_of(slot, slot.session)
        depts = [d for d in ctx.depts if d.id in added]
        check = alloc.check_slot(depts, cand, ctx.world)
        missing = [d for d in depts if d.id not in check.assignments]
        if missing:
            names = [d.name for d in missing]
            raise Conflict(
                f"No representative of {', '.join(names)} is free at the meeting's time; "
                "choose another time or leave the department out.",
                {"department_ids": [d.id for d in missing], "names": names},
                reason="no_free_representative",
            )
        meeting.sequence += 1  # the attendee list changed (RFC 5546): a newer version
        for dept in depts:
            assign_attendee(db, meeting, ctx.reps[check.assignments[dept.id]], now=now)
    audit.record(
        db,
        actor,
        "meeting",
        meeting.id,
        "attendees",
        before=before,
        after=meeting_snapshot(meeting),
        case_id=meeting.case_id,
        at=now,
    )
    meeting_changed(db, meeting, "attendees", now)
