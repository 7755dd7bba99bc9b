"""PostgreSQL wakes the worker when work is queued (LISTEN/NOTIFY), so a booking's invitations
leave within moments of the commit instead of at the next poll (issue 13)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from caldav_servers import SmtpSink, smtp_sink_fixture  # noqa: F401
from invitation_data import book_meeting, close_workers, make_worker, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.models import Attendee
from booking.services.invitations import outbox


@pytest.fixture(autouse=True)
def _postgresql_only(db: Session) -> Any:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite is polled")
    yield
    close_workers()


def test_a_commit_that_queues_work_wakes_the_waiter_and_a_rollback_does_not(
    app: Any, db: Session, clock: FixedClock
) -> None:
    wakeup = app.extensions["outbox_wakeup_factory"]()
    try:
        assert wakeup.wait(0.2) is False  # nothing queued: the full wait
        outbox.enqueue(db, "email", {"to": ["a@b.example"]}, clock.now())
        db.rollback()
        assert wakeup.wait(0.5) is False  # dropped with the rollback
        outbox.enqueue(db, "email", {"to": ["a@b.example"]}, clock.now())
        db.commit()
        assert wakeup.wait(30) is True  # delivered at the commit
    finally:
        wakeup.close()


def test_the_running_worker_delivers_without_waiting_for_its_poll(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    wakeup = app.extensions["outbox_wakeup_factory"]()
    worker = make_worker(app, smtp_sink.port)
    worker.setup.wait_for_work = wakeup.wait  # type: ignore[attr-defined]
    wakeup.wait(0.01)  # LISTEN from now on: a notification sent mid-round waits on the socket
    stop = threading.Event()
    # A poll far longer than the test waits: only the notification can start the delivery.
    thread = threading.Thread(target=worker.run, args=(clock, stop, 600.0))  # type: ignore[attr-defined]
    thread.start()
    try:
        time.sleep(0.5)  # (mid-round or waiting: either way the booking must get through)
        meeting = book_meeting(db, world, clock.now())
        deadline = time.monotonic() + 60
        states: list[str] = []
        while time.monotonic() < deadline:
            db.expire_all()
            states = list(
                db.scalars(select(Attendee.delivery_state).where(Attendee.meeting_id == meeting.id))
            )
            if states and set(states) == {"delivered"}:
                break
            time.sleep(0.1)
        assert set(states) == {"delivered"}
        invited = {world.reps[user].email for user in ("anna", "oskar", "lars")}
        assert invited <= {to for _, rcpts, _ in smtp_sink.messages for to in rcpts}
    finally:
        stop.set()
        outbox.enqueue(db, "email", {"to": ["x@y.example"]}, clock.now())
        db.commit()  # wakes the worker so that it sees the stop at once
        thread.join(30)
        wakeup.close()
