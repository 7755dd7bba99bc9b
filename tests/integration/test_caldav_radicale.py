"""A CalDAV server without scheduling (Radicale): the organizer's copy is kept there, and every
attendee gets the invitation by iMIP e-mail; a reply through the personal link is recorded."""

from __future__ import annotations

import re
from typing import Any

import pytest
from caldav_servers import (  # noqa: F401
    RadicaleServer,
    SmtpSink,
    calendar_parts,
    plain_text,
    radicale_fixture,
    smtp_sink_fixture,
)
from flask.testing import FlaskClient
from icalendar import Calendar
from invitation_data import book_meeting, close_workers, make_worker, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import PartStat
from booking.models import Attendee, KeyValue


@pytest.fixture(autouse=True)
def _close_workers() -> Any:
    yield
    close_workers()


def test_no_scheduling_means_imip_for_everyone_and_link_reply_recorded(
    app: Any,
    db: Session,
    clock: FixedClock,
    radicale: RadicaleServer,
    smtp_sink: SmtpSink,
    client: FlaskClient,
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now(), contact_email="")
    worker = make_worker(
        app,
        smtp_sink.port,
        caldav_url=radicale.url,
        caldav_user="forum",
        caldav_password="forum-secret",
        remote_user=False,
    )
    report = worker.tick(clock.now(), force=True)
    assert report.errors == []

    # The organizer's copy is on the server (one object, our UID) ...
    with radicale.client("forum") as dav:
        calendars = dav.get_principal().get_calendars()
        assert len(calendars) == 1
        stored = calendars[0].search(event=True)
        assert [str(o.id) for o in stored] == [meeting.uid]
    # ... and, the server having no scheduling, everyone got iMIP.
    links = {}
    for user in ("anna", "oskar", "lars"):
        mails = smtp_sink.to(world.reps[user].email)
        assert len(mails) == 1
        parts = calendar_parts(mails[0])
        assert [m for m, _ in parts] == ["REQUEST"]
        event = next(iter(Calendar.from_ical(parts[0][1]).walk("VEVENT")))
        assert str(event["UID"]) == meeting.uid
        found = re.search(r"http://forum\.test(/r/[\w-]+)", plain_text(mails[0]))
        assert found
        links[user] = found.group(1)
    db.expire_all()
    for attendee in db.scalars(select(Attendee)).all():
        assert (attendee.delivery_state, attendee.delivery_transport) == ("delivered", "imip")
    # The sync token is a real one (Radicale supports RFC 6578), stored in the database.
    token = db.get(KeyValue, "caldav.sync_token")
    assert token is not None and token.value and not token.value.startswith("fake-")

    # Lars replies through his personal link; the service records it with the channel.
    response = client.post(links["lars"], data={"answer": "decline", "note": "Semester"})
    assert response.status_code == 200
    db.expire_all()
    lars = db.scalar(select(Attendee).where(Attendee.representative_id == world.reps["lars"].id))
    assert lars is not None
    assert (lars.partstat, lars.reply_channel, lars.reply_note) == (
        PartStat.DECLINED,
        "link",
        "Semester",
    )
    # A second worker round sends nothing new to the three (no duplicate invitations).
    worker.tick(clock.now(), force=True)
    for user in ("anna", "oskar"):
        assert len(smtp_sink.to(world.reps[user].email)) == 1
