"""Loading what allocation needs: the case, who could come, and the meetings that hold their time.

Set-based queries built once with bound parameters: a proposal runs these every time, and
building and compiling SQLAlchemy statements would otherwise cost more than the queries.
A proposal makes five round trips when the first window has a slot (nine before; issue 16): the
case with its forum and meetings, its departments, their representatives; the absences and
load of the representatives (one ``Batch``); and a window's free slots, busy times and
afternoon use (one ``Batch``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import joinedload, selectinload

from booking.domain import allocation as alloc
from booking.domain.vocabulary import LIVE_MEETING, SessionKind, SessionStatus
from booking.holiday_calendar import non_working_days
from booking.models import (
    Absence,
    Case,
    Department,
    Meeting,
    Representative,
    Session,
    Slot,
)
from booking.services.batch import Batch
from booking.services.errors import NotFound
from booking.services.meetings.freebusy import FreeBusyAnswers
from booking.services.meetings.held import HeldQueries, busy_interval, held_queries, window_params
from booking.services.meetings.policy import policy_of

_REPS: BindParameter[Any] = bindparam("reps", expanding=True)
_ABSENCES = select(Absence.representative_id, Absence.start_date, Absence.end_date).where(
    Absence.representative_id.in_(_REPS), Absence.end_date >= bindparam("today")
)
# A free slot of a scheduled afternoon of the forum, from the minimum notice and ``lo`` on; an
# evaluation afternoon (booking.services.scheduling.evaluation) is never offered to a case.
_FREE = (
    Session.forum_id == bindparam("forum"),
    Session.status == SessionStatus.SCHEDULED,
    Session.kind == SessionKind.FORUM,
    Session.local_date >= bindparam("not_before"),
    Slot.starts_at > bindparam("now"),
    Slot.starts_at >= bindparam("start"),
    Meeting.id.is_(None),
)
# Sorted by the caller (a part of a Batch has no order): by start, then id.
_CANDIDATES = (
    select(Slot.id, Slot.session_id, Slot.starts_at, Slot.ends_at, Session.local_date)
    .join(Session, Session.id == Slot.session_id)
    .outerjoin(Meeting, Meeting.slot_id == Slot.id)
    .where(*_FREE, Slot.starts_at < bindparam("end"))
)


class _Batches:
    """The round trips of allocation on one database (the held queries differ by dialect)."""

    def __init__(self, held: HeldQueries) -> None:
        # Absences and load of the representatives (once per allocation).
        self.people = Batch(_ABSENCES, held.load)
        # Busy times and afternoon use in a window (a booking checks one slot).
        self.world = Batch(held.busy, held.usage)
        # The same with the window's free slots (a proposal walks window by window).
        self.window = Batch(_CANDIDATES, held.busy, held.usage)


_BATCHES = {dialect: _Batches(held_queries(dialect)) for dialect in ("postgresql", "sqlite")}


def _batches(dialect: str) -> _Batches:
    return _BATCHES["postgresql" if dialect == "postgresql" else "sqlite"]


@dataclass
class AllocationContext:
    """Who could come to the case's meeting, and (``world``) what keeps them from it."""

    case: Case
    tz: ZoneInfo
    not_before: date
    depts: list[alloc.Dept]
    world: alloc.World
    reps: dict[int, Representative]
    departments: dict[int, Department]
    notice_days: int
    exclude_meeting_ids: tuple[int, ...] = ()

    def calendar(self, answers: FreeBusyAnswers) -> alloc.ExternalBusy | None:
        """The allocator's free/busy check over these representatives, from ``answers``."""
        return answers.port(self.reps, self.calendar_ids())

    def calendar_ids(self) -> list[int]:
        """Whom free/busy is asked about: the active representatives of the departments."""
        return [r.id for d in self.depts for r in d.reps if r.active]


def not_before_date(now: datetime, timezone: str, notice: int) -> date:
    """The first local date a meeting may be held, ``notice`` working days ahead."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    holidays = non_working_days({today.year, today.year + 1}, include_half_days=False)
    return alloc.earliest_date(today, notice, holidays)


def earliest_bookable_date(db: Db, case: Case, now: datetime) -> date:
    """The first local date the case's meeting may be held under the minimum notice."""
    return not_before_date(now, case.forum.timezone, policy_of(db).min_notice_working_days)


def load_case(db: Db, case_id: int, *, lock: bool = False) -> Case:
    """The case with its departments, representatives, meetings and forum; NotFound."""
    query = (
        select(Case)
        .where(Case.id == case_id)
        .options(
            # The forum and the meetings in the case's own statement (one statement fewer is one
            # round trip fewer on PostgreSQL). Departments and their representatives stay
            # separate: joined to the case, SQLite materialises departments ⋈ case_departments
            # for every department first, and joined to the departments, PostgreSQL without
            # statistics scans every representative.
            joinedload(Case.forum),
            joinedload(Case.meetings),
            selectinload(Case.departments).selectinload(Department.representatives),
        )
    )
    if lock:
        # Locked and read afresh: an older copy in this session must not decide.
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
    case = db.execute(query).unique().scalar_one_or_none()
    if case is None:
        raise NotFound(f"No case with id {case_id}.", {"case_id": case_id})
    return case


