"""Materialised sessions on SQLite and PostgreSQL: idempotent, booked sessions untouched."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from booking.domain.vocabulary import CaseCategory, SessionStatus
from booking.models import Case, Forum, Meeting, PausePeriod, Session, SessionSeries
from booking.services.audit import Actor
from booking.services.errors import Conflict, Invalid
from booking.services.scheduling import sessions as svc

TODAY = date(2026, 11, 30)


def _count(db: Db, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _mora(db: Db) -> Forum:
    return db.scalars(select(Forum).where(Forum.slug == "mora")).one()


def _book_first_slot(db: Db, forum: Forum, day: date) -> Meeting:
    session = db.scalars(
        select(Session).where(Session.forum_id == forum.id, Session.local_date == day)
    ).one()
    slot = session.slots[0]
    case = Case(
        forum_id=forum.id,
        reference="F-TEST-1",
        org_name="Testbolaget AB",
        category=CaseCategory.EVENT,
    )
    meeting = Meeting(
        case=case,
        uid="test-uid@forum.test",
        slot_id=slot.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
    )
    db.add_all([case, meeting])
    db.commit()
    return meeting


def test_demo_seed_materialises_18_months(seeded: Db) -> None:
    mora = _mora(seeded)
    sessions = seeded.scalars(select(Session).where(Session.forum_id == mora.id)).all()
    assert sessions[0].local_date == date(2026, 12, 8)
    assert max(s.local_date for s in sessions) <= date(2028, 5, 30)
    assert len(sessions) >= 38
    skipped = {s.local_date: s.reason for s in sessions if s.status == SessionStatus.SKIPPED}
    assert skipped[date(2027, 1, 5)] == "trettondagsafton (halvdag)"
    assert skipped[date(2027, 3, 2)] == "sportlov"
    assert skipped[date(2027, 6, 22)] == "sommaruppehåll"
    held = [s for s in sessions if s.status == SessionStatus.SCHEDULED]
    assert all(len(s.slots) == 3 for s in held)
    assert all(not s.slots for s in sessions if s.status == SessionStatus.SKIPPED)


def test_regeneration_is_idempotent(seeded: Db) -> None:
    mora = _mora(seeded)
    before = (_count(seeded, Session), sorted(s.id for s in seeded.scalars(select(Session))))
    result = svc.extend_sessions(seeded, mora, TODAY, 18)
    assert (result.created, result.updated) == (0, 0)
    assert (
        _count(seeded, Session),
        sorted(s.id for s in seeded.scalars(select(Session))),
    ) == before


def test_regeneration_applies_a_new_pause_but_leaves_booked_sessions(seeded: Db) -> None:
    mora = _mora(seeded)
    meeting = _book_first_slot(seeded, mora, date(2027, 2, 2))
    series = seeded.scalars(select(SessionSeries).where(SessionSeries.forum_id == mora.id)).one()
    series.pauses.append(
        PausePeriod(
            start_date=date(2027, 1, 25), end_date=date(2027, 2, 20), reason="vinteruppehåll"
        )
    )
    seeded.commit()
    result = svc.extend_sessions(seeded, mora, TODAY, 18)
    assert result.kept_booked == 1
    assert result.updated == 1  # 16 Feb becomes skipped, 2 Feb keeps its booking
    booked = seeded.scalars(
        select(Session).where(Session.local_date == date(2027, 2, 2), Session.forum_id == mora.id)
    ).one()
    assert booked.status == SessionStatus.SCHEDULED
    assert seeded.get(Meeting, meeting.id).slot_id == booked.slots[0].id
    other = seeded.scalars(
        select(Session).where(Session.local_date == date(2027, 2, 16), Session.forum_id == mora.id)
    ).one()
    assert (other.status, other.reason, other.slots) == (
        SessionStatus.SKIPPED,
        "vinteruppehåll",
        [],
    )


def test_cancel_session_needs_reason_and_survives_regeneration(seeded: Db) -> None:
    mora = _mora(seeded)
    session = seeded.scalars(
        select(Session).where(Session.local_date == date(2027, 2, 2), Session.forum_id == mora.id)
    ).one()
    with pytest.raises(Invalid):
        svc.cancel_session(seeded, session.id, "  ", Actor.system())
    svc.cancel_session(seeded, session.id, "personalkonferens", Actor.system())
    svc.extend_sessions(seeded, mora, TODAY, 18)
    seeded.refresh(session)
    assert (session.status, session.reason, session.slots) == (
        SessionStatus.CANCELLED,
        "personalkonferens",
        [],
    )


def test_cancel_session_with_a_booking_is_refused(seeded: Db) -> None:
    mora = _mora(seeded)
    _book_first_slot(seeded, mora, date(2027, 2, 2))
    session = seeded.scalars(
        select(Session).where(Session.local_date == date(2027, 2, 2), Session.forum_id == mora.id)
    ).one()
    with pytest.raises(Conflict):
        svc.cancel_session(seeded, session.id, "sjukdom", Actor.system())
    seeded.refresh(session)
    assert session.status == SessionStatus.SCHEDULED and len(session.slots) == 3


def test_extra_session_on_a_free_tuesday_and_not_twice(seeded: Db) -> None:
    mora = _mora(seeded)
    extra = svc.add_extra_session(seeded, mora, date(2027, 2, 9), Actor.system(), today=TODAY)
    assert extra.is_extra and len(extra.slots) == 3
    with pytest.raises(Conflict):
        svc.add_extra_session(seeded, mora, date(2027, 2, 9), Actor.system(), today=TODAY)
    with pytest.raises(Invalid):
        svc.add_extra_session(seeded, mora, date(2026, 1, 13), Actor.system(), today=TODAY)
    svc.extend_sessions(seeded, mora, TODAY, 18)
    seeded.refresh(extra)
    assert extra.is_extra and len(extra.slots) == 3
