"""Server time of every web page with the demo data plus 20,000 booked cases.

    .venv/bin/python bench/pages.py                 # SQLite file in a temporary folder
    DATABASE_URL=postgresql:///bench .venv/bin/python bench/pages.py   # an EMPTY PostgreSQL db
    .venv/bin/python bench/pages.py --cases 2000    # the size measured before issue 16

The data: the demo forums, departments and people, then 20,000 cases with meetings spread
from two years back onwards (held ones in the past, booked/confirmed ones ahead),
each with 2–5 departments and their answers; 10 % confidential. The demo's three slots per
forum afternoon cannot hold 20,000 meetings, so extra afternoons (Tuesdays and Thursdays, six
slots each) are added where needed (at 20,000 cases they reach 16 years ahead, and the demo's
14 representatives attend about 5,000 meetings each: a history far longer than a real one).
Rows are written in bulk, not through the booking service (that is measured in
bench/allocation.py); the pages read them exactly as they read real ones.

After the build the statistics are gathered (a committed ANALYZE), at every scale. Each page
is requested through the Flask test client (no network), warmed up, then timed
ROUNDS times; the table gives median and 95th percentile in milliseconds, the CPU time of this
process and the number of SQL statements of one request. The script exits non-zero when a
page's median wall-clock time is over the 100 ms budget: on PostgreSQL the CPU time leaves out
the server's work (a page once took 190 ms wall for 17 ms CPU), so the wall clock is what a user
waits for; on a busy machine it also counts waiting for a core, so read it with the load
average printed below the table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/world.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import world
from sqlalchemy import event, select
from sqlalchemy.orm import Session as Db

from booking.app import close_app, create_app
from booking.clock import FixedClock
from booking.domain.schedule import local_to_utc
from booking.domain.vocabulary import (
    CaseCategory,
    CaseStatus,
    MeetingStatus,
    PartStat,
    SessionStatus,
)
from booking.migrate import upgrade
from booking.models import Attendee, Case, Department, Forum, Meeting, Representative, Session, Slot
from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from config import Settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
CASES = int(os.environ.get("BENCH_CASES", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
BUDGET_MS = 100.0
SLOT_TIMES = [dtime(8, 30), dtime(9, 45), dtime(11, 0), dtime(13, 0), dtime(14, 15), dtime(15, 30)]


def _free_slots(db: Db, forum: Forum) -> list[Slot]:
    taken = set(db.scalars(select(Meeting.slot_id).where(Meeting.slot_id.is_not(None))))
    slots = db.scalars(
        select(Slot)
        .join(Session)
        .where(Session.forum_id == forum.id, Session.status == SessionStatus.SCHEDULED)
    )
    return [s for s in slots if s.id not in taken]


def _add_afternoons(db: Db, forum: Forum, needed: int) -> None:
    """Extra forum days (Tuesdays and Thursdays, six slots) from two years back until the
    forum has ``needed`` free slots."""
    existing = set(db.scalars(select(Session.local_date).where(Session.forum_id == forum.id)))
    day = NOW.date() - timedelta(days=730)
    have = len(_free_slots(db, forum))
    while have < needed:
        if day.weekday() in (1, 3) and day not in existing:
            session = Session(
                forum_id=forum.id,
                local_date=day,
                starts_at=local_to_utc(day, dtime(8, 30), forum.timezone),
                ends_at=local_to_utc(day, dtime(16, 30), forum.timezone),
                status=SessionStatus.SCHEDULED,
                is_extra=True,
            )
            session.slots = [
                Slot(
                    starts_at=local_to_utc(day, t, forum.timezone),
                    ends_at=local_to_utc(day, t, forum.timezone) + timedelta(hours=1),
                )
                for t in SLOT_TIMES
            ]
            db.add(session)
            have += len(SLOT_TIMES)
        day += timedelta(days=1)
    db.flush()


def make_cases(db: Db, count: int) -> None:
    rng = random.Random(2026)
    forums = list(db.scalars(select(Forum).order_by(Forum.id)))
    departments = {
        f.id: [d for d in db.scalars(select(Department)) if f in d.forums] for f in forums
    }
    reps = {
        d.id: [r for r in d.representatives if not r.is_deputy]
        for f in forums
        for d in departments[f.id]
    }
    per_forum = count // len(forums) + 1
    for forum in forums:
        _add_afternoons(db, forum, per_forum)
    free = {f.id: sorted(_free_slots(db, f), key=lambda s: s.starts_at) for f in forums}
    for f in forums:  # spread over the whole period, not only the earliest afternoons
        rng.shuffle(free[f.id])
    for i in range(count):
        forum = forums[i % len(forums)]
        slot = free[forum.id].pop()
        chosen = rng.sample(departments[forum.id], rng.randint(2, 5))
        past = slot.starts_at < NOW
        case = Case(
            forum_id=forum.id,
            reference=f"B{forum.slug.upper()}-{slot.starts_at.year}-{i:05d}",
            org_name=f"Företag {i} AB",
            org_number="",
            contact_name=f"Kontakt {i}",
            contact_email=f"kontakt{i}@foretag.example",
            category=rng.choice(list(CaseCategory)),
            description="Bänkmärkesärende.",
            confidential=rng.random() < 0.1,
            consent_to_share=rng.random() < 0.8,
            status=CaseStatus.CLOSED
            if past
            else rng.choice([CaseStatus.BOOKED, CaseStatus.CONFIRMED]),
            received_at=slot.starts_at - timedelta(days=rng.randint(10, 40)),
            departments=chosen,
        )
        meeting = Meeting(
            case=case,
            uid=f"bench-{i}@dorren-in.local",
            slot_id=slot.id,
            status=MeetingStatus.HELD if past else MeetingStatus.BOOKED,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            location=forum.location,
        )
        for department in chosen:
            rep = rng.choice(reps[department.id])
            answer = rng.choice(
                [PartStat.ACCEPTED, PartStat.ACCEPTED, PartStat.NEEDS_ACTION, PartStat.DECLINED]
            )
            meeting.attendees.append(
                Attendee(
                    representative_id=rep.id,
                    department_id=department.id,
                    partstat=PartStat.ACCEPTED if past else answer,
                    reply_channel="caldav",
                )
            )
        db.add(case)
        if i % 250 == 249:
            db.flush()
    db.flush()
    world.hold_buckets(db)  # proposals read busy times from them, as from real bookings
    db.commit()


def _timed(client, url: str, rounds: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Wall-clock and CPU milliseconds per request. On a shared machine the wall clock also
    counts time spent waiting for a core; the CPU time is what this process spends (SQLite
    runs in this thread, so its work is included; PostgreSQL's is not)."""
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    wall, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.thread_time()
        client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return wall, cpu


