"""Allocation: which slot, and which representative of every required department.

Pure rules over plain data that the booking service loads in a few set-based queries:
- a slot is a candidate when it is free and at least the minimum notice ahead,
- a department can attend a slot when it has a representative who is active, not absent that
  day, not already in a meeting overlapping the slot in any forum (and, when a calendar tells
  free/busy, not busy there), and the department's capacity for that session is not used up,
- among the representatives who can, the one with the fewest upcoming meetings is chosen
  (regular representatives before deputies), which spreads the load.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from booking.domain.schedule import add_working_days

BUCKET_MINUTES = 5

# Why a department cannot attend a slot (most specific last, see _department_reason).
NO_ACTIVE = "no_active_representative"
ALL_ABSENT = "all_absent"
ALL_BUSY = "all_busy"
CALENDAR_BUSY = "calendar_busy"
CAPACITY_FULL = "capacity_full"
CHOSEN_UNAVAILABLE = "chosen_unavailable"

REASON_TEXT: dict[str, str] = {
    NO_ACTIVE: "has no active representative",
    ALL_ABSENT: "has every representative absent",
    ALL_BUSY: "has every representative already in another meeting at that time",
    CALENDAR_BUSY: "has every free representative busy in their own calendar",
    CAPACITY_FULL: "has no capacity left in that forum session",
    CHOSEN_UNAVAILABLE: "cannot send the chosen representative (absent, busy or inactive)",
}

ExternalBusy = Callable[[Sequence[int], datetime, datetime], Collection[int]]


@dataclass(frozen=True)
class Candidate:
    """A free slot of a scheduled session."""

    slot_id: int
    session_id: int
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    local_date: date


@dataclass(frozen=True)
class Rep:
    id: int
    department_id: int
    active: bool = True
    is_deputy: bool = False


@dataclass(frozen=True)
class Dept:
    id: int
    name: str
    capacity_per_session: int
    reps: tuple[Rep, ...]
    active: bool = True


@dataclass
class World:
    """What is already planned: absences, meetings per representative, use per session."""

    # representative id → absence periods (inclusive local dates)
    absences: Mapping[int, Sequence[tuple[date, date]]] = field(default_factory=dict)
    # representative id → (start, end) of meetings they attend, sorted by start
    busy: Mapping[int, Sequence[tuple[datetime, datetime]]] = field(default_factory=dict)
    # (session id, department id) → number of meetings of that session the department attends
    usage: Mapping[tuple[int, int], int] = field(default_factory=dict)
    # representative id → upcoming meetings (load to spread)
    load: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    candidate: Candidate
    # department id → representative id
    assignments: Mapping[int, int]


@dataclass(frozen=True)
class Blocker:
    department_id: int
    department: str
    reason: str
    slots: int  # in how many free slots this department could not attend

    @property
    def message(self) -> str:
        return f"{self.department} {REASON_TEXT.get(self.reason, self.reason)}."


@dataclass(frozen=True)
class SlotCheck:
    """The outcome for one slot: assignments where possible, a reason per department otherwise."""

    assignments: Mapping[int, int]
    problems: Mapping[int, str]

    @property
    def feasible(self) -> bool:
        return not self.problems

    def only(self, reasons: Collection[str]) -> bool:
        """True when every problem is one of ``reasons`` (capacity may be overridden)."""
        return all(r in reasons for r in self.problems.values())


@dataclass(frozen=True)
class AllocationResult:
    proposals: list[Proposal]
    blockers: list[Blocker]
    considered: int  # free slots looked at
    # department id → why it could not attend, counted over the slots looked at
    failures: Mapping[int, Counter[str]] = field(default_factory=dict)


def earliest_date(today: date, notice_working_days: int, non_working: Mapping[date, str]) -> date:
    """The first local date a meeting may be held on, given the minimum notice."""
    return add_working_days(today, notice_working_days, non_working)


def bucket_floor(at: datetime) -> datetime:
    at = at.astimezone(UTC).replace(second=0, microsecond=0)
    return at - timedelta(minutes=at.minute % BUCKET_MINUTES)


def busy_buckets(start: datetime, end: datetime) -> list[datetime]:
    """The five-minute buckets a meeting occupies: [floor(start), end) in steps of 5 min."""
    if end <= start:
        raise ValueError("a meeting must end after it starts")
    step = timedelta(minutes=BUCKET_MINUTES)
    cursor = bucket_floor(start)
    buckets: list[datetime] = []
    while cursor < end:
        buckets.append(cursor)
        cursor += step
    return buckets


def _bucket_span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    # Overlap is decided at bucket granularity, exactly as the database's unique buckets decide:
    # [floor(start), ceil(end)) to whole five-minute buckets.
    lo = bucket_floor(start)
    hi = bucket_floor(end)
    if hi < end:
        hi += timedelta(minutes=BUCKET_MINUTES)
    return lo, max(hi, lo + timedelta(minutes=BUCKET_MINUTES))


def overlaps(
    intervals: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> bool:
    """Does any of the sorted ``intervals`` share a bucket with [start, end)?"""
    lo, hi = _bucket_span(start, end)
    # Intervals are sorted by start; only those starting before ``hi`` can overlap.
    idx = bisect.bisect_left(intervals, (hi, hi))
    for i in range(idx - 1, -1, -1):
        s, e = intervals[i]
        s_lo, s_hi = _bucket_span(s, e)
        if s_hi > lo and s_lo < hi:
            return True
        if e < lo - timedelta(days=1):
            # Meetings are hours long; nothing earlier than a day before can reach us.
            break
    return False


def is_absent(absences: Sequence[tuple[date, date]], day: date) -> bool:
    return any(start <= day <= end for start, end in absences)


def _rep_reason(rep: Rep, cand: Candidate, world: World) -> str | None:
    if not rep.active:
        return NO_ACTIVE
    if is_absent(world.absences.get(rep.id, ()), cand.local_date):
        return ALL_ABSENT
    if overlaps(world.busy.get(rep.id, ()), cand.starts_at, cand.ends_at):
        return ALL_BUSY
    return None


def _rank(rep: Rep, world: World, preferred: int | None) -> tuple[int, int, int, int]:
    return (0 if rep.id == preferred else 1, int(rep.is_deputy), world.load.get(rep.id, 0), rep.id)


def load_matters(depts: Iterable[Dept]) -> set[int]:
    """The representatives whose load can decide a ranking: ``_rank`` compares loads only of
    two representatives of one department with the same deputy flag, so nobody else's load
    needs counting (counting reads a person's whole history of meetings)."""
    groups: Counter[tuple[int, bool]] = Counter((d.id, r.is_deputy) for d in depts for r in d.reps)
    return {r.id for d in depts for r in d.reps if groups[(d.id, r.is_deputy)] > 1}


def eligible(dept: Dept, cand: Candidate, world: World) -> tuple[list[Rep], str | None]:
    """Representatives of ``dept`` who can attend ``cand`` (best first), or the reason none can."""
    reasons: list[str] = []
    ok: list[Rep] = []
    for rep in dept.reps:
        reason = _rep_reason(rep, cand, world)
        if reason is None:
            ok.append(rep)
        else:
            reasons.append(reason)
    if ok:
        return ok, None
    if not dept.active or not reasons or all(r == NO_ACTIVE for r in reasons):
        return [], NO_ACTIVE
    # The most telling reason among the active ones: busy beats absent when both occur.
    active_reasons = [r for r in reasons if r != NO_ACTIVE]
    return [], ALL_BUSY if ALL_BUSY in active_reasons else ALL_ABSENT


def check_slot(
    depts: Sequence[Dept],
    cand: Candidate,
    world: World,
    *,
    chosen: Mapping[int, int] | None = None,
    preferred: Mapping[int, int] | None = None,
    external_busy: ExternalBusy | None = None,
) -> SlotCheck:
    """Can every department attend ``cand``? ``chosen`` fixes a representative per department,
    ``preferred`` only favours one (e.g. keep the same people on a reschedule)."""
    chosen = chosen or {}
    preferred = preferred or {}
    options: dict[int, list[Rep]] = {}
    problems: dict[int, str] = {}
    for dept in depts:
        reps, reason = eligible(dept, cand, world)
        if dept.id in chosen:
            reps = [r for r in reps if r.id == chosen[dept.id]]
            reason = reason or (None if reps else CHOSEN_UNAVAILABLE)
        if reason is not None:
            problems[dept.id] = reason
            continue
        reps.sort(key=lambda r: _rank(r, world, preferred.get(dept.id)))
        options[dept.id] = reps
    if external_busy is not None and options:
        _drop_calendar_busy(options, problems, cand, external_busy)
    for dept in depts:
        if dept.id not in problems and world.usage.get((cand.session_id, dept.id), 0) >= max(
            dept.capacity_per_session, 0
        ):
            problems[dept.id] = CAPACITY_FULL
    # A department held back only by capacity keeps its representative: capacity can be overridden.
    assignments = {
        d: reps[0].id
        for d, reps in options.items()
        if reps and problems.get(d) in (None, CAPACITY_FULL)
    }
    return SlotCheck(assignments, problems)


def _drop_calendar_busy(
    options: dict[int, list[Rep]],
    problems: dict[int, str],
    cand: Candidate,
    external_busy: ExternalBusy,
) -> None:
    ids = [r.id for reps in options.values() for r in reps]
    busy = set(external_busy(ids, cand.starts_at, cand.ends_at))
    if not busy:
        return
    for dept_id, reps in options.items():
        free = [r for r in reps if r.id not in busy]
        if free:
            options[dept_id] = free
        else:
            problems[dept_id] = CALENDAR_BUSY


def allocate(
    depts: Sequence[Dept],
    candidates: Iterable[Candidate],
    world: World,
    *,
    limit: int = 5,
    not_before: date | None = None,
    external_busy: ExternalBusy | None = None,
    chosen: Mapping[int, int] | None = None,
    preferred: Mapping[int, int] | None = None,
) -> AllocationResult:
    """The first ``limit`` feasible slots (candidates in time order), or why none is.

    A department "blocks" when it could not attend any free slot; when every department could
    attend some slot but never all together, each department's most common reason is reported.
    """
    proposals: list[Proposal] = []
    failures: dict[int, Counter[str]] = {d.id: Counter() for d in depts}
    considered = 0
    for cand in candidates:
        if not_before is not None and cand.local_date < not_before:
            continue
        considered += 1
        check = check_slot(
            depts, cand, world, chosen=chosen, preferred=preferred, external_busy=external_busy
        )
        if check.feasible:
            proposals.append(Proposal(cand, dict(check.assignments)))
            if len(proposals) >= limit:
                break
        else:
            for dept_id, reason in check.problems.items():
                failures[dept_id][reason] += 1
    blockers = [] if proposals else explain(depts, failures, considered)
    return AllocationResult(proposals, blockers, considered, failures)


def explain(
    depts: Sequence[Dept], failures: Mapping[int, Counter[str]], considered: int
) -> list[Blocker]:
    """Which departments block, and why, from the failures counted over ``considered`` slots."""
    if considered == 0:
        return []
    counts = {d.id: failures.get(d.id, Counter()) for d in depts}
    always = [d for d in depts if sum(counts[d.id].values()) == considered]
    chosen = always or [d for d in depts if counts[d.id]]
    return [
        Blocker(d.id, d.name, counts[d.id].most_common(1)[0][0], sum(counts[d.id].values()))
        for d in chosen
    ]
