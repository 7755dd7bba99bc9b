"""Follow-up timeline: status, reminders (never for passed offsets), overdue list, closing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from followup_world import World, make_case, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseStatus, MeetingStatus
from booking.models import FollowUpPoint, OutboxMessage
from booking.services.errors import Conflict, Forbidden, Invalid
from booking.services.followup import points as svc
from booking.services.followup.policy import FollowupPolicy
from config import Settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 30 November 2026, 09:00 local
SETTINGS = FollowupPolicy.from_settings(replace(Settings(), followup_reminder_days=(7, 1)))


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def _case_in_follow_up(db: Session, world: World):  # type: ignore[no-untyped-def]
    return make_case(
        db,
        world,
        received_at=NOW - timedelta(days=30),
        meeting_at=NOW - timedelta(days=2),
        status=CaseStatus.FOLLOW_UP,
        meeting_status=MeetingStatus.HELD,
    )


def _point(world: World, title: str, due: date) -> svc.PointInput:
    return svc.PointInput(
        title, due, world.departments["bygg"].id, "Rep Bygg", "rep.bygg@x.example"
    )


def _mails(db: Session) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_timeline_status_and_overdue_list(db: Session, world: World) -> None:
    case = _case_in_follow_up(db, world)
    coordinator = world.actor("coordinator")
    late = svc.add_point(
        db, case.id, _point(world, "Svara om detaljplan", date(2026, 11, 27)), coordinator, NOW
    )
    soon = svc.add_point(
        db, case.id, _point(world, "Skicka checklista", date(2026, 12, 4)), coordinator, NOW
    )
    today = date(2026, 11, 30)
    rows = svc.timeline(db, case.id, today)
    assert [(r.point.id, r.status) for r in rows] == [(late.id, "overdue"), (soon.id, "open")]
    assert [p.id for p in svc.overdue(db, today)] == [late.id]
    svc.mark_done(db, late.id, coordinator, NOW)
    assert svc.overdue(db, today) == []
    assert svc.timeline(db, case.id, today)[0].status == "done"


def test_editing_needs_a_coordinator_and_valid_data(db: Session, world: World) -> None:
    case = _case_in_follow_up(db, world)
    with pytest.raises(Forbidden):
        svc.add_point(
            db, case.id, _point(world, "x", date(2026, 12, 4)), world.actor("viewer"), NOW
        )
    bad = svc.PointInput("", date(2026, 12, 4), world.departments["raddning"].id)
    with pytest.raises(Invalid) as error:
        svc.add_point(db, case.id, bad, world.actor("coordinator"), NOW)
    assert set(error.value.details) == {"title", "owner_department_id"}


def test_reminders_sent_once_per_offset_to_the_owner(db: Session, world: World) -> None:
    case = _case_in_follow_up(db, world)
    due = date(2026, 12, 14)
    point = svc.add_point(
        db, case.id, _point(world, "Checklista", due), world.actor("coordinator"), NOW
    )
    assert svc.send_followup_reminders(db, now=NOW, settings=SETTINGS) == 0
    seven_before = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert svc.send_followup_reminders(db, now=seven_before, settings=SETTINGS) == 1
    assert svc.send_followup_reminders(db, now=seven_before, settings=SETTINGS) == 0
    day_before = datetime(2026, 12, 13, 7, 0, tzinfo=UTC)
    assert svc.send_followup_reminders(db, now=day_before, settings=SETTINGS) == 1
    mails = _mails(db)
    assert [m.payload["to"] for m in mails] == [["rep.bygg@x.example"]] * 2
    assert "om 7 dagar" in mails[0].payload["text"] and "i morgon" in mails[1].payload["text"]
    db.refresh(point)
    assert point.reminders_sent == [7, 1]


def test_reminders_not_sent_for_offsets_already_passed(db: Session, world: World) -> None:
    case = _case_in_follow_up(db, world)
    # Created three days before it is due: the seven-day reminder is already passed.
    point = svc.add_point(
        db, case.id, _point(world, "Kort frist", date(2026, 12, 3)), world.actor("coordinator"), NOW
    )
    assert svc.send_followup_reminders(db, now=NOW, settings=SETTINGS) == 0
    db.refresh(point)
    assert point.reminders_sent == [7]
    assert _mails(db) == []
    day_before = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert svc.send_followup_reminders(db, now=day_before, settings=SETTINGS) == 1
    assert "i morgon" in _mails(db)[0].payload["text"]


def test_after_a_worker_pause_only_the_most_urgent_reminder(db: Session, world: World) -> None:
    case = _case_in_follow_up(db, world)
    svc.add_point(
        db, case.id, _point(world, "Paus", date(2026, 12, 20)), world.actor("coordinator"), NOW
    )
    # The worker did not run between the 13th and the 19th.
    assert (
        svc.send_followup_reminders(
            db, now=datetime(2026, 12, 19, 7, tzinfo=UTC), settings=SETTINGS
        )
        == 1
    )
    assert len(_mails(db)) == 1 and "i morgon" in _mails(db)[0].payload["text"]
    # Done points and points on or past their due day get nothing.
    assert (
        svc.send_followup_reminders(
            db, now=datetime(2026, 12, 21, 7, tzinfo=UTC), settings=SETTINGS
        )
        == 0
    )


def test_case_moves_to_follow_up_after_the_meeting_and_closes_when_all_done(
    db: Session, world: World
) -> None:
    case = make_case(
        db, world, received_at=NOW - timedelta(days=30), meeting_at=NOW - timedelta(hours=3)
    )
    future = make_case(db, world, received_at=NOW, meeting_at=NOW + timedelta(days=7))
    assert svc.advance_after_meetings(db, now=NOW) == 1
    db.refresh(case)
    db.refresh(future)
    assert case.status == CaseStatus.FOLLOW_UP and future.status == CaseStatus.CONFIRMED
    coordinator = world.actor("coordinator")
    a = svc.add_point(db, case.id, _point(world, "A", date(2026, 12, 4)), coordinator, NOW)
    b = svc.add_point(db, case.id, _point(world, "B", date(2026, 12, 8)), coordinator, NOW)
    svc.mark_done(db, a.id, coordinator, NOW)
    db.refresh(case)
    assert case.status == CaseStatus.FOLLOW_UP
    svc.mark_done(db, b.id, coordinator, NOW)
    db.refresh(case)
    assert case.status == CaseStatus.CLOSED and case.closed_at == NOW
    with pytest.raises(Conflict, match="read-only"):
        svc.add_point(db, case.id, _point(world, "C", date(2026, 12, 9)), coordinator, NOW)


def test_coordinator_closes_a_case_with_open_points(db: Session, world: World) -> None:
    case = _case_in_follow_up(db, world)
    svc.add_point(
        db, case.id, _point(world, "Öppen", date(2026, 12, 4)), world.actor("coordinator"), NOW
    )
    with pytest.raises(Forbidden):
        svc.close_case(db, case.id, world.actor("representative"), NOW)
    future = make_case(db, world, received_at=NOW, meeting_at=NOW + timedelta(days=7))
    with pytest.raises(Conflict, match="cancel it instead"):
        svc.close_case(db, future.id, world.actor("coordinator"), NOW)
    svc.close_case(db, case.id, world.actor("coordinator"), NOW, "Kunden drog tillbaka ärendet")
    db.refresh(case)
    assert case.status == CaseStatus.CLOSED
    assert svc.overdue(db, date(2027, 1, 1)) == []  # closed cases leave the overdue list
    assert db.scalar(select(FollowUpPoint.status)) == "open"
