"""Every timestamp the service writes comes from the injected clock (docs/rules.md).

The rule has two halves: no column reads the wall clock (no Python or server default that
computes "now"), and the flush hook stamps created/updated columns from the session's clock.
Both are checked here with a clock years away from the real date, so a wall-clock stamp shows.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, DateTime
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.db import Base
from booking.domain.vocabulary import CaseCategory
from booking.models import Case, Department, Forum, UTCDateTime

FAR = datetime(2031, 1, 7, 9, 30, tzinfo=UTC)


def _reads_the_wall_clock(column: Column[Any]) -> bool:
    python_side = column.default is not None or column.onupdate is not None
    if isinstance(column.type, DateTime | UTCDateTime) and python_side:
        return True
    server_default = str(getattr(column.server_default, "arg", "")).lower()
    return "now" in server_default or "current_timestamp" in server_default


def test_no_timestamp_column_reads_the_wall_clock() -> None:
    offenders = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if _reads_the_wall_clock(column)
    ]
    assert offenders == []


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


@pytest.mark.skipif(not os.environ.get("TEST_WALL_CLOCK"), reason="only in the any-date run")
def test_the_any_date_run_really_moves_the_wall_clock() -> None:
    moved_to = date.fromisoformat(os.environ["TEST_WALL_CLOCK"])
    assert moved_to <= datetime.now(UTC).date() <= moved_to + timedelta(days=1)