def _queries(app, client, url: str) -> int:  # type: ignore[no-untyped-def]
    """SQL statements of one request of the page."""
    count = [0]

    def counted(*_args: object) -> None:
        count[0] += 1

    engine = app.extensions["engine"]
    event.listen(engine, "before_cursor_execute", counted)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count[0]


def _stats(wall: list[float], cpu: list[float]) -> tuple[float, float, float]:
    return statistics.median(wall), statistics.quantiles(wall, n=20)[-1], statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="The database is filled, not emptied: give an empty one.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="an EMPTY database (default: $DATABASE_URL, else a temporary SQLite file)",
    )
    parser.add_argument(
        "--cases", type=int, default=CASES, help=f"booked cases (default $BENCH_CASES or {CASES})"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help=f"timed requests per page (default $BENCH_ROUNDS or {ROUNDS})",
    )
    parser.add_argument(
        "--scale",
        type=world.parse_scales,
        default=None,
        help="after the cases, K-1 copies of the forums, departments, people, sessions, cases "
        "and meetings (bench/world.py), one run per scale, e.g. 1,10; "
        "each in a new database (SQLite, or bench_<pid>_<n> created on the PostgreSQL server "
        "of --database-url and dropped)",
    )
    args = parser.parse_args()
    if args.cases < 1 or args.rounds < 2:
        parser.error("--cases must be at least 1 and --rounds at least 2")
    if args.scale is None:
        url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
        return run(args, url, 1)
    worst = 0
    for scale in args.scale:
        with world.fresh_database(args.database_url) as url:
            print(f"--- scale {scale}×", flush=True)
            worst = max(worst, run(args, url, scale))
    return worst


