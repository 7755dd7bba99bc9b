"""Allocation rules, one by one: notice, absence, overlap in any forum, capacity, load spread,
deputies last, chosen representatives, calendar free/busy, and why nothing fits."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from booking.domain import allocation as alloc
from booking.holiday_calendar import non_working_days

TUE = date(2026, 12, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def cand(
    slot_id: int, day: date = TUE, hour: int = 12, minute: int = 0, session: int = 1
) -> alloc.Candidate:
    start = at(day, hour, minute)
    return alloc.Candidate(slot_id, session, start, start + timedelta(hours=1), day)


def dept(dept_id: int, *reps: alloc.Rep, capacity: int = 3, name: str = "") -> alloc.Dept:
    return alloc.Dept(dept_id, name or f"Dept {dept_id}", capacity, tuple(reps))


def rep(rep_id: int, dept_id: int, **kw: bool) -> alloc.Rep:
    return alloc.Rep(rep_id, dept_id, **kw)


BYGG = dept(1, rep(11, 1), rep(12, 1), rep(13, 1, is_deputy=True), name="Stadsbyggnad")
MILJO = dept(2, rep(21, 2), rep(22, 2), name="Miljökontoret")
SLOTS = [cand(1, hour=12), cand(2, hour=13, minute=15), cand(3, hour=14, minute=30)]


def first(
    depts: Sequence[alloc.Dept],
    world: alloc.World,
    slots: Sequence[alloc.Candidate] = SLOTS,
    **kw: object,
) -> alloc.Proposal:
    result = alloc.allocate(depts, slots, world, limit=1, **kw)  # type: ignore[arg-type]
    assert result.proposals, result.blockers
    return result.proposals[0]


def test_earliest_slot_and_a_representative_per_department() -> None:
    proposal = first([BYGG, MILJO], alloc.World())
    assert proposal.candidate.slot_id == 1
    assert proposal.assignments == {1: 11, 2: 21}


def test_minimum_notice_is_counted_in_working_days() -> None:
    holidays = non_working_days({2026, 2027}, include_half_days=False)
    # Monday 30 Nov + 5 working days = Monday 7 Dec.
    assert alloc.earliest_date(date(2026, 11, 30), 5, holidays) == date(2026, 12, 7)
    # Over Christmas: Wed 23 Dec + 5 = Tue 5 Jan; julafton, juldagen, nyårsafton, nyårsdagen
    # and the weekends do not count (28, 29, 30 Dec and 4, 5 Jan do).
    assert alloc.earliest_date(date(2026, 12, 23), 5, holidays) == date(2027, 1, 5)
    too_soon = cand(1, day=date(2026, 12, 1))
    later = cand(2, day=TUE)
    result = alloc.allocate([BYGG], [too_soon, later], alloc.World(), not_before=date(2026, 12, 7))
    assert [p.candidate.slot_id for p in result.proposals] == [2]


def test_absent_representative_is_skipped_and_all_absent_blocks() -> None:
    world = alloc.World(absences={11: [(TUE, TUE)]})
    assert first([BYGG], world).assignments == {1: 12}
    everyone = alloc.World(absences={r.id: [(TUE - timedelta(days=3), TUE)] for r in BYGG.reps})
    result = alloc.allocate([BYGG], SLOTS, everyone)
    assert result.proposals == []
    assert [(b.department, b.reason) for b in result.blockers] == [("Stadsbyggnad", "all_absent")]
    assert result.blockers[0].message == "Stadsbyggnad has every representative absent."


def test_a_meeting_in_another_forum_at_an_overlapping_time_blocks_the_representative() -> None:
    # 11 and 12 sit in a meeting of the other forum 12:30-13:30: the 12:00 and 13:15 slots overlap.
    other = [(at(TUE, 12, 30), at(TUE, 13, 30))]
    world = alloc.World(busy={11: other, 12: other})
    proposal = first([BYGG], world)
    assert proposal.candidate.slot_id == 1 and proposal.assignments == {1: 13}  # the deputy
    no_deputy = dept(1, rep(11, 1), rep(12, 1))
    result = alloc.allocate([no_deputy], SLOTS, world, limit=1)
    assert result.proposals[0].candidate.slot_id == 3
    assert alloc.check_slot([no_deputy], SLOTS[0], world).problems == {1: alloc.ALL_BUSY}


def test_back_to_back_meetings_do_not_overlap() -> None:
    busy = [(at(TUE, 11), at(TUE, 12))]
    assert not alloc.overlaps(busy, at(TUE, 12), at(TUE, 13))
    assert alloc.overlaps(busy, at(TUE, 11, 55), at(TUE, 13))
    assert alloc.overlaps([(at(TUE, 9), at(TUE, 17))], at(TUE, 12), at(TUE, 13))
    assert not alloc.overlaps(
        [(at(TUE - timedelta(days=1), 12), at(TUE - timedelta(days=1), 13))],
        at(TUE, 12),
        at(TUE, 13),
    )


def test_capacity_per_session_is_respected() -> None:
    full = alloc.World(usage={(1, 1): 3})
    small = dept(1, rep(11, 1), capacity=3, name="Brandkår")
    slots = [cand(1, session=1), cand(2, day=TUE + timedelta(days=14), session=2)]
    proposal = first([small], full, slots)
    assert proposal.candidate.slot_id == 2
    check = alloc.check_slot([small], slots[0], full)
    assert check.problems == {1: alloc.CAPACITY_FULL}
    assert check.only({alloc.CAPACITY_FULL}) and check.assignments == {1: 11}
    result = alloc.allocate([small], slots[:1], full)
    assert [b.reason for b in result.blockers] == ["capacity_full"]


def test_load_is_spread_and_deputies_come_last() -> None:
    world = alloc.World(load={11: 4, 12: 1, 13: 0})
    assert first([BYGG], world).assignments == {1: 12}
    equal = alloc.World(load={11: 2, 12: 2, 13: 0})
    assert first([BYGG], equal).assignments == {1: 11}  # equal load: lowest id, deputy last


def test_only_the_load_that_can_decide_is_counted() -> None:
    """Loads are compared only between two of one department with the same deputy flag
    (``alloc.load_matters``): counting the others' would change no ranking. Checked by ranking
    random departments with every load and with only the loads that matter."""
    rng = random.Random(16)
    for _ in range(300):
        depts = [
            dept(d, *(rep(d * 10 + i, d, is_deputy=rng.random() < 0.4) for i in range(n)))
            for d, n in enumerate(rng.choices(range(4), k=rng.randint(1, 4)), start=1)
        ]
        every = {r.id: rng.randint(0, 3) for d in depts for r in d.reps}
        matters = alloc.load_matters(depts)
        some = {rep_id: n for rep_id, n in every.items() if rep_id in matters}
        preferred = {d.id: d.reps[0].id for d in depts if d.reps and rng.random() < 0.3}
        full = alloc.check_slot(depts, SLOTS[0], alloc.World(load=every), preferred=preferred)
        part = alloc.check_slot(depts, SLOTS[0], alloc.World(load=some), preferred=preferred)
        assert full.assignments == part.assignments
        for d in depts:  # and the whole order, not only the first
            by_every = sorted(d.reps, key=lambda r: alloc._rank(r, alloc.World(load=every), None))
            by_some = sorted(d.reps, key=lambda r: alloc._rank(r, alloc.World(load=some), None))
            assert by_every == by_some
    assert alloc.load_matters([dept(1, rep(11, 1), rep(12, 1, is_deputy=True))]) == set()
    assert alloc.load_matters([BYGG]) == {11, 12}


def test_chosen_and_preferred_representatives() -> None:
    assert first([BYGG], alloc.World(), chosen={1: 12}).assignments == {1: 12}
    assert first([BYGG], alloc.World(), preferred={1: 13}).assignments == {1: 13}
    absent = alloc.World(absences={12: [(TUE, TUE)]})
    check = alloc.check_slot([BYGG], SLOTS[0], absent, chosen={1: 12})
    assert check.problems == {1: alloc.CHOSEN_UNAVAILABLE}
    # A preferred one who cannot come is simply not chosen.
    assert first([BYGG], absent, preferred={1: 12}).assignments == {1: 11}


def test_inactive_representatives_and_departments_without_anyone() -> None:
    nobody = dept(3, rep(31, 3, active=False), name="Polisen")
    empty = dept(4, name="Länsstyrelsen")
    result = alloc.allocate([BYGG, nobody, empty], SLOTS, alloc.World())
    assert {(b.department, b.reason) for b in result.blockers} == {
        ("Polisen", "no_active_representative"),
        ("Länsstyrelsen", "no_active_representative"),
    }
    assert all(b.slots == 3 for b in result.blockers)


def test_calendar_free_busy_leaves_out_busy_people() -> None:
    asked: list[tuple[list[int], datetime]] = []

    def busy_11(ids: Sequence[int], start: datetime, _end: datetime) -> set[int]:
        asked.append((list(ids), start))
        return {11}

    assert first([BYGG], alloc.World(), external_busy=busy_11).assignments == {1: 12}

    def all_busy(ids: Sequence[int], _s: datetime, _e: datetime) -> set[int]:
        return set(ids)

    result = alloc.allocate([BYGG], SLOTS, alloc.World(), external_busy=all_busy)
    assert [b.reason for b in result.blockers] == ["calendar_busy"]


def test_when_departments_never_fit_together_each_reason_is_given() -> None:
    # Bygg can only come at 12:00, Miljö only at 13:15: neither blocks alone, together they do.
    world = alloc.World(
        busy={
            11: [(SLOTS[1].starts_at, SLOTS[2].ends_at)],
            12: [(SLOTS[1].starts_at, SLOTS[2].ends_at)],
            13: [(SLOTS[1].starts_at, SLOTS[2].ends_at)],
            21: [(SLOTS[0].starts_at, SLOTS[0].ends_at), (SLOTS[2].starts_at, SLOTS[2].ends_at)],
            22: [(SLOTS[0].starts_at, SLOTS[0].ends_at), (SLOTS[2].starts_at, SLOTS[2].ends_at)],
        }
    )
    result = alloc.allocate([BYGG, MILJO], SLOTS, world)
    assert result.proposals == []
    assert {(b.department_id, b.reason, b.slots) for b in result.blockers} == {
        (1, "all_busy", 2),
        (2, "all_busy", 2),
    }


def test_no_candidates_no_blockers() -> None:
    result = alloc.allocate([BYGG], [], alloc.World())
    assert result.proposals == [] and result.blockers == [] and result.considered == 0


def test_busy_buckets() -> None:
    buckets = alloc.busy_buckets(at(TUE, 12), at(TUE, 13))
    assert len(buckets) == 12 and buckets[0] == at(TUE, 12) and buckets[-1] == at(TUE, 12, 55)
    odd = alloc.busy_buckets(at(TUE, 12, 7), at(TUE, 12, 16))
    assert odd == [at(TUE, 12, 5), at(TUE, 12, 10), at(TUE, 12, 15)]
    with pytest.raises(ValueError):
        alloc.busy_buckets(at(TUE, 13), at(TUE, 12))


def test_limit_returns_the_earliest_in_order() -> None:
    result = alloc.allocate([BYGG, MILJO], SLOTS, alloc.World(), limit=2)
    assert [p.candidate.slot_id for p in result.proposals] == [1, 2]
