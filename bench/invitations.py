"""Benchmark: 100 meetings × 6 attendees delivered through a local Xandikos (RFC 6638).

Prints invitations delivered per second (the worker writing each meeting's organizer copy,
the server scheduling it to six local users) and the time from an attendee's answer in their
calendar to the service showing it: the sync round alone, and end to end with the real worker
loop (poll every second, RSVP sync every --sync seconds).

Usage: .venv/bin/python bench/invitations.py [--meetings 100] [--answers 20] [--sync 5]
Uses a throw-away SQLite database, or DATABASE_URL when it points at PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import types
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def _without_pytest() -> None:
    """tests/caldav_servers.py decorates its fixtures with pytest, which `make install` does
    not bring; the servers themselves need only the demo extra (Xandikos, aiosmtpd). Without
    pytest, a stand-in module whose decorators leave the functions as they are."""
    try:
        import pytest  # noqa: F401
    except ImportError:
        stand_in = types.ModuleType("pytest")

        def fixture(*_args: object, **_kwargs: object) -> object:
            return lambda function: function

        def fail(reason: str = "") -> None:
            raise RuntimeError(reason)

        stand_in.fixture = fixture  # type: ignore[attr-defined]
        stand_in.fail = fail  # type: ignore[attr-defined]
        sys.modules["pytest"] = stand_in


_without_pytest()

from caldav_servers import SmtpSink, XandikosServer  # noqa: E402
from invitation_data import ORGANIZER, PEOPLE, book_meeting, make_worker, make_world  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from booking.app import create_app  # noqa: E402
from booking.clock import SystemClock  # noqa: E402
from booking.domain.vocabulary import PartStat  # noqa: E402
from booking.migrate import upgrade  # noqa: E402
from booking.models import Attendee, OutboxMessage  # noqa: E402
from booking.services.worker import TickReport  # noqa: E402
from config import Settings  # noqa: E402

ATTENDEES = tuple(PEOPLE)  # six representatives, every one invited to every meeting


def answer(server: XandikosServer, user: str, uid: str) -> None:
    with server.client(user) as client:
        principal = client.get_principal()
        calendar = principal.get_calendars()[0]
        for item in principal.schedule_inbox().get_items():
            if item.is_invite_request() and item.id == uid:
                item.accept_invite(calendar=calendar)
                item.delete()
                return
    raise RuntimeError(f"{user} has no invitation {uid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=100)
    parser.add_argument("--answers", type=int, default=20)
    parser.add_argument("--sync", type=int, default=5, help="CALDAV_SYNC_SECONDS")
    parser.add_argument("--workers", type=int, default=1, help="delivery workers in parallel")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-invitations-"))
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        url = f"sqlite:///{base / 'bench.sqlite3'}"
    upgrade(url)
    server = XandikosServer(base / "xandikos")
    server.start()
    sink = SmtpSink()
    sink.start()
    try:
        server.add_user("forum", ORGANIZER)
        for user, (_, _, mail, _) in PEOPLE.items():
            server.add_user(user, mail)
        settings = replace(Settings(), env="test", database_url=url, caldav_sync_seconds=args.sync)
        app = create_app(settings, clock=SystemClock())
        factory = app.extensions["session_factory"]
        with factory() as db:
            world = make_world(db, slots=args.meetings)
            now = datetime.now(UTC)
            t0 = time.perf_counter()
            meetings = [
                book_meeting(db, world, now, people=ATTENDEES, contact_email="")
                for _ in range(args.meetings)
            ]
            booked = time.perf_counter() - t0
            uids = [m.uid for m in meetings]
        workers = [
            make_worker(app, sink.port, caldav_url=server.url, caldav_user="forum")
            for _ in range(args.workers)
        ]
        worker = workers[0]

        def drain(w: object) -> None:
            while True:
                w.deliver(datetime.now(UTC), TickReport())  # type: ignore[attr-defined]
                with factory() as db:
                    left = db.scalar(
                        select(func.count()).where(OutboxMessage.status.in_(["pending", "running"]))
                    )
                if not left:
                    return

        t0 = time.perf_counter()
        threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        with factory() as db:
            delivered = db.scalar(
                select(func.count()).where(
                    Attendee.delivery_state == "delivered", Attendee.delivery_transport == "caldav"
                )
            )
        invitations = args.meetings * len(ATTENDEES)
        print(f"meetings: {args.meetings} × {len(ATTENDEES)} attendees = {invitations} invitations")
        print(f"booking transactions (outbox writes): {booked:.2f} s")
        print(
            f"delivery: {elapsed:.2f} s, {invitations / elapsed:.1f} invitations/s, "
            f"{args.meetings / elapsed:.1f} meetings/s with {args.workers} worker(s); "
            f"delivered via CalDAV: {delivered}"
        )
        worker.sync_replies(datetime.now(UTC), TickReport(), force=True)

        # Answer → shown, the sync round alone (answer, then one forced sync).
        rounds = []
        for i in range(args.answers // 2):
            user = ATTENDEES[i % len(ATTENDEES)]
            uid = uids[i]
            answer(server, user, uid)
            t0 = time.perf_counter()
            worker.sync_replies(datetime.now(UTC), TickReport(), force=True)
            rounds.append(time.perf_counter() - t0)

        # Answer → shown end to end, with the real worker loop running.
        stop = threading.Event()
        loop = make_worker(app, sink.port, caldav_url=server.url, caldav_user="forum")
        policies = loop.setup.policies
        loop.setup.policies = replace(
            policies, worker=replace(policies.worker, caldav_sync_seconds=args.sync)
        )
        thread = threading.Thread(target=loop.run, args=(SystemClock(), stop, 0.5))
        thread.start()
        latencies = []
        try:
            for i in range(args.answers // 2, args.answers):
                user = ATTENDEES[i % len(ATTENDEES)]
                uid = uids[i]
                rep_id = world.reps[user].id
                answer(server, user, uid)
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < args.sync * 4:
                    with factory() as db:
                        shown = db.scalar(
                            select(Attendee.partstat)
                            .join(Attendee.meeting)
                            .where(Attendee.representative_id == rep_id)
                            .where(Attendee.meeting.has(uid=uid))
                        )
                    if shown == PartStat.ACCEPTED:
                        latencies.append(time.perf_counter() - t0)
                        break
                    time.sleep(0.05)
        finally:
            stop.set()
            thread.join(30)
            loop.close()
            for w in workers:
                w.close()
        print(
            f"answer → shown, sync round only: median {statistics.median(rounds) * 1000:.0f} ms, "
            f"max {max(rounds) * 1000:.0f} ms ({len(rounds)} answers)"
        )
        if latencies:
            print(
                f"answer → shown with the worker (sync every {args.sync} s): median "
                f"{statistics.median(latencies):.2f} s, max {max(latencies):.2f} s "
                f"({len(latencies)} of {args.answers - args.answers // 2} answers)"
            )
    finally:
        sink.stop()
        server.stop()


if __name__ == "__main__":
    main()