def run(args: argparse.Namespace, url: str, scale: int) -> int:
    settings = replace(Settings(), env="test", database_url=url, secret_key="bench")
    upgrade(url)
    app = create_app(settings, clock=FixedClock(NOW), test_config={"WTF_CSRF_ENABLED": False})
    started = time.perf_counter()
    with app.app_context():
        db = app.extensions["session_factory"]()
        if not seed_demo(db, NOW.date(), 18):
            print("the database is not empty; give an empty one", file=sys.stderr)
            return 2
        make_cases(db, args.cases)
        world.replicate(app.extensions["engine"], scale - 1)
        # Committed statistics at every scale, as autovacuum gathers them on a live database:
        # without them the plans change whenever autovacuum happens to come round mid-run.
        world.analyze(app.extensions["engine"])
        received = Case(
            forum_id=db.scalar(select(Forum.id).where(Forum.slug == "mora")),
            reference="MORA-2026-9999",
            org_name="Nytt Ärende AB",
            category=CaseCategory.EVENT,
            status=CaseStatus.RECEIVED,
            received_at=NOW,
            departments=list(
                db.scalars(
                    select(Department).where(
                        Department.slug.in_(["stadsbyggnad", "miljokontoret", "brandkar"])
                    )
                )
            ),
        )
        db.add(received)
        db.commit()
        booked = db.scalar(
            select(Case)
            .where(Case.status == CaseStatus.BOOKED, Case.forum_id == received.forum_id)
            .order_by(Case.id)
        )
        rep = db.scalar(
            select(Representative).where(Representative.email == DEMO_LOGINS["representative"])
        )
        afternoon = db.scalar(
            select(Slot.session_id)
            .join(Meeting, Meeting.slot_id == Slot.id)
            .where(Meeting.starts_at > NOW)
            .order_by(Meeting.starts_at)
        )
        ids = {
            "received": received.id,
            "booked": booked.id if booked else 1,
            "rep": rep.id if rep else 1,
            "forum": received.forum_id,
            "afternoon": afternoon or 1,
        }
        meetings = db.query(Meeting).count()
        db.close()
    print(
        f"data: {scale} × (demo + {args.cases} booked cases) ({meetings} meetings), built in "
        f"{time.perf_counter() - started:.1f} s on {url.split(':')[0]}"
    )

    pages = {
        "coordinator": [
            "/overview",
            "/overview?weeks=12",
            "/cases",
            "/cases?q=Företag 1",
            "/cases?status=closed&page=5",
            f"/cases/{ids['booked']}",
            f"/cases/{ids['received']}/book",
            f"/cases/{ids['booked']}/edit",
            "/cases/new",
            f"/cases/{ids['booked']}/followup",
            f"/sessions/{ids['afternoon']}/dagordning",
            "/admin/sessions",
            "/admin/departments",
            f"/admin/representatives/{ids['rep']}",
            "/admin/feeds",
            "/intake",
            "/intake/new",
            "/followup/overdue",
            "/statistics",
            "/me/todo",
        ],
        "admin": [
            "/admin/users",
            "/admin/users/1",
            "/admin/departments/1",
            "/admin/forums",
            f"/admin/forums/{ids['forum']}",
            f"/admin/forums/{ids['forum']}/guides",
            "/admin/routing",
            "/admin/audit",
            "/admin/tokens",
            "/admin/sso",
        ],
        "representative": [
            "/me/meetings",
            "/me/meetings?page=2",
            "/me/todo",
            "/me/todo?page=2",
            "/intake/mine",
        ],
        "viewer": ["/overview", "/cases", "/statistics"],
    }
    results: list[tuple[str, str, float, float, float, int]] = []
    for role, urls in pages.items():
        client = app.test_client()
        response = client.post(
            "/login", data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, role
        for page in urls:
            timed = _stats(*_timed(client, page, args.rounds))
            results.append((role, page, *timed, _queries(app, client, page)))
    anonymous = app.test_client()
    timed = _stats(*_timed(anonymous, "/login", args.rounds))
    results.append(("anonymous", "/login", *timed, _queries(app, anonymous, "/login")))

    print("\n| role | page | median wall ms | p95 wall ms | median CPU ms | queries |")
    print("|---|---|---:|---:|---:|---:|")
    for role, page, median, p95, cpu, queries in results:
        print(f"| {role} | `{page}` | {median:.1f} | {p95:.1f} | {cpu:.1f} | {queries} |")
    slow = [r for r in results if r[2] > BUDGET_MS]
    print(
        f"\nslowest median: {max(r[2] for r in results):.1f} ms wall, "
        f"{max(r[4] for r in results):.1f} ms CPU; budget {BUDGET_MS:.0f} ms: "
        + ("all pages within" if not slow else f"{len(slow)} over: ")
        + ", ".join(f"{role} {page}" for role, page, *_ in slow)
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    close_app(app)
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
