"""Booking services on SQLite and PostgreSQL: propose, book, reschedule, cancel, attendees."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import Engine, delete, event, func, select
from sqlalchemy.orm import Session as Db

from booking.app import create_app
from booking.clock import FixedClock
from booking.domain.vocabulary import CaseStatus, MeetingStatus, SessionStatus
from booking.models import (
    Absence,
    AuditEvent,
    Case,
    Department,
    Meeting,
    OutboxMessage,
    Representative,
    RepresentativeBusy,
    Session,
    Slot,
)
from booking.services.audit import Actor
from booking.services.cases import registry as case_svc
from booking.services.demo import demo_user
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.meetings.attendees import assign_attendee, release_attendee
from booking.services.meetings.book import book
from booking.services.meetings.changes import cancel_meeting, reschedule
from booking.services.meetings.held import busy_interval, held_queries, window_params
from booking.services.meetings.policy import policy_of
from booking.services.meetings.proposals import propose
from booking.services.scheduling.sessions import add_extra_session, get_forum
from config import Settings


def dept(db: Db, slug: str) -> Department:
    found = db.scalar(select(Department).where(Department.slug == slug))
    assert found is not None
    return found


def rep(db: Db, email: str) -> Representative:
    found = db.scalar(select(Representative).where(Representative.email == email))
    assert found is not None
    return found


def actor(db: Db) -> Actor:
    return Actor.of(demo_user(db, "coordinator"))


def new_case(db: Db, clock: FixedClock, slugs: tuple[str, ...], forum: str = "mora") -> Case:
    return case_svc.create_case(
        db,
        {
            "forum": forum,
            "org_name": "Café Siljan AB",
            "org_number": "556036-0793",
            "category": "new_establishment",
            "department_ids": [dept(db, s).id for s in slugs],
            "contact_email": "kontakt@cafe.example",
        },
        actor(db),
        now=clock.now(),
    )


def first_slots(db: Db, forum_slug: str, count: int) -> list[Slot]:
    rows = db.scalars(
        select(Slot)
        .join(Session)
        .join(Session.forum)
        .where(Session.status == SessionStatus.SCHEDULED)
        .where(Session.forum.has(slug=forum_slug))
        .order_by(Slot.starts_at)
        .limit(count)
    )
    return list(rows)


def test_case_gets_reference_and_audit(seeded: Db, clock: FixedClock) -> None:
    a = new_case(seeded, clock, ("stadsbyggnad",))
    b = new_case(seeded, clock, ("miljokontoret",))
    assert a.reference == "MORA-2026-0001" and b.reference == "MORA-2026-0002"
    assert a.org_number == "556036-0793" and a.status == CaseStatus.RECEIVED
    events = seeded.scalars(select(AuditEvent).where(AuditEvent.case_id == a.id)).all()
    assert [e.action for e in events] == ["create"]


def test_bad_org_number_is_invalid_and_nothing_is_written(seeded: Db, clock: FixedClock) -> None:
    with pytest.raises(Invalid, match="check digit"):
        case_svc.create_case(
            seeded,
            {
                "forum": "mora",
                "org_name": "X",
                "org_number": "556036-0794",
                "category": "event",
                "department_ids": [dept(seeded, "brandkar").id],
            },
            actor(seeded),
            now=clock.now(),
        )
    assert seeded.scalar(select(func.count()).select_from(Case)) == 0


def test_proposals_respect_minimum_notice_and_spread_load(seeded: Db, clock: FixedClock) -> None:
    case = new_case(seeded, clock, ("stadsbyggnad", "miljokontoret"))
    proposals = propose(seeded, case.id, now=clock.now(), limit=3)
    # Monday 30 Nov + 5 working days = Monday 7 Dec; Mora's first Tuesday is 8 Dec.
    assert proposals.not_before == date(2026, 12, 7)
    assert [s.local_date for s in proposals.slots] == [date(2026, 12, 8)] * 3
    first = proposals.slots[0]
    names = {d.slug: r.name for d, r in first.assignments}
    assert names == {"stadsbyggnad": "Anna Lind", "miljokontoret": "Oskar Falk"}

    meeting = book(seeded, case.id, {"slot": "earliest"}, actor(seeded), now=clock.now())
    assert meeting.slot_id == first.slot_id and meeting.sequence == 0
    assert meeting.uid.endswith("@forum.test")  # the host of PUBLIC_BASE_URL
    # The next case gets the other (non-deputy) representatives: the load is spread.
    other = new_case(seeded, clock, ("stadsbyggnad", "miljokontoret"))
    nxt = propose(seeded, other.id, now=clock.now(), limit=1).slots[0]
    assert {r.name for _, r in nxt.assignments} == {"Erik Holm", "Elin Strand"}


def test_a_proposal_takes_five_statements(seeded: Db, clock: FixedClock) -> None:
    """Every statement is a round trip on PostgreSQL (issue 16): the case with its forum and
    meetings, its departments, their representatives, one for their absences and load, and one
    per window for its free slots, busy times and afternoon use (nine before)."""
    case_id = new_case(seeded, clock, ("stadsbyggnad", "miljokontoret", "brandkar")).id
    seeded.commit()
    seeded.expire_all()  # nothing loaded before: the proposal reads all it needs
    engine = seeded.get_bind()
    assert isinstance(engine, Engine)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        proposals = propose(seeded, case_id, now=clock.now(), limit=5)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(proposals.slots) == 5
    assert len(statements) == 5, "\n---\n".join(statements)


def test_book_writes_attendees_buckets_status_and_audit(seeded: Db, clock: FixedClock) -> None:
    case = new_case(seeded, clock, ("stadsbyggnad",))
    convener = rep(seeded, "karin.sjoberg@mora.example")
    meeting = book(
        seeded,
        case.id,
        {"slot": "earliest", "convener_id": convener.id, "minute_taker_id": convener.id},
        actor(seeded),
        now=clock.now(),
    )
    seeded.expire_all()
    meeting = seeded.get(Meeting, meeting.id)
    assert meeting is not None and meeting.case.status == CaseStatus.BOOKED
    assert sorted((a.representative.name, a.required) for a in meeting.attendees) == [
        ("Anna Lind", True),
        ("Karin Sjöberg", False),
    ]
    buckets = seeded.scalar(select(func.count()).where(RepresentativeBusy.meeting_id == meeting.id))
    assert buckets == 2 * 12  # two people, one hour in five-minute buckets
    actions = [e.action for e in case_svc_history(seeded, case.id)]
    assert actions == ["create", "status", "book"]


def case_svc_history(db: Db, case_id: int) -> list[AuditEvent]:
    return list(
        db.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))
    )


def test_taken_slot_is_409_with_next_free_slot(seeded: Db, clock: FixedClock) -> None:
    a = new_case(seeded, clock, ("stadsbyggnad",))
    b = new_case(seeded, clock, ("miljokontoret",))
    slot = first_slots(seeded, "mora", 1)[0]
    book(seeded, a.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    with pytest.raises(Conflict) as info:
        book(seeded, b.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    nxt = info.value.details["next_free_slot"]
    assert nxt is not None and nxt["slot_id"] != slot.id
    assert "next free slot" in info.value.message


def test_overlap_in_other_forum_blocks_the_representative(seeded: Db, clock: FixedClock) -> None:
    # A joint office serves Mora and Orsa. Orsa adds an extra afternoon on Mora's Tuesday:
    # Anna, booked in Mora at 13:00, cannot be proposed for Orsa at 13:00.
    orsa = get_forum(seeded, "orsa")
    add_extra_session(seeded, orsa, date(2026, 12, 8), actor(seeded), today=date(2026, 11, 30))
    for email in ("erik.holm@moraorsa.example", "sara.nyberg@moraorsa.example"):
        rep(seeded, email).active = False
    seeded.commit()
    mora_case = new_case(seeded, clock, ("stadsbyggnad",))
    mora_slot = first_slots(seeded, "mora", 1)[0]
    book(seeded, mora_case.id, {"slot": mora_slot.id}, actor(seeded), now=clock.now())
    orsa_case = new_case(seeded, clock, ("stadsbyggnad",), forum="orsa")
    first = propose(seeded, orsa_case.id, now=clock.now(), limit=1).slots[0]
    assert first.local_date == date(2026, 12, 8)
    assert first.starts_at == mora_slot.starts_at + timedelta(minutes=75)
    assert [r.name for _, r in first.assignments] == ["Anna Lind"]
    orsa_13 = next(s for s in first_slots(seeded, "orsa", 6) if s.starts_at == mora_slot.starts_at)
    with pytest.raises(Conflict, match="another meeting"):
        book(seeded, orsa_case.id, {"slot": orsa_13.id}, actor(seeded), now=clock.now())


def test_capacity_needs_override_reason(seeded: Db, clock: FixedClock) -> None:
    brand = dept(seeded, "brandkar")
    brand.capacity_per_session = 1
    seeded.commit()
    slots = first_slots(seeded, "mora", 2)
    a = new_case(seeded, clock, ("brandkar",))
    b = new_case(seeded, clock, ("brandkar",))
    book(seeded, a.id, {"slot": slots[0].id}, actor(seeded), now=clock.now())
    with pytest.raises(Conflict, match="capacity"):
        book(seeded, b.id, {"slot": slots[1].id}, actor(seeded), now=clock.now())
    meeting = book(
        seeded,
        b.id,
        {"slot": slots[1].id, "override_reason": "Brandkåren har lovat två personer"},
        actor(seeded),
        now=clock.now(),
    )
    assert meeting.override_reason == "Brandkåren har lovat två personer"
    # "earliest" skips the full session instead.
    c = new_case(seeded, clock, ("brandkar",))
    proposal = propose(seeded, c.id, now=clock.now(), limit=1).slots[0]
    assert proposal.local_date > slots[0].session.local_date


def test_absence_and_blockers(seeded: Db, clock: FixedClock) -> None:
    police = dept(seeded, "polisen")
    for r in police.representatives:
        seeded.add(
            Absence(representative_id=r.id, start_date=date(2026, 1, 1), end_date=date(2030, 1, 1))
        )
    seeded.commit()
    case = new_case(seeded, clock, ("polisen", "brandkar"))
    proposals = propose(seeded, case.id, now=clock.now())
    assert proposals.slots == []
    assert [(b.department, b.reason) for b in proposals.blockers] == [
        ("Polisen, tillståndsenheten", "all_absent")
    ]
    assert "absent" in proposals.explanation
    with pytest.raises(Conflict, match="absent"):
        book(seeded, case.id, {"slot": "earliest"}, actor(seeded), now=clock.now())
    assert seeded.scalar(select(func.count()).select_from(Meeting)) == 0


def test_reschedule_keeps_uid_and_raises_sequence(seeded: Db, clock: FixedClock) -> None:
    case = new_case(seeded, clock, ("stadsbyggnad",))
    slots = first_slots(seeded, "mora", 3)
    meeting = book(seeded, case.id, {"slot": slots[0].id}, actor(seeded), now=clock.now())
    uid = meeting.uid
    moved = reschedule(seeded, meeting.id, slots[2].id, actor(seeded), now=clock.now())
    assert moved.id == meeting.id and moved.uid == uid and moved.sequence == 1
    assert moved.slot_id == slots[2].id and moved.starts_at == slots[2].starts_at
    buckets = seeded.scalars(
        select(RepresentativeBusy.bucket).where(RepresentativeBusy.meeting_id == meeting.id)
    ).all()
    assert min(buckets) == slots[2].starts_at
    # The old slot is free again.
    other = new_case(seeded, clock, ("miljokontoret",))
    book(seeded, other.id, {"slot": slots[0].id}, actor(seeded), now=clock.now())


def test_cancel_frees_slot_and_time(seeded: Db, clock: FixedClock) -> None:
    case = new_case(seeded, clock, ("stadsbyggnad",))
    slot = first_slots(seeded, "mora", 1)[0]
    meeting = book(seeded, case.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    with pytest.raises(Invalid):
        cancel_meeting(seeded, meeting.id, "  ", actor(seeded), now=clock.now())
    cancel_meeting(seeded, meeting.id, "Kunden har ångrat sig", actor(seeded), now=clock.now())
    seeded.expire_all()
    meeting = seeded.get(Meeting, meeting.id)
    assert meeting is not None
    assert meeting.slot_id is None and meeting.status == MeetingStatus.CANCELLED
    assert meeting.sequence == 1 and meeting.attendees
    assert meeting.case.status == CaseStatus.RECEIVED
    assert not seeded.scalar(select(func.count()).select_from(RepresentativeBusy))
    with pytest.raises(Conflict):
        cancel_meeting(seeded, meeting.id, "again", actor(seeded), now=clock.now())
    again = book(seeded, case.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    assert again.uid != meeting.uid


def test_assign_and_release_attendee(seeded: Db, clock: FixedClock) -> None:
    a = new_case(seeded, clock, ("stadsbyggnad",))
    b = new_case(seeded, clock, ("miljokontoret",))
    slot = first_slots(seeded, "mora", 1)[0]
    m1 = book(seeded, a.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    sara = rep(seeded, "sara.nyberg@moraorsa.example")
    attendee = assign_attendee(seeded, m1, sara, required=True, now=clock.now())
    seeded.commit()
    # Sara is now busy at that time in every forum.
    orsa_extra = first_slots(seeded, "mora", 2)[1]
    m2 = book(seeded, b.id, {"slot": orsa_extra.id}, actor(seeded), now=clock.now())
    release_attendee(seeded, attendee)
    seeded.commit()
    assert not attendee.active
    assert assign_attendee(seeded, m2, sara, now=clock.now()).active
    seeded.commit()
    cancel_meeting(seeded, m1.id, "flyttas", actor(seeded), now=clock.now())
    with pytest.raises(Conflict, match="cancelled"):
        assign_attendee(seeded, m1, sara)


def test_unknown_ids(seeded: Db, clock: FixedClock) -> None:
    with pytest.raises(NotFound):
        propose(seeded, 999, now=clock.now())
    with pytest.raises(NotFound):
        reschedule(seeded, 999, "earliest", actor(seeded), now=clock.now())
    case = new_case(seeded, clock, ("stadsbyggnad",))
    with pytest.raises(Invalid, match="No slot"):
        book(seeded, case.id, {"slot": 10**6}, actor(seeded), now=clock.now())


def test_freebusy_port_leaves_out_busy_people_and_an_outage_is_ignored(
    seeded: Db, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    # The port stands in for a CalDAV free/busy query (the CalDAV adapter is another issue's).
    case = new_case(seeded, clock, ("stadsbyggnad",))
    anna = rep(seeded, "anna.lind@moraorsa.example")
    asked: list[list[str]] = []

    def anna_busy(reps: list[Representative], _start: object, _end: object) -> set[int]:
        asked.append([r.name for r in reps])
        return {anna.id}

    first = propose(seeded, case.id, now=clock.now(), limit=1, freebusy=anna_busy).slots[0]
    assert [r.name for _, r in first.assignments] == ["Erik Holm"]
    assert "Anna Lind" in asked[0]

    def outage(_reps: list[Representative], _start: object, _end: object) -> set[int]:
        raise ConnectionError("CalDAV server unreachable")

    first = propose(seeded, case.id, now=clock.now(), limit=1, freebusy=outage).slots[0]
    assert [r.name for _, r in first.assignments] == ["Anna Lind"]
    assert "free/busy lookup failed" in caplog.text

    meeting = book(seeded, case.id, {}, actor(seeded), now=clock.now(), freebusy=anna_busy)
    assert [a.representative.name for a in meeting.attendees] == ["Erik Holm"]


def test_reschedule_replaces_who_cannot_come_and_asks_everyone_again(
    seeded: Db, clock: FixedClock
) -> None:
    case = new_case(seeded, clock, ("stadsbyggnad",))
    slots = first_slots(seeded, "mora", 4)
    meeting = book(seeded, case.id, {"slot": slots[0].id}, actor(seeded), now=clock.now())
    case_svc.transition(seeded, case.id, "confirmed", actor(seeded), now=clock.now())
    anna = rep(seeded, "anna.lind@moraorsa.example")
    later = slots[3]  # the next Mora Tuesday
    seeded.add(
        Absence(
            representative_id=anna.id,
            start_date=later.session.local_date,
            end_date=later.session.local_date,
        )
    )
    seeded.commit()
    moved = reschedule(seeded, meeting.id, later.id, actor(seeded), now=clock.now())
    seeded.expire_all()
    moved = seeded.get(Meeting, moved.id)
    assert moved is not None
    state = sorted((a.representative.name, a.active, a.partstat.value) for a in moved.attendees)
    assert state == [("Anna Lind", False, "NEEDS-ACTION"), ("Erik Holm", True, "NEEDS-ACTION")]
    assert moved.case.status == CaseStatus.BOOKED  # confirmed → booked: replies are asked again
    busy = seeded.scalars(
        select(RepresentativeBusy.representative_id).where(
            RepresentativeBusy.meeting_id == moved.id
        )
    ).all()
    assert set(busy) == {rep(seeded, "erik.holm@moraorsa.example").id}


def test_each_app_applies_its_own_policy_to_its_sessions(
    seeded: Db, clock: FixedClock, settings: Settings
) -> None:
    """The policy travels with the session its app makes: a second app in the same process
    (another municipality's settings) changes nothing for the first."""
    other = create_app(
        replace(settings, min_notice_working_days=10, public_base_url="https://forum.orsa.se"),
        clock=clock,
    )
    case = new_case(seeded, clock, ("stadsbyggnad",))
    with other.extensions["session_factory"]() as strict:
        # Monday 30 Nov + 10 working days (8 Dec is a working day) = Monday 14 Dec.
        assert propose(strict, case.id, now=clock.now(), limit=1).not_before == date(2026, 12, 14)
        meeting = book(strict, case.id, {"slot": "earliest"}, actor(strict), now=clock.now())
        assert meeting.uid.endswith("@forum.orsa.se")
        assert meeting.starts_at.date() >= date(2026, 12, 14)
    other.extensions["engine"].dispose()
    second = new_case(seeded, clock, ("miljokontoret",))
    assert propose(seeded, second.id, now=clock.now(), limit=1).not_before == date(2026, 12, 7)
    assert policy_of(seeded).uid_host == "forum.test"


# ---------------------------------------------------------------- case and meeting never disagree


def _outbox_kinds(db: Db, meeting_id: int) -> list[str]:
    return list(
        db.scalars(select(OutboxMessage.kind).where(OutboxMessage.meeting_id == meeting_id))
    )


def test_held_only_once_the_meeting_has_ended(seeded: Db, clock: FixedClock) -> None:
    case = new_case(seeded, clock, ("stadsbyggnad",))
    slot = first_slots(seeded, "mora", 1)[0]
    meeting = book(seeded, case.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    with pytest.raises(Conflict) as refused:
        case_svc.transition(seeded, case.id, "held", actor(seeded), now=clock.now())
    assert refused.value.reason == "meeting_not_over"
    seeded.rollback()
    seeded.expire_all()
    assert case.status == CaseStatus.BOOKED and meeting.status == MeetingStatus.BOOKED
    # During the meeting it has not ended either.
    with pytest.raises(Conflict, match="once it has ended"):
        case_svc.transition(seeded, case.id, "held", actor(seeded), now=meeting.starts_at)
    seeded.rollback()
    done = case_svc.transition(seeded, case.id, "held", actor(seeded), now=meeting.ends_at)
    seeded.expire_all()
    assert done.status == CaseStatus.HELD and meeting.status == MeetingStatus.HELD


def test_cancelling_a_case_cancels_its_meeting_like_the_cancel_button(
    seeded: Db, clock: FixedClock
) -> None:
    case = new_case(seeded, clock, ("stadsbyggnad", "miljokontoret"))
    slot = first_slots(seeded, "mora", 1)[0]
    meeting = book(seeded, case.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    seeded.execute(delete(OutboxMessage))
    seeded.commit()
    case_svc.transition(
        seeded, case.id, "cancelled", actor(seeded), now=clock.now(), note="Kunden drog tillbaka"
    )
    seeded.expire_all()
    assert case.status == CaseStatus.CANCELLED
    assert meeting.status == MeetingStatus.CANCELLED and meeting.slot_id is None
    assert meeting.sequence == 1 and meeting.cancel_reason == "Kunden drog tillbaka"
    assert not seeded.scalar(select(func.count()).select_from(RepresentativeBusy))
    # The cancellation reaches every attendee and the customer (the cancel button's outbox work).
    kinds = _outbox_kinds(seeded, meeting.id)
    assert kinds and len(set(kinds)) == 2, kinds
    statuses = [
        e.after["status"]
        for e in seeded.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "status")
        )
    ]
    assert statuses[-1] == "cancelled" and "received" not in statuses
    # The slot is free for another case.
    other = new_case(seeded, clock, ("brandkar",))
    book(seeded, other.id, {"slot": slot.id}, actor(seeded), now=clock.now())


def test_cancelling_a_case_marked_held_too_early_cancels_the_meeting(
    seeded: Db, clock: FixedClock
) -> None:
    """Data from before the rule: held on 2 Dec for a meeting on 22 Dec, then cancelled."""
    case = new_case(seeded, clock, ("stadsbyggnad",))
    slot = first_slots(seeded, "mora", 1)[0]
    meeting = book(seeded, case.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    meeting.status = MeetingStatus.HELD
    case.status = CaseStatus.HELD
    seeded.commit()
    case_svc.transition(seeded, case.id, "cancelled", actor(seeded), now=clock.now())
    seeded.expire_all()
    assert case.status == CaseStatus.CANCELLED
    assert meeting.status == MeetingStatus.CANCELLED and meeting.slot_id is None
    assert not seeded.scalar(select(func.count()).select_from(RepresentativeBusy))
    assert _outbox_kinds(seeded, meeting.id)


def test_departments_change_on_a_booked_case_only_for_those_departments(
    seeded: Db, clock: FixedClock
) -> None:
    from booking.domain.vocabulary import PartStat

    case = new_case(seeded, clock, ("stadsbyggnad", "miljokontoret"))
    slot = first_slots(seeded, "mora", 1)[0]
    meeting = book(seeded, case.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    keeper = next(a for a in meeting.attendees if a.department.slug == "stadsbyggnad")
    keeper.partstat = PartStat.ACCEPTED
    seeded.commit()
    leaving = next(a for a in meeting.attendees if a.department.slug == "miljokontoret")
    seeded.execute(delete(OutboxMessage))
    seeded.commit()
    case_svc.update_case(
        seeded,
        case.id,
        {"department_ids": [dept(seeded, "stadsbyggnad").id, dept(seeded, "brandkar").id]},
        actor(seeded),
        now=clock.now(),
    )
    seeded.expire_all()
    assert meeting.status == MeetingStatus.BOOKED and meeting.slot_id == slot.id
    active = {a.department.slug: a for a in meeting.attendees if a.active}
    assert set(active) == {"stadsbyggnad", "brandkar"}
    assert not leaving.active and keeper.active and keeper.partstat == PartStat.ACCEPTED
    assert active["brandkar"].partstat == PartStat.NEEDS_ACTION
    assert meeting.sequence == 1
    busy = set(
        seeded.scalars(
            select(RepresentativeBusy.representative_id).where(
                RepresentativeBusy.meeting_id == meeting.id
            )
        )
    )
    assert busy == {keeper.representative_id, active["brandkar"].representative_id}
    assert _outbox_kinds(seeded, meeting.id)  # the invitation and the CANCEL are due


def test_adding_a_department_with_nobody_free_is_refused(seeded: Db, clock: FixedClock) -> None:
    case = new_case(seeded, clock, ("stadsbyggnad",))
    slot = first_slots(seeded, "mora", 1)[0]
    meeting = book(seeded, case.id, {"slot": slot.id}, actor(seeded), now=clock.now())
    brandkar = dept(seeded, "brandkar")
    for person in brandkar.representatives:
        seeded.add(
            Absence(
                representative_id=person.id,
                start_date=date(2026, 12, 1),
                end_date=date(2026, 12, 31),
            )
        )
    seeded.commit()
    with pytest.raises(Conflict) as refused:
        case_svc.update_case(
            seeded,
            case.id,
            {"department_ids": [dept(seeded, "stadsbyggnad").id, brandkar.id]},
            actor(seeded),
            now=clock.now(),
        )
    assert refused.value.reason == "no_free_representative"
    assert "Brand" in refused.value.message or brandkar.name in refused.value.message
    seeded.rollback()
    seeded.expire_all()
    assert {d.slug for d in case.departments} == {"stadsbyggnad"}
    assert {a.department.slug for a in meeting.attendees if a.active} == {"stadsbyggnad"}


def test_busy_from_the_buckets_is_busy_from_the_attendee_rows(
    seeded: Db, clock: FixedClock
) -> None:
    """Proposals read busy times from the buckets (``held.busy``): after bookings, a move, an
    assigned and a released attendee and a cancellation through the services, they give the
    same intervals as the attendee rows of the meetings not cancelled."""
    now = clock.now()
    slots = first_slots(seeded, "mora", 4)
    cases = [new_case(seeded, clock, slugs) for slugs in (("stadsbyggnad",), ("miljokontoret",))]
    first = book(seeded, cases[0].id, {"slot": slots[0].id}, actor(seeded), now=now)
    second = book(seeded, cases[1].id, {"slot": slots[1].id}, actor(seeded), now=now)
    third = book(
        seeded,
        new_case(seeded, clock, ("stadsbyggnad",)).id,
        {"slot": slots[3].id},
        actor(seeded),
        now=now,
    )
    reschedule(seeded, first.id, slots[2].id, actor(seeded), now=now)
    sara = rep(seeded, "sara.nyberg@moraorsa.example")
    attendee = assign_attendee(seeded, second, sara, required=True, now=now)
    seeded.commit()
    release_attendee(seeded, attendee)
    seeded.commit()
    cancel_meeting(seeded, third.id, "flyttas", actor(seeded), now=now)
    seeded.expire_all()

    rep_ids = list(seeded.scalars(select(Representative.id)))
    lo, hi = now, now + timedelta(days=400)
    params = {"reps": rep_ids, "exclude": [-1], **window_params(lo, hi, first.case.forum_id, UTC)}
    conn = seeded.connection()
    from_buckets = {
        (rep_id, *busy_interval(s, e))
        for rep_id, s, e in conn.execute(held_queries(conn.dialect.name).busy, params)
    }
    from_attendees = {
        (a.representative_id, m.starts_at, m.ends_at)
        for m in seeded.scalars(select(Meeting).where(Meeting.status != MeetingStatus.CANCELLED))
        for a in m.attendees
        if a.active
    }
    assert from_buckets == from_attendees and len(from_attendees) >= 2
