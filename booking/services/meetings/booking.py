"""Booking use cases: propose, book, reschedule, cancel; bring attendees in and out.

No double booking, ever: the database decides. ``meetings.slot_id`` is unique (a slot holds one
meeting) and ``representative_busy(representative_id, bucket)`` is unique (a representative is in
one meeting at a time, across forums). A lost race surfaces as an IntegrityError, which is rolled
back and answered with Conflict naming the next free slot. On PostgreSQL the session row is also
locked (SELECT ... FOR UPDATE) while a department's capacity for that afternoon is checked, so two
bookings cannot both take the last place; SQLite serialises writers anyway.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from sqlalchemy import BindParameter, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import joinedload, selectinload

from booking.domain import allocation as alloc
from booking.domain.vocabulary import CaseStatus, MeetingStatus, PartStat, SessionStatus
from booking.holiday_calendar import non_working_days
from booking.models import (
    Absence,
    Attendee,
    Case,
    Department,
    Meeting,
    Representative,
    RepresentativeBusy,
    Session,
    Slot,
)
from booking.services import audit
from booking.services.cases.status import set_meeting_status
from booking.services.cases.status import set_status as set_case_status
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.inputs import MAX_ID, Id, Input, Text
from booking.services.meetings.events import case_changed, meeting_changed
from booking.services.policies import policies_of

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)

# (representatives, start, end) → ids of those busy in their own calendars (CalDAV free/busy).
FreeBusy = Callable[[list[Representative], datetime, datetime], set[int]]

LIVE = (MeetingStatus.BOOKED, MeetingStatus.CONFIRMED)
# Allocation looks this far ahead per round trip; the earliest slot is usually in the first.
WINDOW = timedelta(weeks=13)
# "earliest" tries this many feasible slots in order when concurrent bookings take the first.
EARLIEST_TRIES = 3

# MAX_ID and Id are defined with the other input types (booking.services.inputs).


@dataclass(frozen=True)
class BookingPolicy:
    """Settings the booking rules need. Part of the session's policies
    (booking.services.policies): a unit of work carries its own configuration, and no
    module-level state differs between apps."""

    min_notice_working_days: int = 5
    uid_host: str = "dorren-in.local"

    @classmethod
    def from_settings(cls, settings: Settings) -> BookingPolicy:
        return cls(
            min_notice_working_days=settings.min_notice_working_days,
            uid_host=urlsplit(settings.public_base_url).hostname or "dorren-in.local",
        )


def policy_of(db: Db) -> BookingPolicy:
    """The session's booking policy; MissingPolicies for a session made without policies."""
    return policies_of(db).booking


# ---------------------------------------------------------------- input


