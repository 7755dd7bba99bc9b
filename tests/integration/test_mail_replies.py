"""iMIP replies read from the organizer's mailbox: a real IMAP server (Cyrus) on 127.0.0.1.

A representative whose calendar is Outlook or Exchange answers the invitation e-mail; the
answer is an e-mail to the organizer address. The worker reads that mailbox, applies the
answer, and files the message: applied replies in one folder, mail it did not understand in
another, for a person to read. Nothing is deleted and nothing is applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest
from caldav_servers import (  # noqa: F401
    CyrusServer,
    SmtpSink,
    cyrus_mailbox_fixture,
    cyrus_server_fixture,
    smtp_sink_fixture,
)
from invitation_data import book_meeting, close_workers, make_worker, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.adapters.mailbox import ImapConfig, ImapMailbox
from booking.clock import FixedClock
from booking.domain.vocabulary import PartStat
from booking.ical import itip
from booking.ical.serialize import to_bytes
from booking.models import Attendee, AuditEvent, Meeting
from booking.services.invitations import answers
from booking.services.invitations.outbox import TransientError

# Cyrus keeps a user's folders below INBOX: the service finds that out (IMAP NAMESPACE).
DONE, OTHER = "INBOX.Dorren-in-behandlade", "INBOX.Dorren-in-att-lasa"
ORGANIZER = "forum"  # the Cyrus user whose mailbox receives the replies


@pytest.fixture(autouse=True)
def _close_workers() -> Iterator[None]:
    yield
    close_workers()


def _mailbox(server: CyrusServer, password: str | None = None) -> Callable[[], ImapMailbox]:
    config = ImapConfig(
        host="127.0.0.1",
        port=server.imap_port,
        security="none",
        username=ORGANIZER,
        password=server.password if password is None else password,
        timeout=5,
    )
    return lambda: ImapMailbox(config)


def _outlook_reply(meeting: Meeting, attendee: Attendee, partstat: str, now: datetime) -> bytes:
    reply = itip.reply(meeting, attendee, partstat, organizer_default="x@x", now=now)
    del reply.walk("VEVENT")[0]["ORGANIZER"]  # Outlook often drops it
    mail = EmailMessage()
    mail["From"] = attendee.representative.email
    mail["To"] = "forum@mora.example"
    mail["Subject"] = "Avböjd: Forum Mora"
    mail["Message-ID"] = f"<reply-{attendee.id}-{partstat.lower()}@outlook.example>"
    mail.set_content("Jag kan tyvärr inte komma.")
    mail.add_alternative(
        to_bytes(reply), maintype="text", subtype="calendar", params={"method": "REPLY"}
    )
    return mail.as_bytes()


def _out_of_office() -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"] = "oskar@mora.example", "forum@mora.example"
    mail["Subject"] = "Frånvaro: Forum Mora"
    mail.set_content("Jag är på semester till och med den 4 januari.")
    return mail.as_bytes()


def _folders(cyrus: CyrusServer) -> tuple[int, int, int]:
    """Messages in the inbox, the done folder and the folder a person reads."""
    inbox, done, other = (cyrus.count(ORGANIZER, f) for f in ("INBOX", DONE, OTHER))
    return inbox, done, other


def _attendee(db: Session, meeting: Meeting, email: str) -> Attendee:
    db.expire_all()
    return next(a for a in meeting.attendees if a.representative.email == email)


def test_outlook_reply_is_applied_and_filed_other_mail_is_kept_for_a_person(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink, cyrus: CyrusServer
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    worker = make_worker(app, smtp_sink.port, mailbox_factory=_mailbox(cyrus))
    worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]  # invitations sent

    anna = _attendee(db, meeting, "anna@mora.example")
    cyrus.deliver(ORGANIZER, _outlook_reply(meeting, anna, "DECLINED", clock.now()))
    cyrus.deliver(ORGANIZER, _out_of_office())
    report = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]

    assert report.errors == [] and report.replies == 1
    anna = _attendee(db, meeting, "anna@mora.example")
    assert (anna.partstat, anna.reply_channel) == (PartStat.DECLINED, "email")
    assert _folders(cyrus) == (0, 1, 1)

    again = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]
    assert again.errors == [] and again.replies == 0
    assert _folders(cyrus) == (0, 1, 1)


def test_mailbox_refusing_login_loses_nothing_and_other_jobs_run(
    app: Any, db: Session, clock: FixedClock, smtp_sink: SmtpSink, cyrus: CyrusServer
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    anna = _attendee(db, meeting, "anna@mora.example")
    cyrus.deliver(ORGANIZER, _outlook_reply(meeting, anna, "ACCEPTED", clock.now()))
    worker = make_worker(app, smtp_sink.port, mailbox_factory=_mailbox(cyrus, "wrong"))

    report = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]

    assert any("mail replies" in e and "refused" in e for e in report.errors), report.errors
    assert report.delivered > 0  # the invitations went out all the same
    assert _attendee(db, meeting, "anna@mora.example").partstat == PartStat.NEEDS_ACTION
    assert cyrus.count(ORGANIZER, "INBOX") == 1


def test_a_failure_after_the_commit_reads_the_message_again_without_applying_twice(
    app: Any, db: Session, clock: FixedClock, cyrus: CyrusServer
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    anna = _attendee(db, meeting, "anna@mora.example")
    cyrus.deliver(ORGANIZER, _outlook_reply(meeting, anna, "TENTATIVE", clock.now()))

    @contextmanager
    def failing_to_file() -> Iterator[ImapMailbox]:
        with _mailbox(cyrus)() as mailbox:

            def file(uid: str, understood: bool) -> None:
                raise TransientError("connection lost while moving the message")

            mailbox.file = file  # type: ignore[method-assign]
            yield mailbox

    with pytest.raises(TransientError), failing_to_file() as broken:
        answers.import_mailbox_replies(db, broken, clock.now())
    assert _attendee(db, meeting, "anna@mora.example").partstat == PartStat.TENTATIVE
    assert cyrus.count(ORGANIZER, "INBOX") == 1  # still there: it will be read again

    with _mailbox(cyrus)() as mailbox:
        second = answers.import_mailbox_replies(db, mailbox, clock.now())
    assert (second.applied, second.unchanged) == (0, 1)
    assert (cyrus.count(ORGANIZER, "INBOX"), cyrus.count(ORGANIZER, DONE)) == (0, 1)
    replies = db.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "attendee",
            AuditEvent.entity_id == anna.id,
            AuditEvent.action == "reply",
        )
    ).all()
    assert len(replies) == 1  # recorded once, though read twice
    # The auditor can find the e-mail that carried the answer.
    assert f"<reply-{anna.id}-tentative@outlook.example>" in replies[0].note
    assert "anna@mora.example" in replies[0].note
