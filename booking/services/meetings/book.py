"""Book a case into a slot (or the earliest feasible one), with its representatives.

No double booking, ever: the database decides. ``meetings.slot_id`` is unique (a slot holds one
meeting) and ``representative_busy(representative_id, bucket)`` is unique (a representative is in
one meeting at a time, across forums). A lost race surfaces as an IntegrityError, which is rolled
back and answered with Conflict naming the next free slot.

Two steps: first the slots to try are chosen and the calendars asked (free/busy, a network
call), reading without locking anything; then, with the case and the slot's afternoon locked,
only database work: the checks against committed data and the write, committed once. The checks
under the lock, and the reruns after a lost race, use the calendars' recorded answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db

from booking.domain import allocation as alloc
from booking.domain.vocabulary import CaseStatus, MeetingStatus
from booking.models import Case, Meeting, Representative, Slot
from booking.services import audit
from booking.services.cases.status import set_status as set_case_status
from booking.services.errors import Conflict, Invalid
from booking.services.meetings.attendees import attach_checked
from booking.services.meetings.context import (
    AllocationContext,
    live_meeting,
    load_case,
    load_context,
    world_between,
)
from booking.services.meetings.events import meeting_changed
from booking.services.meetings.freebusy import FreeBusy, FreeBusyAnswers
from booking.services.meetings.policy import policy_of
from booking.services.meetings.proposals import first_feasible_slots, refusal_with_next_slot
from booking.services.meetings.requests import BookingRequest, parse_booking_request
from booking.services.meetings.slot_checks import (
    candidate_of,
    check_extras_free,
    check_overridable,
    check_slot_usable,
    lock_session_of,
    recheck_capacity,
)
from booking.services.meetings.snapshots import audit_booked

# "earliest" tries this many feasible slots in order when concurrent bookings take the first.
EARLIEST_TRIES = 3


@dataclass(frozen=True)
class _Plan:
    """What the first step found: the slots to try in order, and the people asked for."""

    slot_ids: list[int]
    people: dict[int, Representative]
    extras: list[int]


def book(
    db: Db,
    case_id: int,
    request: BookingRequest | Mapping[str, Any],
    actor: audit.Actor,
    *,
    now: datetime,
    freebusy: FreeBusy | None = None,
) -> Meeting:
    """Book the case into a slot (or the earliest feasible one) with one representative per
    required department, the convener, the minute-taker and optional attendees. Commits.

    Every refusal (Conflict, 409) carries ``details["next_free_slot"]``."""
    request = parse_booking_request(request)
    answers = FreeBusyAnswers(freebusy)
    try:
        plan = _plan(db, case_id, request, now, answers)
        answers.seal()  # from here rows are locked: no network call, only recorded answers
        meeting = _book_locked(db, case_id, request, plan, actor, now, answers)
        db.commit()
    except IntegrityError:
        raise refusal_with_next_slot(db, case_id, None, now, answers) from None
    except Conflict as exc:
        raise refusal_with_next_slot(db, case_id, exc, now, answers) from None
    return meeting


def _bookable_case(db: Db, case_id: int, *, lock: bool) -> Case:
    case = load_case(db, case_id, lock=lock)
    if case.status != CaseStatus.RECEIVED or live_meeting(case) is not None:
        raise Conflict(
            f"Case {case.reference} is {case.status.value}; only a received case can be booked "
            "(reschedule its meeting instead).",
            {"status": case.status.value},
        )
    if not case.departments:
        raise Invalid(
            "The case has no required departments; add at least one before booking.",
            {"case_id": case.id},
            reason="no_departments",
        )
    return case


def _plan(
    db: Db, case_id: int, request: BookingRequest, now: datetime, answers: FreeBusyAnswers
) -> _Plan:
    """Read, locking nothing, and ask the calendars: the slot or slots to try, in order."""
    case = _bookable_case(db, case_id, lock=False)
    people = _validate_request(db, case, request)
    extras = _extras(request)
    ctx = load_context(db, case, now, extra_rep_ids=extras)
    if request.slot == "earliest":
        slot_ids = first_feasible_slots(
            db, ctx, now, limit=EARLIEST_TRIES, answers=answers, chosen=request.chosen()
        )
    else:
        slot_ids = [request.slot]
        slot = db.get(Slot, request.slot)
        if slot is not None and slot.starts_at > now:
            answers.ask(ctx.reps, ctx.calendar_ids(), slot.starts_at, slot.ends_at)
    return _Plan(slot_ids, people, extras)


def _book_locked(
    db: Db,
    case_id: int,
    request: BookingRequest,
    plan: _Plan,
    actor: audit.Actor,
    now: datetime,
    answers: FreeBusyAnswers,
) -> Meeting:
    """Lock the case, then try the planned slots in order; write the booking into the first
    that still works (no commit)."""
    case = _bookable_case(db, case_id, lock=True)
    ctx = load_context(db, case, now, extra_rep_ids=plan.extras)
    chosen = request.chosen()
    refusal: Conflict | None = None
    for slot_id in plan.slot_ids:
        # "earliest" moves on to the next feasible slot when a concurrent booking took one.
        try:
            slot, cand, check = _claim_slot(db, ctx, slot_id, request, chosen, now, answers)
        except Conflict as exc:
            refusal = refusal or exc
            continue
        assigned = set(check.assignments.values())
        extra_only = [i for i in plan.extras if i not in assigned]
        check_extras_free(ctx, cand, extra_only)
        return _write_booking(db, ctx, slot, check, extra_only, plan.people, request, actor, now)
    assert refusal is not None
    raise refusal


def _claim_slot(
    db: Db,
    ctx: AllocationContext,
    slot_id: int,
    request: BookingRequest,
    chosen: Mapping[int, int],
    now: datetime,
    answers: FreeBusyAnswers,
) -> tuple[Slot, alloc.Candidate, alloc.SlotCheck]:
    """Lock the slot's afternoon, then check the slot against committed data only."""
    slot, session = lock_session_of(db, slot_id)
    check_slot_usable(db, ctx.case, slot, session, now)
    ctx.world = world_between(db, ctx, slot.starts_at, slot.ends_at)
    cand = candidate_of(slot, session)
    check = alloc.check_slot(
        ctx.depts, cand, ctx.world, chosen=chosen, external_busy=ctx.calendar(answers)
    )
    check_overridable(ctx, check, cand.local_date, request.override_reason)
    return slot, cand, check


