"""Capture every invitation the demo flow writes, as .ics files, for tools/icscheck.

Flow on a throw-away SQLite database with the demo data: register a case, book it, one
representative declines through the link (the deputy is invited), reschedule, cancel. The
outbox is delivered by the real worker code with a mailer that writes each mail's calendar
part to a file (iMIP REQUEST/CANCEL, the customer's confirmation) and a CalDAV stand-in that
keeps the organizer's copy (what the server would store; no METHOD).
Usage: python scripts/capture_invitations.py OUTDIR
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from booking.app import create_app
from booking.clock import FixedClock
from booking.migrate import upgrade
from booking.models import Attendee, Department, Forum
from booking.services.audit import Actor
from booking.services.cases import registry as case_service
from booking.services.demo import seed_demo
from booking.services.invitations import replies as rsvp
from booking.services.invitations.outbox import OutgoingMail
from booking.services.meetings import book as book_service
from booking.services.meetings import changes as meeting_changes
from booking.services.worker import Worker, WorkerSetup
from config import Settings


@dataclass
class Stored:
    href: str
    etag: str
    data: str


class FileCalendar:
    """Keeps the organizer's copies like a server without scheduling would (all get iMIP)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.objects: dict[str, Stored] = {}
        self.writes = 0

    def supports_scheduling(self) -> bool:
        return False

    def get(self, uid: str) -> Stored | None:
        return self.objects.get(uid)

    def put(self, uid: str, data: bytes, *, etag: str | None) -> str:
        self.writes += 1
        self.objects[uid] = Stored(uid, f'"{self.writes}"', data.decode())
        (self.out / f"caldav-copy-{self.writes:02d}.ics").write_bytes(data)
        return f'"{self.writes}"'

    def delete(self, uid: str, *, etag: str) -> None:
        self.objects.pop(uid, None)

    def sync(self, token: str | None) -> object:
        @dataclass
        class Result:
            token: str = "t"
            changed: tuple[()] = ()

        return Result()


class FileMailer:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.count = 0

    def send(self, mail: OutgoingMail) -> None:
        if mail.ics is None:
            return
        self.count += 1
        who = mail.to[0].split("@")[0].replace(".", "-")
        name = f"mail-{self.count:02d}-{(mail.ics_method or 'ics').lower()}-{who}.ics"
        (self.out / name).write_bytes(mail.ics)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'capture.sqlite3'}"
    upgrade(url)
    clock = FixedClock(datetime(2026, 11, 30, 8, tzinfo=UTC))
    settings = replace(
        Settings(), env="test", database_url=url, public_base_url="https://forum.mora.example"
    )
    app = create_app(settings, clock=clock)
    factory = app.extensions["session_factory"]
    calendar = FileCalendar(out)
    mailer = FileMailer(out)
    worker = Worker(
        factory,
        WorkerSetup(
            calendar_factory=lambda: calendar,
            mailer=mailer,
            policies=app.extensions["policies"],
        ),
    )
    actor = Actor.system("capture")
    with factory() as db:
        seed_demo(db, clock.now().date(), 6)
        mora = db.query(Forum).filter_by(slug="mora").one()
        slugs = ("stadsbyggnad", "miljokontoret", "brandkar")
        departments = [db.query(Department).filter_by(slug=s).one().id for s in slugs]
        case = case_service.create_case(
            db,
            {
                "forum": mora.slug,
                "org_name": "Bageri Dalarna AB",
                "contact_name": "Kim Kund",
                "contact_email": "kim@bageri.example",
                "category": "new_establishment",
                "description": "Nytt bageri med servering; bygglov, livsmedel, brandskydd.",
                "department_ids": departments,
                "consent_to_share": True,
            },
            actor,
            now=clock.now(),
        )
        meeting = book_service.book(db, case.id, {"slot": "earliest"}, actor, now=clock.now())
        worker.tick(clock.now(), force=True)
        # A representative declines through the personal link: the deputy is invited.
        clock.set(clock.now() + timedelta(hours=1))
        declining = db.query(Attendee).filter_by(meeting_id=meeting.id, active=True).first()
        assert declining is not None
        rsvp.record_reply(db, declining, "DECLINED", "link", clock.now(), actor=actor)
        worker.tick(clock.now(), force=True)
        clock.set(clock.now() + timedelta(hours=1))
        meeting_changes.reschedule(db, meeting.id, "earliest", actor, now=clock.now())
        worker.tick(clock.now(), force=True)
        clock.set(clock.now() + timedelta(hours=1))
        meeting_changes.cancel_meeting(
            db, meeting.id, "Kunden har skjutit upp", actor, now=clock.now()
        )
        worker.tick(clock.now(), force=True)
    files = sorted(out.glob("*.ics"))
    print(f"captured {len(files)} invitations in {out}")
    if len(files) < 10:
        raise SystemExit("expected at least 10 invitations from the demo flow")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/invitations"))
