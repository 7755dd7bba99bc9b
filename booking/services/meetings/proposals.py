"""Proposals: the earliest slots where every required department can attend, or why none is;
and the refusal that names the next free slot."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from booking.domain import allocation as alloc
from booking.models import Department, Representative, Session, Slot
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.meetings.context import (
    AllocationContext,
    live_meeting,
    load_case,
    load_context,
    next_free_start,
    window_between,
)
from booking.services.meetings.freebusy import FreeBusy, FreeBusyAnswers

# Allocation looks this far ahead per round trip; the earliest slot is usually in the first.
WINDOW = timedelta(weeks=13)


@dataclass(frozen=True)
class ProposedSlot:
    slot_id: int
    session_id: int
    starts_at: datetime
    ends_at: datetime
    local_date: date
    # department → representative chosen by the allocator
    assignments: list[tuple[Department, Representative]]


@dataclass(frozen=True)
class BlockingDepartment:
    department_id: int
    department: str
    reason: str
    message: str
    slots: int


@dataclass
class Proposals:
    case_id: int
    not_before: date
    slots: list[ProposedSlot] = field(default_factory=list)
    blockers: list[BlockingDepartment] = field(default_factory=list)
    considered: int = 0

    @property
    def explanation(self) -> str:
        if self.slots:
            return ""
        if self.considered == 0:
            return (
                f"There is no free slot on or after {self.not_before.isoformat()} in the "
                "sessions planned so far."
            )
        return " ".join(b.message for b in self.blockers) or "No slot fits every department."


def allocate(
    db: Db,
    ctx: AllocationContext,
    now: datetime,
    *,
    limit: int,
    answers: FreeBusyAnswers,
    chosen: Mapping[int, int] | None = None,
    preferred: Mapping[int, int] | None = None,
) -> alloc.AllocationResult:
    """Walk forward in windows of a few weeks, loading only what each window needs, until
    ``limit`` slots are found or the planned sessions end."""
    start = datetime.combine(ctx.not_before, datetime.min.time(), tzinfo=ctx.tz)
    start = max(start.astimezone(now.tzinfo), now)
    proposals: list[alloc.Proposal] = []
    failures: dict[int, Counter[str]] = {d.id: Counter() for d in ctx.depts}
    considered = 0
    last: datetime | None = None
    while len(proposals) < limit:
        end = start + WINDOW
        # The window's free slots and what holds its people's time: one round trip.
        candidates, world = window_between(db, ctx, now, start, end)
        if not candidates:
            # Fully booked weeks: jump to the next free slot (one query) instead of walking
            # them window by window (57 windows at 20,000 cases; issue 16).
            following = next_free_start(db, ctx.case.forum_id, now, ctx.not_before, end)
            if following is None:
                break
            start = following
            continue
        result = alloc.allocate(
            ctx.depts,
            candidates,
            world,
            limit=limit - len(proposals),
            chosen=chosen,
            preferred=preferred,
            external_busy=ctx.calendar(answers),
        )
        proposals.extend(result.proposals)
        considered += result.considered
        for dept_id, counts in result.failures.items():
            failures[dept_id].update(counts)
        if len(proposals) >= limit:
            break
        if last is None:  # asked only when the first window was not enough
            last = db.scalar(
                select(func.max(Slot.starts_at))
                .join(Session, Session.id == Slot.session_id)
                .where(Session.forum_id == ctx.case.forum_id)
            )
        if last is None or end > last:
            break
        start = end
    blockers = [] if proposals else alloc.explain(ctx.depts, failures, considered)
    return alloc.AllocationResult(proposals, blockers, considered, failures)


def first_feasible_slots(
    db: Db,
    ctx: AllocationContext,
    now: datetime,
    *,
    limit: int,
    answers: FreeBusyAnswers,
    chosen: Mapping[int, int] | None = None,
    preferred: Mapping[int, int] | None = None,
) -> list[int]:
    """The ids of the first ``limit`` feasible slots; Conflict (no_slot) saying why none is."""
    result = allocate(
        db, ctx, now, limit=limit, answers=answers, chosen=chosen, preferred=preferred
    )
    if not result.proposals:
        blockers = _blockers(result.blockers)
        message = Proposals(ctx.case.id, ctx.not_before, [], blockers, result.considered)
        raise Conflict(
            "No slot fits every department: " + message.explanation,
            {"blockers": [b.__dict__ for b in blockers], "next_free_slot": None},
            reason="no_slot",
        )
    return [p.candidate.slot_id for p in result.proposals]


def _proposed(ctx: AllocationContext, proposal: alloc.Proposal) -> ProposedSlot:
    cand = proposal.candidate
    pairs = [
        (ctx.departments[d.id], ctx.reps[proposal.assignments[d.id]])
        for d in ctx.depts
        if d.id in proposal.assignments
    ]
    return ProposedSlot(
        cand.slot_id, cand.session_id, cand.starts_at, cand.ends_at, cand.local_date, pairs
    )


def _blockers(blockers: Iterable[alloc.Blocker]) -> list[BlockingDepartment]:
    return [
        BlockingDepartment(b.department_id, b.department, b.reason, b.message, b.slots)
        for b in blockers
    ]


def propose(
    db: Db,
    case_id: int,
    *,
    now: datetime,
    limit: int = 5,
    freebusy: FreeBusy | None = None,
) -> Proposals:
    """The earliest ``limit`` slots where every required department can attend, or why none."""
    return _propose(db, case_id, now, limit, FreeBusyAnswers(freebusy))


def _propose(
    db: Db, case_id: int, now: datetime, limit: int, answers: FreeBusyAnswers
) -> Proposals:
    case = load_case(db, case_id)
    if not case.departments:
        raise Invalid(
            "The case has no required departments; add at least one before asking for slots.",
            {"case_id": case_id},
            reason="no_departments",
        )
    live = live_meeting(case)
    ctx = load_context(db, case, now, exclude_meeting_ids=[live.id] if live else ())
    result = allocate(db, ctx, now, limit=max(1, limit), answers=answers)
    return Proposals(
        case_id=case.id,
        not_before=ctx.not_before,
        slots=[_proposed(ctx, p) for p in result.proposals],
        blockers=_blockers(result.blockers),
        considered=result.considered,
    )


def next_free_slot(
    db: Db, case_id: int, *, now: datetime, answers: FreeBusyAnswers
) -> dict[str, Any] | None:
    """The next slot this case could take (for a 409's details), or None."""
    try:
        proposals = _propose(db, case_id, now, 1, answers)
    except (NotFound, Invalid):
        return None
    if not proposals.slots:
        return None
    slot = proposals.slots[0]
    tz = ZoneInfo(load_case(db, case_id).forum.timezone)
    return {
        "slot_id": slot.slot_id,
        "starts_at": slot.starts_at.astimezone(tz).isoformat(),
        "ends_at": slot.ends_at.astimezone(tz).isoformat(),
        "date": slot.local_date.isoformat(),
    }


def refusal_with_next_slot(
    db: Db, case_id: int, exc: Conflict | None, now: datetime, answers: FreeBusyAnswers
) -> Conflict:
    """Roll back a refused booking or move (``exc``; None when the database refused a write
    that lost a race) and answer it with the next free slot for this case in its details.
    The calendars are not asked again: ``answers`` holds what the use case asked."""
    db.rollback()
    if exc is not None and "next_free_slot" in exc.details:
        return exc
    message = (
        exc.message if exc is not None else "The slot or a representative was taken a moment ago."
    )
    answers.seal()
    nxt = next_free_slot(db, case_id, now=now, answers=answers)
    db.rollback()
    hint = f" The next free slot is {nxt['starts_at']} (slot {nxt['slot_id']})." if nxt else ""
    details = dict(exc.details) if exc is not None else {}
    details["next_free_slot"] = nxt
    return Conflict(message + hint, details, reason=exc.reason if exc else "slot_taken")
