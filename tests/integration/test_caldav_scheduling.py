"""CalDAV implicit scheduling (RFC 6638) against a real Xandikos multi-user server.

The representatives are local users of the server; test clients act as them with the caldav
library (schedule inbox, accept_invite/decline_invite), as Thunderbird or Apple Calendar would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from caldav_servers import (  # noqa: F401
    CyrusServer,
    SmtpSink,
    XandikosServer,
    calendar_parts,
    cyrus_fixture,
    smtp_sink_fixture,
    xandikos_fixture,
)
from icalendar import Calendar
from invitation_data import (
    ORGANIZER,
    PEOPLE,
    book_meeting,
    cancel,
    close_workers,
    make_worker,
    make_world,
    reschedule,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import PartStat
from booking.models import Attendee, Meeting, OutboxMessage
from booking.services.invitations import answers
from booking.services.invitations import replies as rsvp


@pytest.fixture(autouse=True)
def _close_workers() -> Any:
    yield
    close_workers()


Server = XandikosServer | CyrusServer


@pytest.fixture(params=["xandikos", "cyrus"])
def server(request: pytest.FixtureRequest) -> Server:
    """Each scheduling server the service is run against: Xandikos multi-user and Cyrus."""
    if request.param == "cyrus":
        cyrus: CyrusServer = request.getfixturevalue("cyrus")
        return cyrus
    xandikos: XandikosServer = request.getfixturevalue("xandikos")
    xandikos.add_user("forum", ORGANIZER)
    for user, (_, _, mail, _) in PEOPLE.items():
        xandikos.add_user(user, mail)
    return xandikos


def _worker(app: Any, server: Server, sink: SmtpSink) -> Any:
    if isinstance(server, CyrusServer):  # as docs/invitations.md tells an IT department
        return make_worker(
            app,
            sink.port,
            caldav_url=server.url,
            caldav_user="forum",
            caldav_password=server.password,
            remote_user=False,
            features="cyrus",
        )
    return make_worker(app, sink.port, caldav_url=server.url, caldav_user="forum")


def _inbox_requests(server: Server, user: str, uid: str) -> list[Any]:
    with server.client(user) as client:
        inbox = client.get_principal().schedule_inbox()
        return [i for i in inbox.get_items() if i.is_invite_request() and i.id == uid]


def _answer(server: Server, user: str, uid: str, accept: bool) -> None:
    """The representative answers in their calendar client."""
    with server.client(user) as client:
        principal = client.get_principal()
        calendar = principal.get_calendars()[0]
        for item in principal.schedule_inbox().get_items():
            if item.is_invite_request() and item.id == uid:
                if accept:
                    item.accept_invite(calendar=calendar)
                else:
                    item.decline_invite(calendar=calendar)
                item.delete()
                return
    raise AssertionError(f"{user} has no invitation {uid}")


def _copies(server: Server, user: str, uid: str) -> list[Calendar]:
    with server.client(user) as client:
        calendar = client.get_principal().get_calendars()[0]
        found = [o for o in calendar.search(event=True, uid=uid)]
        return [Calendar.from_ical(o.data) for o in found]


def _attendee(db: Session, meeting: Meeting, rep_id: int) -> Attendee:
    db.expire_all()
    found = db.scalar(
        select(Attendee).where(
            Attendee.meeting_id == meeting.id, Attendee.representative_id == rep_id
        )
    )
    assert found is not None
    return found


def test_book_accept_decline_deputy_reschedule_cancel(
    app: Any, db: Session, clock: FixedClock, server: Server, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    worker = _worker(app, server, smtp_sink)
    report = worker.tick(clock.now(), force=True)
    assert report.errors == []

    # Every representative finds the invitation in their schedule inbox; nobody got iMIP.
    for user in ("anna", "oskar", "lars"):
        assert len(_inbox_requests(server, user, meeting.uid)) == 1, user
        assert smtp_sink.to(world.reps[user].email) == []
    db.expire_all()
    for attendee in db.scalars(select(Attendee)).all():
        assert (attendee.delivery_state, attendee.delivery_transport) == ("delivered", "caldav")

    # Anna accepts, Oskar declines, in their own calendars; one sync shows both answers.
    _answer(server, "anna", meeting.uid, accept=True)
    _answer(server, "oskar", meeting.uid, accept=False)
    clock.set(clock.now() + timedelta(minutes=1))
    report = worker.tick(clock.now(), force=True)
    assert report.replies == 2, report.errors
    anna = _attendee(db, meeting, world.reps["anna"].id)
    oskar = _attendee(db, meeting, world.reps["oskar"].id)
    assert (anna.partstat, anna.reply_channel) == (PartStat.ACCEPTED, "caldav")
    assert (oskar.partstat, oskar.reply_channel) == (PartStat.DECLINED, "caldav")
    # Oskar's place went to the deputy, who has not answered yet: 1 of 3.
    count = rsvp.reply_count(db.get(Meeting, meeting.id))  # type: ignore[arg-type]
    assert (count.replied, count.total) == (1, 3)

    # The decline brought in the deputy, who got an invitation; the coordinator was told.
    assert not oskar.active
    nils = _attendee(db, meeting, world.reps["nils"].id)
    assert nils.active and nils.partstat == PartStat.NEEDS_ACTION
    assert len(_inbox_requests(server, "nils", meeting.uid)) == 1
    told = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    assert any("Avböjt" in m.payload["subject"] for m in told)

    # Reschedule: the attendee's copy moves, SEQUENCE rose, still one event.
    new_slot = world.slots[3]
    reschedule(db, db.get(Meeting, meeting.id), new_slot, clock.now())  # type: ignore[arg-type]
    report = worker.tick(clock.now(), force=True)
    assert report.errors == []
    copies = _copies(server, "anna", meeting.uid)
    assert len(copies) == 1
    event = next(iter(copies[0].walk("VEVENT")))
    assert event.decoded("DTSTART") == new_slot.starts_at
    assert int(event["SEQUENCE"]) >= 1
    organizer_copy = _copies(server, "forum", meeting.uid)
    assert len(organizer_copy) == 1

    # Cancel: the attendee's copy is cancelled (Xandikos keeps it with STATUS:CANCELLED).
    cancel(db, db.get(Meeting, meeting.id), clock.now())  # type: ignore[arg-type]
    report = worker.tick(clock.now(), force=True)
    assert report.errors == []
    for user in ("anna", "nils", "lars"):
        copies = _copies(server, user, meeting.uid)
        assert all(str(next(iter(c.walk("VEVENT")))["STATUS"]) == "CANCELLED" for c in copies)
        assert len(copies) <= 1
    # The organizer's copy is kept, cancelled: the cancellation was written as a PUT of the
    # cancelled state (the same on every server), not a DELETE.
    (kept,) = _copies(server, "forum", meeting.uid)
    kept_event = next(iter(kept.walk("VEVENT")))
    assert str(kept_event["STATUS"]) == "CANCELLED"
    assert int(kept_event["SEQUENCE"]) == db.get(Meeting, meeting.id).sequence  # type: ignore[union-attr]


def test_attendee_the_server_cannot_reach_gets_imip(
    app: Any, db: Session, clock: FixedClock, xandikos: XandikosServer, smtp_sink: SmtpSink
) -> None:
    xandikos.add_user("forum", ORGANIZER)
    xandikos.add_user("anna", PEOPLE["anna"][2])  # oskar and lars are not on this server
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    report = _worker(app, xandikos, smtp_sink).tick(clock.now(), force=True)
    assert report.errors == []
    assert smtp_sink.to(world.reps["anna"].email) == []
    for user in ("oskar", "lars"):
        mails = smtp_sink.to(world.reps[user].email)
        assert len(mails) == 1
        assert [m for m, _ in calendar_parts(mails[0])] == ["REQUEST"]
    db.expire_all()
    oskar = _attendee(db, meeting, world.reps["oskar"].id)
    assert (oskar.delivery_state, oskar.delivery_transport) == ("delivered", "imip")
    assert "3.7" in oskar.delivery_error


def test_answer_shown_after_sync_and_malformed_reply_skipped(
    app: Any, db: Session, clock: FixedClock, server: Server, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    first = book_meeting(db, world, clock.now(), contact_email="")
    second = book_meeting(db, world, clock.now(), contact_email="")
    worker = _worker(app, server, smtp_sink)
    worker.tick(clock.now(), force=True)
    # Someone (a buggy client, a script) leaves an unreadable answer in the organizer's copy
    # of the first meeting: a PARTSTAT no RFC knows. The other answers are still processed.
    with server.client("forum") as client:
        from caldav.collection import Calendar as DavCalendar

        stored = DavCalendar(client=client, url=server.calendar_url("forum")).get_event_by_uid(
            first.uid
        )
        broken = Calendar.from_ical(stored.data)
        for prop in next(iter(broken.walk("VEVENT")))["ATTENDEE"]:
            if "anna" in str(prop):
                prop.params["PARTSTAT"] = "MAYBE-LATER"
        response = client.put(
            str(stored.url), broken.to_ical().decode(), {"Content-Type": "text/calendar"}
        )
        assert response.status < 300
    _answer(server, "lars", second.uid, accept=True)
    report = worker.tick(clock.now() + timedelta(minutes=1), force=True)
    assert report.replies == 1
    assert report.skipped_replies >= 1
    lars = _attendee(db, second, world.reps["lars"].id)
    assert lars.partstat == PartStat.ACCEPTED
    anna = _attendee(db, first, world.reps["anna"].id)
    assert anna.partstat == PartStat.NEEDS_ACTION


def test_reply_without_organizer_matched_by_uid_and_address_case_insensitively(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now(), contact_email="")
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook//EN\r\n"
        "METHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"UID:{meeting.uid}\r\nDTSTAMP:20261130T090000Z\r\nSEQUENCE:0\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:MAILTO:Lars@MORA.example\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    report = answers.apply_calendar_answers(db, data, "email", clock.now())
    assert report.applied == 1
    lars = _attendee(db, meeting, world.reps["lars"].id)
    assert (lars.partstat, lars.reply_channel) == (PartStat.ACCEPTED, "email")
    assert (
        answers.apply_calendar_answers(
            db, "BEGIN:VCALENDAR\r\nnonsense", "email", clock.now()
        ).skipped
        == 1
    )
