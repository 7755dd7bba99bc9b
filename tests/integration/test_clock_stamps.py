"""Every timestamp the service writes comes from the injected clock (docs/rules.md).

The rule has two halves: no column reads the wall clock (no Python or server default that
computes "now"), and the flush hook stamps created/updated columns from the session's clock.
The first half is read from the model metadata in tests/unit/test_clock_rules.py; the second
is checked here with a clock years away from the real date, so a wall-clock stamp shows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import CaseCategory
from booking.models import Case, Department, Forum

FAR = datetime(2031, 1, 7, 9, 30, tzinfo=UTC)


def test_created_and_updated_come_from_the_injected_clock(db: Session, clock: FixedClock) -> None:
    clock.set(FAR)
    forum = Forum(slug="far", name="Forum Långt bort", municipality="Mora")
    department = Department(slug="bygg-far", name="Bygg")
    db.add_all([forum, department])
    db.flush()
    case = Case(
        forum_id=forum.id,
        reference="F-2031-0001",
        org_name="Framtid AB",
        category=CaseCategory.NEW_ESTABLISHMENT,
    )
    db.add(case)
    db.commit()
    assert forum.created_at == FAR
    assert (case.created_at, case.updated_at, case.received_at) == (FAR, FAR, FAR)
    assert department.updated_at == FAR

    later = FAR + timedelta(days=3, hours=2)
    clock.set(later)
    case.description = "Ändrad"
    db.commit()
    assert case.updated_at == later  # written on change
    assert case.created_at == FAR  # written once
    assert department.updated_at == FAR  # untouched rows keep theirs


def test_a_value_the_service_sets_is_kept(db: Session, clock: FixedClock) -> None:
    clock.set(FAR)
    issued = FAR - timedelta(days=400)
    forum = Forum(slug="kept", name="Forum", municipality="Orsa", created_at=issued)
    db.add(forum)
    db.commit()
    assert forum.created_at == issued
