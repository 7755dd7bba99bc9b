"""Changing a booked meeting: move it to another slot, cancel it.

A move, like a booking, first chooses the slot and asks the calendars (free/busy) without
locking anything, then locks the meeting and the slot's afternoon for the database work only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import selectinload

from booking.domain import allocation as alloc
from booking.domain.vocabulary import LIVE_MEETING, CaseStatus, MeetingStatus, PartStat
from booking.models import Attendee, Meeting, RepresentativeBusy, Slot
from booking.services import audit
from booking.services.cases.status import set_status as set_case_status
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.meetings.attendees import assign_attendee, hold_time, release_attendee
from booking.services.meetings.context import AllocationContext, load_context
from booking.services.meetings.events import meeting_changed
from booking.services.meetings.freebusy import FreeBusy, FreeBusyAnswers
from booking.services.meetings.proposals import first_feasible_slots, refusal_with_next_slot
from booking.services.meetings.slot_checks import (
    candidate_of,
    check_extras_free,
    check_overridable,
    check_slot_usable,
    lock_session_of,
    recheck_capacity,
)
from booking.services.meetings.snapshots import meeting_snapshot


def _get_meeting(db: Db, meeting_id: int, *, lock: bool = False) -> Meeting:
    query = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        # Locked and read afresh, with its attendees: an older copy must not decide.
        query = (
            query.options(selectinload(Meeting.attendees))
            .with_for_update(of=Meeting)
            .execution_options(populate_existing=True)
        )
    meeting = db.scalar(query)
    if meeting is None:
        raise NotFound(f"No meeting with id {meeting_id}.", {"meeting_id": meeting_id})
    return meeting


def get_meeting(db: Db, meeting_id: int) -> Meeting:
    return _get_meeting(db, meeting_id)


def _required(meeting: Meeting) -> dict[int, Attendee]:
    """The meeting's active required attendee per department."""
    return {a.department_id: a for a in meeting.attendees if a.active and a.required}


def _check_movable(meeting: Meeting) -> None:
    if meeting.status not in LIVE_MEETING:
        raise Conflict(
            f"The meeting is {meeting.status.value}; only a booked or confirmed meeting can move.",
            {"status": meeting.status.value},
        )


def _check_not_same_slot(meeting: Meeting, slot_id: int) -> None:
    if slot_id == meeting.slot_id:
        raise Conflict(
            "The meeting is already in that slot.", {"slot": slot_id}, reason="same_slot"
        )


def reschedule(
    db: Db,
    meeting_id: int,
    slot_id_or_earliest: int | str,
    actor: audit.Actor,
    *,
    now: datetime,
    override_reason: str = "",
    freebusy: FreeBusy | None = None,
) -> Meeting:
    """Move the meeting to another slot, keeping its UID; SEQUENCE rises, replies are reset.

    The same representatives stay where they can; one who cannot attend the new time is replaced
    by another of the department's representatives. Commits.
    """
    meeting = _get_meeting(db, meeting_id)
    case_id = meeting.case_id
    answers = FreeBusyAnswers(freebusy)
    try:
        slot_id = _choose_slot(db, meeting, slot_id_or_earliest, now, answers)
        answers.seal()  # from here rows are locked: no network call, only recorded answers
        _move_locked(db, meeting_id, slot_id, actor, now, override_reason, answers)
        db.commit()
    except IntegrityError:
        raise refusal_with_next_slot(db, case_id, None, now, answers) from None
    except Conflict as exc:
        raise refusal_with_next_slot(db, case_id, exc, now, answers) from None
    return meeting


def _choose_slot(
    db: Db,
    meeting: Meeting,
    slot_id_or_earliest: int | str,
    now: datetime,
    answers: FreeBusyAnswers,
) -> int:
    """Read, locking nothing, and ask the calendars: the slot to move to."""
    _check_movable(meeting)
    target: int | Literal["earliest"]
    if isinstance(slot_id_or_earliest, int) and not isinstance(slot_id_or_earliest, bool):
        target = slot_id_or_earliest
    elif slot_id_or_earliest == "earliest":
        target = "earliest"
    else:
        raise Invalid('slot must be a slot id or "earliest".', {"slot": str(slot_id_or_earliest)})
    ctx = load_context(db, meeting.case, now, exclude_meeting_ids=[meeting.id])
    if target == "earliest":
        preferred = {d: a.representative_id for d, a in _required(meeting).items()}
        slot_id = first_feasible_slots(db, ctx, now, limit=1, answers=answers, preferred=preferred)[
            0
        ]
    else:
        slot_id = target
    _check_not_same_slot(meeting, slot_id)
    slot = db.get(Slot, slot_id)
    if slot is not None and slot.starts_at > now:
        answers.ask(ctx.reps, ctx.calendar_ids(), slot.starts_at, slot.ends_at)
    return slot_id