def live_meeting(case: Case) -> Meeting | None:
    return next((m for m in case.meetings if m.status in LIVE_MEETING), None)


def load_context(
    db: Db,
    case: Case,
    now: datetime,
    *,
    exclude_meeting_ids: Sequence[int] = (),
    extra_rep_ids: Iterable[int] = (),
    window: tuple[datetime, datetime] | None = None,
) -> AllocationContext:
    """Who could come (departments, representatives, absences, load), in set-based queries.

    With ``window`` the planned meetings in that time are loaded too (``ctx.world``);
    otherwise the allocation loads them window by window as it walks forward in time.
    """
    tz = ZoneInfo(case.forum.timezone)
    departments = {d.id: d for d in case.departments}
    reps: dict[int, Representative] = {
        r.id: r for d in departments.values() for r in d.representatives
    }
    missing_extra = [i for i in set(extra_rep_ids) if i not in reps]
    if missing_extra:
        for rep in db.scalars(select(Representative).where(Representative.id.in_(missing_extra))):
            reps[rep.id] = rep
    rep_ids = list(reps)
    today = now.astimezone(tz).date()

    depts = [
        alloc.Dept(
            id=d.id,
            name=d.name,
            capacity_per_session=d.capacity_per_session,
            active=d.active,
            reps=tuple(
                alloc.Rep(r.id, d.id, active=r.active, is_deputy=r.is_deputy)
                for r in d.representatives
            ),
        )
        for d in sorted(departments.values(), key=lambda d: d.name)
    ]
    conn = db.connection()
    # Absences, and the load to spread: upcoming meetings per representative (counted in the
    # database), only where it can decide between two people.
    absent, ahead = _batches(conn.dialect.name).people.run(
        conn,
        {
            "reps": rep_ids,
            "load_reps": sorted(alloc.load_matters(depts)),
            "today": today,
            "exclude": list(exclude_meeting_ids),
            "now": now,
        },
    )
    absences: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for rep_id, start, end in absent:
        absences[rep_id].append((start, end))
    load = {rep_id: int(n) for rep_id, n in ahead}

    notice = policy_of(db).min_notice_working_days
    ctx = AllocationContext(
        case=case,
        tz=tz,
        not_before=not_before_date(now, case.forum.timezone, notice),
        notice_days=notice,
        depts=depts,
        world=alloc.World(absences=absences, load=load),
        reps=reps,
        departments=departments,
        exclude_meeting_ids=tuple(exclude_meeting_ids),
    )
    if window is not None:
        ctx.world = world_between(db, ctx, *window)
    return ctx


def _held_params(ctx: AllocationContext, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "reps": list(ctx.reps),
        "depts": list(ctx.departments),
        "exclude": list(ctx.exclude_meeting_ids),
        **window_params(
            start - timedelta(days=1), end + timedelta(days=1), ctx.case.forum_id, ctx.tz
        ),
    }


def _world(ctx: AllocationContext, held: Sequence[Any], used: Sequence[Any]) -> alloc.World:
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for rep_id, first, last in held:
        busy[rep_id].append(busy_interval(first, last))
    for intervals in busy.values():
        intervals.sort()
    usage = {(sid, d): int(n) for sid, d, n in used}
    return alloc.World(absences=ctx.world.absences, busy=busy, usage=usage, load=ctx.world.load)


def world_between(db: Db, ctx: AllocationContext, start: datetime, end: datetime) -> alloc.World:
    """``ctx.world`` plus the meetings and session use between ``start`` and ``end``."""
    conn = db.connection()
    held, used = _batches(conn.dialect.name).world.run(conn, _held_params(ctx, start, end))
    return _world(ctx, held, used)


def window_between(
    db: Db, ctx: AllocationContext, now: datetime, start: datetime, end: datetime
) -> tuple[list[alloc.Candidate], alloc.World]:
    """Free slots of scheduled sessions of the forum starting in [start, end), in time order,
    and ``world_between(start, end)``: one round trip."""
    conn = db.connection()
    params = _held_params(ctx, start, end) | {  # "forum" is among the held parameters
        "not_before": ctx.not_before,
        "now": now,
        "start": start,
        "end": end,
    }
    free, held, used = _batches(conn.dialect.name).window.run(conn, params)
    return _candidates(free), _world(ctx, held, used)


def _candidates(rows: Iterable[Sequence[Any]]) -> list[alloc.Candidate]:
    """Free slots in time order (then by id, for slots that start together)."""
    found = [alloc.Candidate(*row) for row in rows]
    found.sort(key=lambda c: (c.starts_at, c.slot_id))
    return found


_NEXT_FREE = (
    select(func.min(Slot.starts_at))
    .join(Session, Session.id == Slot.session_id)
    .outerjoin(Meeting, Meeting.slot_id == Slot.id)
    .where(*_FREE)
)


def next_free_start(
    db: Db, forum_id: int, now: datetime, not_before: date, start: datetime
) -> datetime | None:
    """When the forum's next free slot from ``start`` on begins (None: there is none), so a
    search can jump over weeks that are fully booked instead of reading them one by one."""
    found: datetime | None = (
        db.connection()
        .execute(
            _NEXT_FREE, {"forum": forum_id, "not_before": not_before, "now": now, "start": start}
        )
        .scalar()
    )
    return found