def slot_or_earliest(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One clear message instead of one per branch of ``int | "earliest"``."""
    try:
        return handler(value)
    except ValidationError:
        raise ValueError(
            f'slot must be a slot id (a positive integer) or "earliest", got {value!r}'
        ) from None


class Assignment(Input):
    department_id: Id
    representative_id: Id


class BookingRequest(Input):
    """What a coordinator asks for; everything but the slot is optional."""

    slot: Id | Literal["earliest"] = Field(
        default="earliest", description='A slot id, or "earliest" for the first feasible slot.'
    )
    representatives: list[Assignment] = Field(
        default_factory=list,
        description="One representative per required department; the allocator picks the rest.",
        max_length=100,
    )
    convener_id: Id | None = Field(default=None, description="Chairs the meeting.")
    minute_taker_id: Id | None = None
    extra_attendee_ids: list[Id] = Field(
        default_factory=list, description="Optional attendees.", max_length=50
    )
    override_reason: Text = Field(
        default="",
        max_length=2000,
        description="Needed to break a capacity rule or the minimum notice; recorded.",
    )

    _v_slot = field_validator("slot", mode="wrap")(slot_or_earliest)

    def chosen(self) -> dict[int, int]:
        return {a.department_id: a.representative_id for a in self.representatives}


# ---------------------------------------------------------------- output


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


# ---------------------------------------------------------------- loading what allocation needs

# Built once with bound parameters: a proposal runs these every time, and building and compiling
# SQLAlchemy statements would otherwise cost more than the queries themselves.
_REPS: BindParameter[Any] = bindparam("reps", expanding=True)
_EXCLUDE: BindParameter[Any] = bindparam("exclude", expanding=True)
_LIVE_ATTENDANCE = (
    Attendee.representative_id.in_(_REPS),
    Attendee.active.is_(True),
    Meeting.status != MeetingStatus.CANCELLED,
    Meeting.id.not_in(_EXCLUDE),
)
_ABSENCES = select(Absence.representative_id, Absence.start_date, Absence.end_date).where(
    Absence.representative_id.in_(_REPS), Absence.end_date >= bindparam("today")
)
_LOAD = (
    select(Attendee.representative_id, func.count())
    .join(Meeting, Meeting.id == Attendee.meeting_id)
    .where(*_LIVE_ATTENDANCE, Meeting.starts_at > bindparam("now"))
    .group_by(Attendee.representative_id)
)
_BUSY = (
    select(Attendee.representative_id, Meeting.starts_at, Meeting.ends_at)
    .join(Meeting, Meeting.id == Attendee.meeting_id)
    .where(
        *_LIVE_ATTENDANCE, Meeting.starts_at < bindparam("hi"), Meeting.ends_at > bindparam("lo")
    )
)
_USAGE = (
    select(Slot.session_id, Attendee.department_id, func.count(func.distinct(Meeting.id)))
    .join(Meeting, Meeting.slot_id == Slot.id)
    .join(Attendee, Attendee.meeting_id == Meeting.id)
    .where(
        Attendee.department_id.in_(bindparam("depts", expanding=True)),
        Attendee.active.is_(True),
        Meeting.id.not_in(_EXCLUDE),
        Slot.starts_at >= bindparam("lo"),
        Slot.starts_at < bindparam("hi"),
    )
    .group_by(Slot.session_id, Attendee.department_id)
)
_CANDIDATES = (
    select(Slot.id, Slot.session_id, Slot.starts_at, Slot.ends_at, Session.local_date)
    .join(Session, Session.id == Slot.session_id)
    .outerjoin(Meeting, Meeting.slot_id == Slot.id)
    .where(
        Session.forum_id == bindparam("forum"),
        Session.status == SessionStatus.SCHEDULED,
        Session.local_date >= bindparam("not_before"),
        Slot.starts_at > bindparam("now"),
        Slot.starts_at >= bindparam("lo"),
        Slot.starts_at < bindparam("hi"),
        Meeting.id.is_(None),
    )
    .order_by(Slot.starts_at, Slot.id)
)


@dataclass
class _Context:
    case: Case
    tz: ZoneInfo
    not_before: date
    depts: list[alloc.Dept]
    world: alloc.World
    reps: dict[int, Representative]
    departments: dict[int, Department]
    notice_days: int
    exclude_meeting_ids: tuple[int, ...] = ()


def _today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def not_before_date(now: datetime, timezone: str, notice: int) -> date:
    """The first local date a meeting may be held, ``notice`` working days ahead."""
    today = _today(now, ZoneInfo(timezone))
    holidays = non_working_days({today.year, today.year + 1}, include_half_days=False)
    return alloc.earliest_date(today, notice, holidays)


def earliest_bookable_date(db: Db, case: Case, now: datetime) -> date:
    """The first local date the case's meeting may be held under the minimum notice."""
    return not_before_date(now, case.forum.timezone, policy_of(db).min_notice_working_days)


def _load_context(
    db: Db,
    case: Case,
    now: datetime,
    *,
    exclude_meeting_ids: Sequence[int] = (),
    extra_rep_ids: Iterable[int] = (),
    window: tuple[datetime, datetime] | None = None,
) -> _Context:
    """Who could come (departments, representatives, absences, load), in set-based queries.

    With ``window`` the planned meetings in that time are loaded too (``ctx.world``);
    otherwise ``_allocate`` loads them window by window as it walks forward in time.
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
    today = _today(now, tz)

    conn = db.connection()
    absences: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for rep_id, start, end in conn.execute(_ABSENCES, {"reps": rep_ids, "today": today}):
        absences[rep_id].append((start, end))
    # Load to spread: upcoming meetings per representative (counted in the database).
    exclude = list(exclude_meeting_ids)
    load = {
        rep_id: int(n)
        for rep_id, n in conn.execute(_LOAD, {"reps": rep_ids, "exclude": exclude, "now": now})
    }

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
    notice = policy_of(db).min_notice_working_days
    ctx = _Context(
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
        ctx.world = _world(db, ctx, *window)
    return ctx


def _world(db: Db, ctx: _Context, start: datetime, end: datetime) -> alloc.World:
    """``ctx.world`` plus the meetings and session use between ``start`` and ``end``."""
    params = {
        "reps": list(ctx.reps),
        "depts": list(ctx.departments),
        "exclude": list(ctx.exclude_meeting_ids),
        "lo": start - timedelta(days=1),
        "hi": end + timedelta(days=1),
    }
    conn = db.connection()
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for rep_id, s, e in conn.execute(_BUSY, params):
        busy[rep_id].append((s, e))
    for intervals in busy.values():
        intervals.sort()
    usage = {(sid, d): int(n) for sid, d, n in conn.execute(_USAGE, params)}
    return alloc.World(absences=ctx.world.absences, busy=busy, usage=usage, load=ctx.world.load)


def _candidates(
    db: Db, forum_id: int, now: datetime, not_before: date, start: datetime, end: datetime
) -> list[alloc.Candidate]:
    """Free slots of scheduled sessions of the forum starting in [start, end), in time order."""
    rows = db.connection().execute(
        _CANDIDATES,
        {"forum": forum_id, "not_before": not_before, "now": now, "lo": start, "hi": end},
    )
    return [alloc.Candidate(*row) for row in rows]


def _allocate(
    db: Db,
    ctx: _Context,
    now: datetime,
    *,
    limit: int,
    freebusy: FreeBusy | None,
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
        candidates = _candidates(db, ctx.case.forum_id, now, ctx.not_before, start, end)
        if candidates:
            world = _world(db, ctx, start, end)
            result = alloc.allocate(
                ctx.depts,
                candidates,
                world,
                limit=limit - len(proposals),
                chosen=chosen,
                preferred=preferred,
                external_busy=_external_busy(ctx, freebusy),
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


def _external_busy(ctx: _Context, freebusy: FreeBusy | None) -> alloc.ExternalBusy | None:
    """Adapt the calendar port; a failing calendar never stops a booking (it is logged)."""
    if freebusy is None:
        return None

    def ask(rep_ids: Sequence[int], start: datetime, end: datetime) -> set[int]:
        try:
            return set(freebusy([ctx.reps[i] for i in rep_ids], start, end))
        except Exception as exc:  # a calendar outage must not stop allocation
            log.warning("free/busy lookup failed, allocating without it: %s", exc)
            return set()

    return ask


def _live_meeting(case: Case) -> Meeting | None:
    return next((m for m in case.meetings if m.status in LIVE), None)


def _proposed(ctx: _Context, proposal: alloc.Proposal) -> ProposedSlot:
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


def _get_case(db: Db, case_id: int, *, lock: bool = False) -> Case:
    query = (
        select(Case)
        .where(Case.id == case_id)
        .options(
            selectinload(Case.departments).selectinload(Department.representatives),
            selectinload(Case.meetings),
            joinedload(Case.forum),
        )
    )
    if lock:
        # Locked and read afresh: an older copy in this session must not decide.
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
    case = db.scalar(query)
    if case is None:
        raise NotFound(f"No case with id {case_id}.", {"case_id": case_id})
    return case


def propose(
    db: Db,
    case_id: int,
    *,
    now: datetime,
    limit: int = 5,
    freebusy: FreeBusy | None = None,
) -> Proposals:
    """The earliest ``limit`` slots where every required department can attend, or why none."""
    case = _get_case(db, case_id)
    if not case.departments:
        raise Invalid(
            "The case has no required departments; add at least one before asking for slots.",
            {"case_id": case_id},
            reason="no_departments",
        )
    live = _live_meeting(case)
    ctx = _load_context(db, case, now, exclude_meeting_ids=[live.id] if live else ())
    result = _allocate(db, ctx, now, limit=max(1, limit), freebusy=freebusy)
    return Proposals(
        case_id=case.id,
        not_before=ctx.not_before,
        slots=[_proposed(ctx, p) for p in result.proposals],
        blockers=_blockers(result.blockers),
        considered=result.considered,
    )


def next_free_slot(
    db: Db, case_id: int, *, now: datetime, freebusy: FreeBusy | None = None
) -> dict[str, Any] | None:
    """The next slot this case could take (for a 409's details), or None."""
    try:
        proposals = propose(db, case_id, now=now, limit=1, freebusy=freebusy)
    except (NotFound, Invalid):
        return None
    if not proposals.slots:
        return None
    slot = proposals.slots[0]
    tz = ZoneInfo(_get_case(db, case_id).forum.timezone)
    return {
        "slot_id": slot.slot_id,
        "starts_at": slot.starts_at.astimezone(tz).isoformat(),
        "ends_at": slot.ends_at.astimezone(tz).isoformat(),
        "date": slot.local_date.isoformat(),
    }


# ---------------------------------------------------------------- attendees


def _add_buckets(db: Db, meeting: Meeting, representative_id: int) -> None:
    db.add_all(
        RepresentativeBusy(representative_id=representative_id, bucket=b, meeting_id=meeting.id)
        for b in alloc.busy_buckets(meeting.starts_at, meeting.ends_at)
    )


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
    """Invite ``representative`` to ``meeting`` and hold their time (busy buckets).

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
    _add_buckets(db, meeting, representative.id)
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
    """Take an attendee off the meeting (e.g. replaced by a deputy) and free their time."""
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
        ctx = _load_context(
            db,
            meeting.case,
            now,
            exclude_meeting_ids=[meeting.id],
            window=(meeting.starts_at, meeting.ends_at),
        )
        cand = _candidate(slot, slot.session)
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


# ---------------------------------------------------------------- snapshots for the audit trail


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    return {
        "uid": meeting.uid,
        "sequence": meeting.sequence,
        "status": meeting.status,
        "slot_id": meeting.slot_id,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "convener_id": meeting.convener_id,
        "minute_taker_id": meeting.minute_taker_id,
        "attendees": sorted(a.representative_id for a in meeting.attendees if a.active),
        "override_reason": meeting.override_reason,
        "cancel_reason": meeting.cancel_reason,
    }


# ---------------------------------------------------------------- book


def _lock_session_of(db: Db, slot_id: int) -> tuple[Slot, Session]:
    slot = db.get(Slot, slot_id)
    if slot is None:
        raise Invalid(f"No slot with id {slot_id}.", {"slot": slot_id})
    # Lock the afternoon: capacity per session is then checked against committed data only.
    session = db.scalar(select(Session).where(Session.id == slot.session_id).with_for_update())
    assert session is not None
    return slot, session


def _check_slot_usable(
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
    holder = db.scalar(select(Meeting.id).where(Meeting.slot_id == slot.id))
    if holder is not None and (own is None or holder != own.id):
        raise Conflict(f"Slot {slot.id} is already booked.", {"slot": slot.id}, reason="slot_taken")


def _candidate(slot: Slot, session: Session) -> alloc.Candidate:
    return alloc.Candidate(slot.id, session.id, slot.starts_at, slot.ends_at, session.local_date)


def _overridable_problems(
    ctx: _Context, check: alloc.SlotCheck, local_date: date, override_reason: str
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


def _check_extras_free(ctx: _Context, cand: alloc.Candidate, rep_ids: Iterable[int]) -> None:
    for rep_id in rep_ids:
        rep = ctx.reps[rep_id]
        if alloc.is_absent(ctx.world.absences.get(rep_id, ()), cand.local_date):
            raise Conflict(f"{rep.name} is absent that day.", {"representative_id": rep_id})
        if alloc.overlaps(ctx.world.busy.get(rep_id, ()), cand.starts_at, cand.ends_at):
            raise Conflict(
                f"{rep.name} is already in another meeting at that time.",
                {"representative_id": rep_id},
            )


def _race_lost(
    db: Db,
    case_id: int,
    exc: Conflict | None,
    now: datetime,
    freebusy: FreeBusy | None,
) -> Conflict:
    """Roll back and answer a refusal with the next free slot for this case in its details."""
    db.rollback()
    if exc is not None and "next_free_slot" in exc.details:
        return exc
    message = (
        exc.message if exc is not None else "The slot or a representative was taken a moment ago."
    )
    nxt = next_free_slot(db, case_id, now=now, freebusy=freebusy)
    db.rollback()
    hint = f" The next free slot is {nxt['starts_at']} (slot {nxt['slot_id']})." if nxt else ""
    details = dict(exc.details) if exc is not None else {}
    details["next_free_slot"] = nxt
    return Conflict(message + hint, details, reason=exc.reason if exc else "slot_taken")


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
    required department, the convener, the minute-taker and optional attendees.

    Every refusal (Conflict, 409) carries ``details["next_free_slot"]``."""
    if not isinstance(request, BookingRequest):
        try:
            request = BookingRequest.model_validate(request)
        except ValidationError as exc:
            raise Invalid(f"Invalid booking request: {exc.errors()[0]['msg']}", {}) from None
    try:
        return _book(db, case_id, request, actor, now=now, freebusy=freebusy)
    except IntegrityError:
        raise _race_lost(db, case_id, None, now, freebusy) from None
    except Conflict as exc:
        raise _race_lost(db, case_id, exc, now, freebusy) from None


def _book(
    db: Db,
    case_id: int,
    request: BookingRequest,
    actor: audit.Actor,
    *,
    now: datetime,
    freebusy: FreeBusy | None,
) -> Meeting:
    case = _get_case(db, case_id, lock=True)
    if case.status != CaseStatus.RECEIVED or _live_meeting(case) is not None:
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
    people = _validate_request(db, case, request)
    chosen = request.chosen()
    extras = [
        i
        for i in dict.fromkeys(
            [request.convener_id, request.minute_taker_id, *request.extra_attendee_ids]
        )
        if i is not None
    ]
    ctx = _load_context(db, case, now, extra_rep_ids=extras)
    if request.slot == "earliest":
        slot_ids = _earliest_slots(db, ctx, now, chosen, freebusy)
    else:
        slot_ids = [request.slot]

    refusal: Conflict | None = None
    for slot_id in slot_ids:
        # "earliest" moves on to the next feasible slot when a concurrent booking took one.
        try:
            slot, cand, check = _claim_slot(db, ctx, slot_id, request, chosen, now, freebusy)
        except Conflict as exc:
            refusal = refusal or exc
            continue
        assigned = set(check.assignments.values())
        extra_only = [i for i in extras if i not in assigned]
        _check_extras_free(ctx, cand, extra_only)
        return _write_booking(db, ctx, slot, check, extra_only, people, request, actor, now)
    assert refusal is not None
    raise refusal


def _earliest_slots(
    db: Db,
    ctx: _Context,
    now: datetime,
    chosen: Mapping[int, int],
    freebusy: FreeBusy | None,
) -> list[int]:
    result = _allocate(db, ctx, now, limit=EARLIEST_TRIES, freebusy=freebusy, chosen=chosen)
    if not result.proposals:
        blockers = _blockers(result.blockers)
        message = Proposals(ctx.case.id, ctx.not_before, [], blockers, result.considered)
        raise Conflict(
            "No slot fits every department: " + message.explanation,
            {"blockers": [b.__dict__ for b in blockers], "next_free_slot": None},
            reason="no_slot",
        )
    return [p.candidate.slot_id for p in result.proposals]


def _claim_slot(
    db: Db,
    ctx: _Context,
    slot_id: int,
    request: BookingRequest,
    chosen: Mapping[int, int],
    now: datetime,
    freebusy: FreeBusy | None,
) -> tuple[Slot, alloc.Candidate, alloc.SlotCheck]:
    """Lock the slot's afternoon, then check the slot against committed data only."""
    slot, session = _lock_session_of(db, slot_id)
    _check_slot_usable(db, ctx.case, slot, session, now)
    ctx.world = _world(db, ctx, slot.starts_at, slot.ends_at)
    cand = _candidate(slot, session)
    check = alloc.check_slot(
        ctx.depts, cand, ctx.world, chosen=chosen, external_busy=_external_busy(ctx, freebusy)
    )
    _overridable_problems(ctx, check, cand.local_date, request.override_reason)
    return slot, cand, check


def _attach(db: Db, meeting: Meeting, rep: Representative, required: bool, now: datetime) -> None:
    """Add an attendee whose time was just checked; the unique buckets still guard the race."""
    meeting.attendees.append(
        Attendee(
            representative_id=rep.id,
            department_id=rep.department_id,
            required=required,
            invited_at=now,
        )
    )
    _add_buckets(db, meeting, rep.id)


def _recheck_capacity(db: Db, ctx: _Context, slot: Slot) -> None:
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


def _write_booking(
    db: Db,
    ctx: _Context,
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
        _attach(db, meeting, ctx.reps[check.assignments[dept.id]], True, now)
    for rep_id in extra_only:
        _attach(db, meeting, people[rep_id], False, now)
    db.flush()
    if not request.override_reason.strip():
        _recheck_capacity(db, ctx, slot)
    set_case_status(db, case, CaseStatus.BOOKED, actor, now)
    audit.record(
        db,
        actor,
        "meeting",
        meeting.id,
        "book",
        after=meeting_snapshot(meeting),
        case_id=case.id,
        note=meeting.override_reason,
        at=now,
    )
    meeting_changed(db, meeting, "booked", now)
    db.commit()
    return meeting


def _pick_slot(
    db: Db,
    case: Case,
    request: BookingRequest,
    chosen: Mapping[int, int],
    now: datetime,
    freebusy: FreeBusy | None,
    *,
    own: Meeting | None = None,
    preferred: Mapping[int, int] | None = None,
) -> int:
    if request.slot != "earliest":
        return request.slot
    ctx = _load_context(db, case, now, exclude_meeting_ids=[own.id] if own else ())
    result = _allocate(db, ctx, now, limit=1, freebusy=freebusy, chosen=chosen, preferred=preferred)
    if not result.proposals:
        blockers = _blockers(result.blockers)
        message = Proposals(case.id, ctx.not_before, [], blockers, result.considered).explanation
        raise Conflict(
            "No slot fits every department: " + message,
            {"blockers": [b.__dict__ for b in blockers], "next_free_slot": None},
            reason="no_slot",
        )
    return result.proposals[0].candidate.slot_id


# ---------------------------------------------------------------- reschedule and cancel


def _get_meeting(db: Db, meeting_id: int, *, lock: bool = False) -> Meeting:
    query = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    meeting = db.scalar(query)
    if meeting is None:
        raise NotFound(f"No meeting with id {meeting_id}.", {"meeting_id": meeting_id})
    return meeting


def get_meeting(db: Db, meeting_id: int) -> Meeting:
    return _get_meeting(db, meeting_id)


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
    by another of the department's representatives.
    """
    meeting = _get_meeting(db, meeting_id, lock=True)
    case_id = meeting.case_id
    try:
        return _reschedule(db, meeting, slot_id_or_earliest, actor, now, override_reason, freebusy)
    except IntegrityError:
        raise _race_lost(db, case_id, None, now, freebusy) from None
    except Conflict as exc:
        raise _race_lost(db, case_id, exc, now, freebusy) from None


def _reschedule(
    db: Db,
    meeting: Meeting,
    slot_id_or_earliest: int | str,
    actor: audit.Actor,
    now: datetime,
    override_reason: str,
    freebusy: FreeBusy | None,
) -> Meeting:
    if meeting.status not in LIVE:
        raise Conflict(
            f"The meeting is {meeting.status.value}; only a booked or confirmed meeting can move.",
            {"status": meeting.status.value},
        )
    target: int | Literal["earliest"]
    if isinstance(slot_id_or_earliest, int) and not isinstance(slot_id_or_earliest, bool):
        target = slot_id_or_earliest
    elif slot_id_or_earliest == "earliest":
        target = "earliest"
    else:
        raise Invalid('slot must be a slot id or "earliest".', {"slot": str(slot_id_or_earliest)})
    case = meeting.case
    required = {a.department_id: a for a in meeting.attendees if a.active and a.required}
    preferred = {d: a.representative_id for d, a in required.items()}
    request = BookingRequest(slot=target, override_reason=override_reason)
    slot_id = _pick_slot(db, case, request, {}, now, freebusy, own=meeting, preferred=preferred)
    if slot_id == meeting.slot_id:
        raise Conflict(
            "The meeting is already in that slot.", {"slot": slot_id}, reason="same_slot"
        )

    slot, session = _lock_session_of(db, slot_id)
    _check_slot_usable(db, case, slot, session, now, own=meeting)
    ctx = _load_context(
        db,
        case,
        now,
        exclude_meeting_ids=[meeting.id],
        extra_rep_ids=[a.representative_id for a in meeting.attendees],
        window=(slot.starts_at, slot.ends_at),
    )
    cand = _candidate(slot, session)
    check = alloc.check_slot(
        ctx.depts, cand, ctx.world, preferred=preferred, external_busy=_external_busy(ctx, freebusy)
    )
    _overridable_problems(ctx, check, cand.local_date, override_reason)
    kept_extras = [a.representative_id for a in meeting.attendees if a.active and not a.required]
    _check_extras_free(ctx, cand, kept_extras)

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
            _add_buckets(db, meeting, attendee.representative_id)
    db.flush()
    for dept in ctx.depts:
        new_rep = check.assignments[dept.id]
        old = required.get(dept.id)
        if old is None or old.representative_id != new_rep:
            assign_attendee(db, meeting, ctx.reps[new_rep], required=True, now=now)
    db.flush()
    if not override_reason.strip():
        _recheck_capacity(db, ctx, slot)
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
    db.commit()
    return meeting


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
    if meeting.status not in LIVE:
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


__all__ = [
    "MAX_ID",
    "Assignment",
    "BookingPolicy",
    "BookingRequest",
    "FreeBusy",
    "Id",
    "Proposals",
    "assign_attendee",
    "book",
    "cancel_live_meeting",
    "cancel_meeting",
    "case_changed",
    "change_departments",
    "earliest_bookable_date",
    "policy_of",
    "propose",
    "release_attendee",
    "reschedule",
    "set_meeting_status",
]
