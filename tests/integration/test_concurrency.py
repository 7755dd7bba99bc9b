"""No double booking under real concurrency: separate connections, one barrier, many threads.

PostgreSQL is where concurrent writers really race, so with TEST_DATABASE_URL set these tests run
there only; without it they run on SQLite, which serialises writers (busy_timeout).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.domain.vocabulary import CaseCategory, SessionStatus
from booking.models import (
    Case,
    Department,
    Forum,
    Meeting,
    Representative,
    RepresentativeBusy,
    Session,
    Slot,
)
from booking.services.audit import Actor
from booking.services.cases import registry as case_svc
from booking.services.errors import Conflict
from booking.services.meetings.book import book
from booking.services.meetings.changes import cancel_meeting

THREADS = 20


@pytest.fixture(autouse=True)
def _postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql") and os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("run on PostgreSQL, where concurrent writers really race")


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


def own_departments(db: Db, count: int) -> list[Department]:
    """``count`` departments of Forum Mora, each with its own single representative."""
    mora = db.scalar(select(Forum).where(Forum.slug == "mora"))
    assert mora is not None
    made = []
    for i in range(count):
        dept = Department(slug=f"bench-{i}", name=f"Enhet {i:02d}", forums=[mora])
        dept.representatives = [Representative(name=f"Rep {i}", email=f"rep{i}@x.example")]
        db.add(dept)
        made.append(dept)
    db.commit()
    return made


def make_case(db: Db, clock: FixedClock, dept_ids: list[int]) -> int:
    case = case_svc.create_case(
        db,
        {
            "forum": "mora",
            "org_name": "Race AB",
            "category": CaseCategory.EVENT.value,
            "department_ids": dept_ids,
        },
        Actor.system("test"),
        now=clock.now(),
    )
    return case.id


def race(app: Flask, jobs: list[Callable[[Db], Any]]) -> list[Any]:
    """Run every job in its own thread and database session, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        db: Db = app.extensions["session_factory"]()
        try:
            barrier.wait(timeout=30)
            results[i] = jobs[i](db)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def booker(case_id: int, slot_id: int, clock: FixedClock) -> Callable[[Db], Any]:
    def job(db: Db) -> int:
        meeting = book(db, case_id, {"slot": slot_id}, Actor.system("race"), now=clock.now())
        return meeting.id

    return job


def test_twenty_bookings_of_one_slot_one_wins(app: Flask, seeded: Db, clock: FixedClock) -> None:
    depts = own_departments(seeded, THREADS)
    case_ids = [make_case(seeded, clock, [d.id]) for d in depts]
    slot = mora_slots(seeded, 1)[0]
    results = race(app, [booker(c, slot.id, clock) for c in case_ids])

    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1, [r for r in results if not isinstance(r, int | Conflict)]
    for conflict in losers:
        nxt = conflict.details["next_free_slot"]
        assert nxt is not None and nxt["slot_id"] != slot.id
        assert "next free slot" in conflict.message
    seeded.expire_all()
    assert seeded.scalar(select(func.count()).select_from(Meeting)) == 1
    assert seeded.scalar(select(func.count()).where(Case.status == "booked")) == 1


def test_twenty_bookings_of_different_slots_all_succeed(
    app: Flask, seeded: Db, clock: FixedClock
) -> None:
    depts = own_departments(seeded, THREADS)
    case_ids = [make_case(seeded, clock, [d.id]) for d in depts]
    slots = mora_slots(seeded, THREADS)
    results = race(app, [booker(c, s.id, clock) for c, s in zip(case_ids, slots, strict=True)])
    assert all(isinstance(r, int) for r in results), results
    seeded.expire_all()
    booked = seeded.scalars(select(Meeting.slot_id)).all()
    assert sorted(booked) == sorted(s.id for s in slots)
    assert seeded.scalar(select(func.count()).select_from(RepresentativeBusy)) == THREADS * 12


def test_capacity_cannot_be_exceeded_by_a_race(app: Flask, seeded: Db, clock: FixedClock) -> None:
    # One department, capacity one meeting per afternoon, three free representatives and the
    # three slots of one afternoon: only one booking may get in.
    dept = own_departments(seeded, 1)[0]
    dept.capacity_per_session = 1
    dept.representatives.extend(
        Representative(name=f"Extra {i}", email=f"extra{i}@x.example") for i in range(2)
    )
    seeded.commit()
    slots = mora_slots(seeded, 3)
    assert len({s.session_id for s in slots}) == 1
    case_ids = [make_case(seeded, clock, [dept.id]) for _ in slots]
    results = race(app, [booker(c, s.id, clock) for c, s in zip(case_ids, slots, strict=True)])
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, int | Conflict) for r in results), results
    assert any("capacity" in r.message for r in results if isinstance(r, Conflict))


def test_one_representative_two_forums_at_once(app: Flask, seeded: Db, clock: FixedClock) -> None:
    # The same person asked for by Mora and Orsa at the same hour: the busy buckets decide.
    from datetime import date

    from booking.services.scheduling.sessions import add_extra_session, get_forum

    add_extra_session(
        seeded,
        get_forum(seeded, "orsa"),
        date(2026, 12, 8),
        Actor.system("t"),
        today=date(2026, 11, 30),
    )
    stad = seeded.scalar(select(Department).where(Department.slug == "stadsbyggnad"))
    assert stad is not None
    anna = next(r for r in stad.representatives if r.name == "Anna Lind")
    mora_slot = mora_slots(seeded, 1)[0]
    orsa_slot = seeded.scalar(
        select(Slot)
        .join(Session)
        .join(Forum)
        .where(Forum.slug == "orsa", Slot.starts_at == mora_slot.starts_at)
    )
    assert orsa_slot is not None
    jobs = []
    for forum, slot in (("mora", mora_slot), ("orsa", orsa_slot)):
        case = case_svc.create_case(
            seeded,
            {
                "forum": forum,
                "org_name": "Två AB",
                "category": "event",
                "department_ids": [stad.id],
            },
            Actor.system("t"),
            now=clock.now(),
        )
        request = {
            "slot": slot.id,
            "representatives": [{"department_id": stad.id, "representative_id": anna.id}],
        }

        def job(db: Db, case_id: int = case.id, request: dict[str, Any] = request) -> int:
            return book(db, case_id, request, Actor.system("race"), now=clock.now()).id

        jobs.append(job)
    for _ in range(5):  # several rounds: the race must never let both in
        results = race(app, jobs)
        assert sum(isinstance(r, int) for r in results) == 1, results
        assert all(isinstance(r, int | Conflict) for r in results), results
        seeded.expire_all()
        winner = next(r for r in results if isinstance(r, int))
        cancel_meeting(seeded, winner, "next round", Actor.system("t"), now=clock.now())
