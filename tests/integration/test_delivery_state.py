"""Every message arrives, once, and says what happened (issue 13).

Delivery works from what each recipient last received to what they must hold now, so a
worker (or a mail server) that was behind across book → move → cancel still takes back the
invitation everyone holds, and queued work gives the same result in any order.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from caldav_servers import (  # noqa: F401
    SmtpSink,
    XandikosServer,
    calendar_parts,
    plain_text,
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
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.ical import itip
from booking.ical.serialize import to_bytes
from booking.models import Attendee, Meeting, OutboxMessage
from booking.services.audit import Actor
from booking.services.invitations import answers
from booking.services.invitations import replies as rsvp

CUSTOMER = "kund@foretag.example"
COORDINATOR = Actor.system("test-coordinator")


@pytest.fixture(autouse=True)
def _close_workers() -> Any:
    yield
    close_workers()


def _itip(mail: Any) -> tuple[str, Any]:
    parts = calendar_parts(mail)
    assert len(parts) == 1
    method, payload = parts[0]
    return method, next(iter(Calendar.from_ical(payload).walk("VEVENT")))


def _received(sink: SmtpSink, address: str) -> list[tuple[str, int]]:
    """(METHOD, SEQUENCE) of every iTIP mail to ``address``, in order."""
    return [(m, int(e["SEQUENCE"])) for m, e in (_itip(mail) for mail in sink.to(address))]


def _reverse_queue(db: Session, now: Any) -> None:
    """Make the worker take the queued work newest first."""
    pending = db.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    ).all()
    for i, message in enumerate(pending):
        db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(next_attempt_at=now - timedelta(seconds=i + 1))
        )
    db.commit()


@pytest.mark.parametrize("reverse", [False, True], ids=["queued-order", "reversed"])
def test_moved_then_cancelled_while_worker_was_behind_imip(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink, reverse: bool
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    make_worker(app, smtp_sink.port).tick(clock.now(), force=True)
    # The worker is stopped: the move and the cancellation pile up in the outbox.
    reschedule(db, meeting, world.slots[2], clock.now())
    cancel(db, meeting, clock.now())
    if reverse:
        _reverse_queue(db, clock.now())
    report = make_worker(app, smtp_sink.port).tick(clock.now(), force=True)
    assert report.errors == []
    # Everyone holding the first invitation gets it taken back, with the current SEQUENCE.
    for user in ("anna", "oskar", "lars"):
        assert _received(smtp_sink, world.reps[user].email) == [("REQUEST", 0), ("CANCEL", 2)]
    assert _received(smtp_sink, CUSTOMER) == [("REQUEST", 0), ("CANCEL", 2)]
    db.expire_all()
    assert {a.delivery_state for a in db.scalars(select(Attendee))} == {"cancelled"}
    # Running again sends nothing more.
    count = len(smtp_sink.messages)
    make_worker(app, smtp_sink.port).tick(clock.now() + timedelta(minutes=5), force=True)
    assert len(smtp_sink.messages) == count


def test_nothing_to_anyone_who_never_received_anything(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    reschedule(db, meeting, world.slots[2], clock.now())
    cancel(db, meeting, clock.now())
    report = make_worker(app, smtp_sink.port).tick(clock.now(), force=True)
    assert report.errors == []
    assert smtp_sink.messages == []  # no CANCEL for a meeting nobody was told of
    db.expire_all()
    assert {a.delivery_state for a in db.scalars(select(Attendee))} == {"cancelled"}


@pytest.mark.parametrize("reverse", [False, True], ids=["queued-order", "reversed"])
def test_customer_told_the_new_time_and_the_old_one(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink, reverse: bool
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    make_worker(app, smtp_sink.port).tick(clock.now(), force=True)
    reschedule(db, meeting, world.slots[2], clock.now())
    reschedule(db, meeting, world.slots[3], clock.now())
    if reverse:
        _reverse_queue(db, clock.now())
    make_worker(app, smtp_sink.port).tick(clock.now(), force=True)
    mails = smtp_sink.to(CUSTOMER)
    assert [str(m["Subject"]).split(":")[0] for m in mails] == [
        "Bekräftelse / Confirmation",
        "Ny tid / New time",
    ]
    body = plain_text(mails[1])
    # Swedish first, with English; the time it was moved from is the one the customer had.
    assert (
        "Ny tid / New time: tisdag 22 december 2026, 13:00–14:00 (v. 52), "
        "tidigare / previously tisdag 15 december 2026, 13:00–14:00 (v. 51)"
    ) in body
    assert "Här är tiden" not in body
    method, event = _itip(mails[1])
    assert (method, int(event["SEQUENCE"])) == ("REQUEST", 2)


def test_rescheduled_invitation_asks_again(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    worker = make_worker(app, smtp_sink.port)
    worker.tick(clock.now(), force=True)
    db.expire_all()
    for user in ("anna", "oskar"):
        attendee = db.scalar(
            select(Attendee).where(
                Attendee.meeting_id == meeting.id,
                Attendee.representative_id == world.reps[user].id,
            )
        )
        assert attendee is not None
        rsvp.record_reply(db, attendee, "ACCEPTED", "link", clock.now(), actor=COORDINATOR)
    again = db.get(Meeting, meeting.id)
    assert again is not None
    reschedule(db, again, world.slots[2], clock.now())
    worker.tick(clock.now(), force=True)
    for user in ("anna", "oskar", "lars"):
        method, event = _itip(smtp_sink.to(world.reps[user].email)[-1])
        assert (method, int(event["SEQUENCE"])) == ("REQUEST", 1)
        attendees = event["ATTENDEE"]
        assert {str(a.params["PARTSTAT"]) for a in attendees} == {"NEEDS-ACTION"}, user
        assert {str(a.params["RSVP"]) for a in attendees} == {"TRUE"}


def test_released_attendee_gets_cancel_with_raised_sequence(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    worker = make_worker(app, smtp_sink.port)
    worker.tick(clock.now(), force=True)
    db.expire_all()  # as a new request would: the worker's session recorded the deliveries
    oskar = db.scalar(
        select(Attendee).where(
            Attendee.meeting_id == meeting.id, Attendee.representative_id == world.reps["oskar"].id
        )
    )
    assert oskar is not None
    rsvp.record_reply(db, oskar, "DECLINED", "link", clock.now(), actor=COORDINATOR)
    worker.tick(clock.now(), force=True)
    db.expire_all()
    current = db.get(Meeting, meeting.id)
    assert current is not None and current.sequence == 1
    # Oskar's CANCEL is newer than the REQUEST he holds; the deputy and the others get the
    # version with the new attendee list, at the same SEQUENCE.
    assert _received(smtp_sink, world.reps["oskar"].email) == [("REQUEST", 0), ("CANCEL", 1)]
    assert _received(smtp_sink, world.reps["nils"].email) == [("REQUEST", 1)]
    # The others keep what they have (no new mail for a changed attendee list), and their
    # answer to it still counts.
    for user in ("anna", "lars"):
        assert _received(smtp_sink, world.reps[user].email) == [("REQUEST", 0)]
    anna = db.scalar(
        select(Attendee).where(
            Attendee.meeting_id == meeting.id, Attendee.representative_id == world.reps["anna"].id
        )
    )
    assert anna is not None
    reply = itip.reply(current, anna, "ACCEPTED", organizer_default=ORGANIZER, now=clock.now())
    reply.subcomponents[-1]["SEQUENCE"] = 0  # her client answers the version it holds
    applied = answers.apply_calendar_answers(db, to_bytes(reply), "email", clock.now())
    assert applied.applied == 1
    db.expire_all()
    assert anna.partstat.value == "ACCEPTED"


# ---------------------------------------------------------------- CalDAV (Xandikos)


def _server(xandikos: XandikosServer, users: tuple[str, ...]) -> XandikosServer:
    xandikos.add_user("forum", ORGANIZER)
    for user in users:
        xandikos.add_user(user, PEOPLE[user][2])
    return xandikos


def _copies(server: XandikosServer, user: str, uid: str) -> list[Any]:
    with server.client(user) as client:
        calendar = client.get_principal().get_calendars()[0]
        found = calendar.search(event=True, uid=uid)
        return [next(iter(Calendar.from_ical(o.data).walk("VEVENT"))) for o in found]


def _inbox(server: XandikosServer, user: str, uid: str) -> list[Any]:
    with server.client(user) as client:
        inbox = client.get_principal().schedule_inbox()
        return [
            next(iter(Calendar.from_ical(i.data).walk("VEVENT")))
            for i in inbox.get_items()
            if i.id == uid
        ]


@pytest.mark.parametrize("reverse", [False, True], ids=["queued-order", "reversed"])
def test_moved_then_cancelled_while_worker_was_behind_caldav(
    app: Any,
    db: Session,
    clock: FixedClock,
    xandikos: XandikosServer,
    smtp_sink: SmtpSink,
    reverse: bool,
) -> None:
    # Anna is on the scheduling server; Oskar and Lars are not (3.7), so they get iMIP.
    server = _server(xandikos, ("anna",))
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    worker = make_worker(app, smtp_sink.port, caldav_url=server.url, caldav_user="forum")
    assert worker.tick(clock.now(), force=True).errors == []
    assert len(_copies(server, "anna", meeting.uid)) == 1
    reschedule(db, meeting, world.slots[2], clock.now())
    cancel(db, meeting, clock.now())
    if reverse:
        _reverse_queue(db, clock.now())
    assert worker.tick(clock.now(), force=True).errors == []

    # Through the server: Anna's copy is cancelled with the meeting's SEQUENCE (written as a
    # PUT of the cancelled state, not a DELETE that lets the server pick the SEQUENCE).
    (copy,) = _copies(server, "anna", meeting.uid)
    assert (str(copy["STATUS"]), int(copy["SEQUENCE"])) == ("CANCELLED", 2)
    latest = max(_inbox(server, "anna", meeting.uid), key=lambda e: int(e["SEQUENCE"]))
    assert (str(latest["STATUS"]), int(latest["SEQUENCE"])) == ("CANCELLED", 2)
    # The organizer's copy stays, cancelled (as the feeds keep it).
    (organizer,) = _copies(server, "forum", meeting.uid)
    assert str(organizer["STATUS"]) == "CANCELLED"
    # By e-mail: those who got the REQUEST by mail get the CANCEL by mail.
    for user in ("oskar", "lars"):
        assert _received(smtp_sink, world.reps[user].email) == [("REQUEST", 0), ("CANCEL", 2)]
    assert _received(smtp_sink, world.reps["anna"].email) == []
    assert _received(smtp_sink, CUSTOMER) == [("REQUEST", 0), ("CANCEL", 2)]
    db.expire_all()
    assert {a.delivery_state for a in db.scalars(select(Attendee))} == {"cancelled"}


def test_cancel_before_first_delivery_writes_nothing_to_caldav(
    app: Any, db: Session, clock: FixedClock, xandikos: XandikosServer, smtp_sink: SmtpSink
) -> None:
    server = _server(xandikos, ("anna", "oskar", "lars"))
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    cancel(db, meeting, clock.now())
    worker = make_worker(app, smtp_sink.port, caldav_url=server.url, caldav_user="forum")
    assert worker.tick(clock.now(), force=True).errors == []
    for user in ("forum", "anna", "oskar", "lars"):
        assert _copies(server, user, meeting.uid) == []
    assert smtp_sink.messages == []


def test_rescheduled_invitation_asks_again_caldav(
    app: Any, db: Session, clock: FixedClock, xandikos: XandikosServer, smtp_sink: SmtpSink
) -> None:
    server = _server(xandikos, ("anna", "oskar", "lars"))
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    worker = make_worker(app, smtp_sink.port, caldav_url=server.url, caldav_user="forum")
    assert worker.tick(clock.now(), force=True).errors == []
    with server.client("anna") as client:
        principal = client.get_principal()
        calendar = principal.get_calendars()[0]
        for item in principal.schedule_inbox().get_items():
            if item.is_invite_request() and item.id == meeting.uid:
                item.accept_invite(calendar=calendar)
                item.delete()
    clock.set(clock.now() + timedelta(minutes=1))
    assert worker.tick(clock.now(), force=True).replies == 1
    db.expire_all()
    again = db.get(Meeting, meeting.id)
    assert again is not None
    reschedule(db, again, world.slots[2], clock.now())
    assert worker.tick(clock.now(), force=True).errors == []
    assert worker.tick(clock.now() + timedelta(minutes=2), force=True).errors == []
    # The organizer's copy and the REQUEST the server delivered ask everyone again, as the
    # service shows it ("Inte svarat än"). (Xandikos's inbox auto-apply keeps the attendee's
    # earlier PARTSTAT in her own copy; the iTIP message itself asks again.)
    (organizer,) = _copies(server, "forum", meeting.uid)
    latest = max(_inbox(server, "anna", meeting.uid), key=lambda e: int(e["SEQUENCE"]))
    for event in (organizer, latest):
        assert int(event["SEQUENCE"]) == 1
        assert {str(a.params["PARTSTAT"]) for a in event["ATTENDEE"]} == {"NEEDS-ACTION"}
        assert {str(a.params["RSVP"]) for a in event["ATTENDEE"]} == {"TRUE"}
    db.expire_all()
    assert {a.partstat.value for a in db.scalars(select(Attendee))} == {"NEEDS-ACTION"}