def _write_booking(
    db: Db,
    ctx: AllocationContext,
    slot: Slot,
    check: alloc.SlotCheck,
    extra_only: list[int],
    people: Mapping[int, Representative],
    request: BookingRequest,
    actor: audit.Actor,
    now: datetime,
) -> Meeting:
    case = ctx.case
    meeting = Meeting(
        uid=f"{uuid.uuid4()}@{policy_of(db).uid_host}",
        sequence=0,
        slot_id=slot.id,
        status=MeetingStatus.BOOKED,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        location=case.forum.location,
        convener_id=request.convener_id,
        minute_taker_id=request.minute_taker_id,
        override_reason=request.override_reason.strip(),
        created_at=now,
        updated_at=now,
    )
    case.meetings.append(meeting)  # through the relationship, so case.meetings is current
    db.flush()
    for dept in ctx.depts:
        attach_checked(db, meeting, ctx.reps[check.assignments[dept.id]], True, now)
    for rep_id in extra_only:
        attach_checked(db, meeting, people[rep_id], False, now)
    db.flush()
    if not request.override_reason.strip():
        recheck_capacity(db, ctx, slot)
    set_case_status(db, case, CaseStatus.BOOKED, actor, now)
    audit_booked(db, actor, meeting, now)
    meeting_changed(db, meeting, "booked", now)
    return meeting


def _extras(request: BookingRequest) -> list[int]:
    """The convener, the minute-taker and the optional attendees, each once, in that order."""
    asked = [request.convener_id, request.minute_taker_id, *request.extra_attendee_ids]
    return [i for i in dict.fromkeys(asked) if i is not None]


def _people(db: Db, ids: Iterable[int]) -> dict[int, Representative]:
    wanted = {i for i in ids if i is not None}
    found = {
        r.id: r for r in db.scalars(select(Representative).where(Representative.id.in_(wanted)))
    }
    missing = sorted(wanted - set(found))
    if missing:
        raise Invalid(
            f"No representative with id {', '.join(map(str, missing))}.",
            {"representative_ids": missing},
            reason="unknown_id",
        )
    inactive = [r.name for r in found.values() if not r.active]
    if inactive:
        raise Invalid(
            f"Not active: {', '.join(inactive)}.",
            {"inactive": inactive, "names": inactive},
            reason="inactive",
        )
    return found


def _validate_request(db: Db, case: Case, request: BookingRequest) -> dict[int, Representative]:
    chosen = request.chosen()
    dept_ids = {d.id for d in case.departments}
    unknown = sorted(set(chosen) - dept_ids)
    if unknown:
        raise Invalid(
            f"Department {', '.join(map(str, unknown))} is not required by the case.",
            {"department_ids": unknown},
        )
    extra = [request.convener_id, request.minute_taker_id, *request.extra_attendee_ids]
    people = _people(db, [*chosen.values(), *(i for i in extra if i is not None)])
    for dept_id, rep_id in chosen.items():
        if people[rep_id].department_id != dept_id:
            raise Invalid(
                f"{people[rep_id].name} does not represent department {dept_id}.",
                {"department_id": dept_id, "representative_id": rep_id},
            )
    return people
