"""Free/busy (a CalDAV network call, up to the CalDAV timeout) is asked before a booking or a
move locks anything, once per time span, and a lost race is answered without asking again.

The fake calendar looks from another connection, at the moment it is asked, whether the asking
transaction holds a lock: on PostgreSQL ``SELECT ... FOR UPDATE NOWAIT`` on every session, case
and meeting row; on SQLite ``BEGIN IMMEDIATE`` (refused while another connection writes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.domain.vocabulary import SessionStatus
from booking.models import Department, Forum, Meeting, Representative, Session, Slot
from booking.services.audit import Actor
from booking.services.cases import registry as case_svc
from booking.services.errors import Conflict
from booking.services.meetings.book import book
from booking.services.meetings.changes import reschedule

LOCKABLE = ("sessions", "cases", "meetings")


def _probe(app: Flask) -> Callable[[], bool]:
    """A function telling whether some other transaction holds a lock now."""
    engine: Engine = app.extensions["engine"]
    if engine.dialect.name == "postgresql":

        def locked() -> bool:
            with engine.connect() as conn:
                try:
                    for table in LOCKABLE:
                        conn.execute(text(f"SELECT id FROM {table} FOR UPDATE NOWAIT")).all()
                except OperationalError:
                    return True
                finally:
                    conn.rollback()
            return False

        return locked

    path = engine.url.database
    assert path

    def write_locked() -> bool:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
        return False

    return write_locked


class Calendar:
    """A fake free/busy port: nobody is busy; each call records whether a lock was held, and
    ``during_call`` runs inside the call (a competing booking, say)."""

    def __init__(self, locked: Callable[[], bool]) -> None:
        self.locked = locked
        self.calls: list[tuple[datetime, bool]] = []
        self.during_call: Callable[[datetime], None] = lambda _start: None

    def __call__(self, reps: list[Representative], start: datetime, end: datetime) -> set[int]:
        assert reps
        self.calls.append((start, self.locked()))
        self.during_call(start)
        return set()


def mora_slots(db: Db, count: int) -> list[Slot]:
    return list(
        db.scalars(
            select(Slot)
            .join(Session)
            .join(Forum)
            .where(Forum.slug == "mora", Session.status == SessionStatus.SCHEDULED)
            .order_by(Slot.starts_at)
            .limit(count)
        )
    )


def new_case(db: Db, clock: FixedClock, slug: str) -> int:
    dept = db.scalar(select(Department).where(Department.slug == slug))
    assert dept is not None
    case = case_svc.create_case(
        db,
        {"forum": "mora", "org_name": "Lås AB", "category": "event", "department_ids": [dept.id]},
        Actor.system("test"),
        now=clock.now(),
    )
    return case.id


def test_the_probe_sees_a_lock(app: Flask, seeded: Db) -> None:
    """The probe itself works: a locked session row (a write on SQLite) is seen."""
    locked = _probe(app)
    assert not locked()
    other: Db = app.extensions["session_factory"]()
    try:
        session = other.scalar(select(Session).limit(1).with_for_update())
        assert session is not None
        session.reason = "probe"
        other.flush()
        assert locked()
    finally:
        other.rollback()
        other.close()
    assert not locked()


@pytest.mark.parametrize("slot", ["earliest", "chosen"])
def test_freebusy_is_asked_before_the_booking_locks_anything(
    app: Flask, seeded: Db, clock: FixedClock, slot: str
) -> None:
    calendar = Calendar(_probe(app))
    case_id = new_case(seeded, clock, "stadsbyggnad")
    target: int | str = mora_slots(seeded, 2)[1].id if slot == "chosen" else "earliest"
    meeting = book(
        seeded, case_id, {"slot": target}, Actor.system("t"), now=clock.now(), freebusy=calendar
    )
    assert calendar.calls, "free/busy was not asked"
    assert [held for _, held in calendar.calls] == [False] * len(calendar.calls)
    # Each time span is asked once, for every representative of the department at once.
    starts = [start for start, _ in calendar.calls]
    assert len(starts) == len(set(starts))
    assert meeting.starts_at in starts

    moved_to = mora_slots(seeded, 4)[3]
    calendar.calls.clear()
    reschedule(
        seeded, meeting.id, moved_to.id, Actor.system("t"), now=clock.now(), freebusy=calendar
    )
    assert [start for start, _ in calendar.calls] == [moved_to.starts_at]
    assert not calendar.calls[0][1], "free/busy was asked while the move held a lock"


def test_a_lost_race_is_answered_without_asking_the_calendars_again(
    app: Flask, seeded: Db, clock: FixedClock
) -> None:
    """While the calendars are asked, competitors take each slot "earliest" found: every try
    under the lock loses, and the 409 names the next free slot from the answers already given."""
    calendar = Calendar(_probe(app))
    slots = {s.starts_at: s.id for s in mora_slots(seeded, 12)}
    competitors = [new_case(seeded, clock, "miljokontoret") for _ in range(3)]
    case_id = new_case(seeded, clock, "stadsbyggnad")

    def take_the_slot(start: datetime) -> None:
        if not competitors:
            return
        with app.extensions["session_factory"]() as other:
            book(
                other, competitors.pop(), {"slot": slots[start]}, Actor.system("c"), now=clock.now()
            )

    calendar.during_call = take_the_slot
    with pytest.raises(Conflict) as lost:
        book(seeded, case_id, {}, Actor.system("t"), now=clock.now(), freebusy=calendar)
    assert len(calendar.calls) == 3  # the three slots tried; none asked again after the loss
    taken = {start for start, _ in calendar.calls}
    nxt = lost.value.details["next_free_slot"]
    assert nxt is not None and nxt["slot_id"] not in {slots[s] for s in taken}
    assert "next free slot" in lost.value.message
    seeded.rollback()
    assert seeded.scalar(select(Meeting.id).where(Meeting.case_id == case_id)) is None
