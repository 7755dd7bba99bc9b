"""Data the CalDAV server refuses, and control characters in a meeting's texts (issue 11, 4).

Before: a description with U+000B (Word's line break) went into the organizer's copy as it was;
Xandikos answered 412 valid-calendar-data, the worker retried for hours, and the case page went
on saying the invitations were on their way.
"""

from __future__ import annotations

from typing import Any

import pytest
from caldav_servers import (  # noqa: F401
    SmtpSink,
    XandikosServer,
    smtp_sink_fixture,
    xandikos_fixture,
)
from flask.testing import FlaskClient
from icalendar import Calendar
from invitation_data import ORGANIZER, PEOPLE, book_meeting, close_workers, make_worker, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import Role
from booking.models import Attendee, Case, OutboxMessage, User


@pytest.fixture(autouse=True)
def _close_workers() -> Any:
    yield
    close_workers()


def _users(server: XandikosServer) -> None:
    server.add_user("forum", ORGANIZER)
    for user, (_, _, mail, _) in PEOPLE.items():
        server.add_user(user, mail)


def _meeting_with_word_text(db: Session, clock: FixedClock) -> Any:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now(), contact_email="")
    # Stored before the input rules existed (or by a script): the writer must cope.
    case = db.get(Case, meeting.case_id)
    assert case is not None
    case.org_name = "Bageri\x0bDalarna\x1b AB"
    case.description = "Rad ett\x0bRad två\x0c"
    db.commit()
    return meeting


def test_control_characters_never_reach_the_calendar_server(
    app: Any, db: Session, clock: FixedClock, xandikos: XandikosServer, smtp_sink: SmtpSink
) -> None:
    _users(xandikos)
    meeting = _meeting_with_word_text(db, clock)
    worker = make_worker(app, smtp_sink.port, caldav_url=xandikos.url, caldav_user="forum")
    report = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]
    assert report.delivered >= 1 and report.failed == 0 and report.retried == 0, report.errors
    with xandikos.client("forum") as client:
        cal = client.get_principal().get_calendars()[0]
        (stored,) = [o for o in cal.search(event=True) if o.id == meeting.uid]
        text = stored.data
    assert not [c for c in text if ord(c) < 0x20 and c not in "\r\n\t"]
    Calendar.from_ical(text)


def test_refused_calendar_data_fails_for_good_and_shows_on_the_case_page(
    app: Any,
    client: FlaskClient,
    db: Session,
    clock: FixedClock,
    xandikos: XandikosServer,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _users(xandikos)
    meeting = _meeting_with_word_text(db, clock)
    # A writer without its guard (what the service sent before): raw control characters.
    monkeypatch.setattr(
        "booking.services.invitations.organizer_copy.to_bytes", lambda cal: cal.to_ical()
    )
    worker = make_worker(app, smtp_sink.port, caldav_url=xandikos.url, caldav_user="forum")
    report = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]
    assert report.failed == 1 and report.retried == 0, report.errors
    db.expire_all()
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation.deliver"))
    assert message is not None and message.status == "failed" and message.attempts == 1
    assert "valid-calendar-data" in message.last_error
    attendees = db.scalars(select(Attendee).where(Attendee.meeting_id == meeting.id)).all()
    assert {a.delivery_state for a in attendees} == {"failed"}
    assert all("valid-calendar-data" in a.delivery_error for a in attendees)
    # Nothing is retried later either.
    again = worker.tick(clock.now().replace(hour=23), force=True)  # type: ignore[attr-defined]
    assert again.retried == 0 and again.failed == 0

    coordinator = User(email="samordnare@mora.example", name="Samordnare", role=Role.COORDINATOR)
    db.add(coordinator)
    db.commit()
    with client.session_transaction() as session:
        session["user_id"] = coordinator.id
    page = client.get(f"/cases/{meeting.case_id}").get_data(as_text=True)
    assert "på väg" not in page.lower()
    assert "valid-calendar-data" in page
