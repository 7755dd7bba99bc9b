"""Checks of one chosen slot, made with the slot's afternoon locked: is the slot usable, can
every department come, are the extra attendees free, is capacity still kept after the write.

On PostgreSQL the session row is locked (SELECT ... FOR UPDATE) while a department's capacity
for that afternoon is checked, so two bookings cannot both take the last place; SQLite
serialises writers anyway. Nothing here asks the network: free/busy was asked before the lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from booking.domain import allocation as alloc
from booking.domain.vocabulary import SessionKind, SessionStatus
from booking.models import Attendee, Case, Meeting, Session, Slot
from booking.services.errors import Conflict, Invalid
from booking.services.meetings.context import AllocationContext


def lock_session_of(db: Db, slot_id: int) -> tuple[Slot, Session]:
    """The slot and its afternoon, the afternoon locked until the transaction ends."""
    slot = db.get(Slot, slot_id)
    if slot is None:
        raise Invalid(f"No slot with id {slot_id}.", {"slot": slot_id})
    # Lock the afternoon: capacity per session is then checked against committed data only.
    session = db.scalar(select(Session).where(Session.id == slot.session_id).with_for_update())
    assert session is not None
    return slot, session


def check_slot_usable(
    db: Db, case: Case, slot: Slot, session: Session, now: datetime, own: Meeting | None = None
) -> None:
    if session.forum_id != case.forum_id:
        raise Invalid(
            f"Slot {slot.id} belongs to another forum than the case.",
            {"slot": slot.id, "forum_id": case.forum_id},
        )
    if slot.starts_at <= now:
        raise Invalid(
            f"Slot {slot.id} ({slot.starts_at.isoformat()}) is in the past; pick a future slot.",
            {"slot": slot.id},
        )
    if session.status != SessionStatus.SCHEDULED:
        raise Conflict(
            f"The session on {session.local_date.isoformat()} is {session.status.value}"
            f"{': ' + session.reason if session.reason else ''}; pick another slot.",
            {"slot": slot.id, "session_id": session.id},
        )
    if session.kind != SessionKind.FORUM:
        raise Conflict(
            f"The afternoon of {session.local_date.isoformat()} is the forum's evaluation "
            "meeting; pick a slot on another afternoon.",
            {"slot": slot.id, "session_id": session.id},
            reason="evaluation_afternoon",
        )
    holder = db.scalar(select(Meeting.id).where(Meeting.slot_id == slot.id))
    if holder is not None and (own is None or holder != own.id):
        raise Conflict(f"Slot {slot.id} is already booked.", {"slot": slot.id}, reason="slot_taken")


def candidate_of(slot: Slot, session: Session) -> alloc.Candidate:
    return alloc.Candidate(slot.id, session.id, slot.starts_at, slot.ends_at, session.local_date)


def check_overridable(
    ctx: AllocationContext, check: alloc.SlotCheck, local_date: date, override_reason: str
) -> None:
    """Raise Conflict unless the slot works, or only breaks rules an override reason may break."""
    problems = {
        ctx.departments[d].name: alloc.REASON_TEXT.get(r, r) for d, r in check.problems.items()
    }
    too_soon = local_date < ctx.not_before
    if not problems and not too_soon:
        return
    soft = check.only({alloc.CAPACITY_FULL})
    if soft and override_reason.strip():
        return
    parts = [f"{name} {text}" for name, text in problems.items()]
    if too_soon:
        parts.append(
            f"the slot is less than {ctx.notice_days} working days ahead "
            f"(earliest {ctx.not_before.isoformat()})"
        )
    hint = (
        " Give an override_reason to book it anyway."
        if soft
        else " Pick another slot or representative."
    )
    raise Conflict(
        "The slot does not work: " + "; ".join(parts) + "." + hint,
        {"problems": {ctx.departments[d].name: r for d, r in check.problems.items()}},
        reason="slot_unavailable" if problems else "too_soon",
    )


def check_extras_free(
    ctx: AllocationContext, cand: alloc.Candidate, rep_ids: Iterable[int]
) -> None:
    for rep_id in rep_ids:
        rep = ctx.reps[rep_id]
        if alloc.is_absent(ctx.world.absences.get(rep_id, ()), cand.local_date):
            raise Conflict(f"{rep.name} is absent that day.", {"representative_id": rep_id})
        if alloc.overlaps(ctx.world.busy.get(rep_id, ()), cand.starts_at, cand.ends_at):
            raise Conflict(
                f"{rep.name} is already in another meeting at that time.",
                {"representative_id": rep_id},
            )


def recheck_capacity(db: Db, ctx: AllocationContext, slot: Slot) -> None:
    """Count again now that this transaction writes: on SQLite the check before the write ran
    outside the write lock, so a booking committed in between is only visible now."""
    rows = db.execute(
        select(Attendee.department_id, func.count(func.distinct(Meeting.id)))
        .join(Meeting, Meeting.id == Attendee.meeting_id)
        .join(Slot, Slot.id == Meeting.slot_id)
        .where(
            Slot.session_id == slot.session_id,
            Attendee.active.is_(True),
            Attendee.department_id.in_(list(ctx.departments)),
        )
        .group_by(Attendee.department_id)
    )
    for dept_id, used in rows:
        dept = ctx.departments[dept_id]
        if used > dept.capacity_per_session:
            raise Conflict(
                f"{dept.name} has no capacity left in that forum session (taken a moment ago).",
                {"department_id": dept_id},
                reason="slot_taken",
            )