def _move_locked(
    db: Db,
    meeting_id: int,
    slot_id: int,
    actor: audit.Actor,
    now: datetime,
    override_reason: str,
    answers: FreeBusyAnswers,
) -> Meeting:
    """Lock the meeting and the slot's afternoon, check against committed data, move (no
    commit)."""
    meeting = _get_meeting(db, meeting_id, lock=True)
    _check_movable(meeting)
    _check_not_same_slot(meeting, slot_id)
    case = meeting.case
    required = _required(meeting)
    preferred = {d: a.representative_id for d, a in required.items()}
    slot, session = lock_session_of(db, slot_id)
    check_slot_usable(db, case, slot, session, now, own=meeting)
    ctx = load_context(
        db,
        case,
        now,
        exclude_meeting_ids=[meeting.id],
        extra_rep_ids=[a.representative_id for a in meeting.attendees],
        window=(slot.starts_at, slot.ends_at),
    )
    cand = candidate_of(slot, session)
    check = alloc.check_slot(
        ctx.depts, cand, ctx.world, preferred=preferred, external_busy=ctx.calendar(answers)
    )
    check_overridable(ctx, check, cand.local_date, override_reason)
    kept_extras = [a.representative_id for a in meeting.attendees if a.active and not a.required]
    check_extras_free(ctx, cand, kept_extras)
    before = _write_move(db, meeting, slot, ctx, check, required, override_reason, now)
    if case.status == CaseStatus.CONFIRMED:
        set_case_status(db, case, CaseStatus.BOOKED, actor, now, "rescheduled")
    audit.record(
        db,
        actor,
        "meeting",
        meeting.id,
        "reschedule",
        before=before,
        after=meeting_snapshot(meeting),
        case_id=case.id,
        note=override_reason.strip(),
        at=now,
    )
    meeting_changed(db, meeting, "rescheduled", now)
    return meeting


def _write_move(
    db: Db,
    meeting: Meeting,
    slot: Slot,
    ctx: AllocationContext,
    check: alloc.SlotCheck,
    required: dict[int, Attendee],
    override_reason: str,
    now: datetime,
) -> dict[str, Any]:
    """Move the meeting into the checked slot: its time, SEQUENCE, replies asked again, a
    department's representative replaced where the check chose another. Returns the
    meeting as it was, for the audit trail."""
    before = meeting_snapshot(meeting)
    db.execute(delete(RepresentativeBusy).where(RepresentativeBusy.meeting_id == meeting.id))
    meeting.slot_id = slot.id
    meeting.starts_at, meeting.ends_at = slot.starts_at, slot.ends_at
    meeting.sequence += 1
    if override_reason.strip():
        meeting.override_reason = override_reason.strip()
    meeting.status = MeetingStatus.BOOKED
    db.flush()
    for dept in ctx.depts:
        new_rep = check.assignments[dept.id]
        old = required.get(dept.id)
        if old is not None and old.representative_id != new_rep:
            release_attendee(db, old)
    for attendee in list(meeting.attendees):
        if attendee.active:
            attendee.partstat = PartStat.NEEDS_ACTION
            attendee.replied_at = None
            hold_time(db, meeting, attendee.representative_id)
    db.flush()
    for dept in ctx.depts:
        new_rep = check.assignments[dept.id]
        old = required.get(dept.id)
        if old is None or old.representative_id != new_rep:
            assign_attendee(db, meeting, ctx.reps[new_rep], required=True, now=now)
    db.flush()
    if not override_reason.strip():
        recheck_capacity(db, ctx, slot)
    return before


def cancel_meeting(
    db: Db,
    meeting_id: int,
    reason: str,
    actor: audit.Actor,
    *,
    now: datetime,
) -> Meeting:
    """Cancel the meeting (the cancel button): see ``cancel_live_meeting``; commits."""
    _check_cancel_reason(reason)
    meeting = _get_meeting(db, meeting_id, lock=True)
    if meeting.status not in LIVE_MEETING:
        raise Conflict(
            f"The meeting is {meeting.status.value} and cannot be cancelled.",
            {"status": meeting.status.value},
        )
    cancel_live_meeting(db, meeting, reason, actor, now=now)
    db.commit()
    return meeting


def _check_cancel_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise Invalid(
            "A reason is required to cancel a meeting.",
            {"reason": "required"},
            reason="cancel_reason_required",
        )


def cancel_live_meeting(
    db: Db,
    meeting: Meeting,
    reason: str,
    actor: audit.Actor,
    *,
    now: datetime,
    case_to: CaseStatus = CaseStatus.RECEIVED,
) -> Meeting:
    """Cancel the meeting: the slot and everyone's time are freed, SEQUENCE rises, attendees are
    kept and the cancellation is enqueued for everyone (outbox). The case goes to ``case_to``
    (received, ready to rebook, unless the whole case is cancelled). No commit: the one cancel
    for the cancel button and for a case cancelled from the status menu."""
    _check_cancel_reason(reason)
    before = meeting_snapshot(meeting)
    db.execute(delete(RepresentativeBusy).where(RepresentativeBusy.meeting_id == meeting.id))
    meeting.slot_id = None
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason.strip()
    meeting.cancelled_at = now
    meeting.sequence += 1
    case = meeting.case
    if case.status in (CaseStatus.BOOKED, CaseStatus.CONFIRMED, CaseStatus.HELD):
        note = "meeting cancelled" if case_to == CaseStatus.RECEIVED else meeting.cancel_reason
        set_case_status(db, case, case_to, actor, now, note)
    audit.record(
        db,
        actor,
        "meeting",
        meeting.id,
        "cancel",
        before=before,
        after=meeting_snapshot(meeting),
        case_id=case.id,
        note=meeting.cancel_reason,
        at=now,
    )
    meeting_changed(db, meeting, "cancelled", now)
    return meeting
