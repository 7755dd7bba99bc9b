"""Allocation benchmark: proposal latency, and booking throughput under concurrency.

    .venv/bin/python bench/allocation.py                                  # SQLite, proposals only
    .venv/bin/python bench/allocation.py --database-url postgresql:///bench_db   # + HTTP bookings

Data: 2 forums, 40 departments (10 shared by both forums), 200 representatives, 18 months of
weekly sessions (08:00-18:00, 30-minute meetings), 2,000 booked cases. Prints p50/p99 of
``propose()`` for received cases; on PostgreSQL it then starts gunicorn on 127.0.0.1 and lets
16 concurrent clients book cases through the HTTP API ("earliest", retrying after a 409), and
checks that nothing was double-booked. The database is emptied first: never point it at real data.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session as Db

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from booking.clock import FixedClock  # noqa: E402
from booking.db import Base, make_engine, make_session_factory  # noqa: E402
from booking.domain.allocation import busy_buckets  # noqa: E402
from booking.domain.cases import case_reference  # noqa: E402
from booking.domain.vocabulary import CaseCategory, CaseStatus, Role, SessionStatus  # noqa: E402
from booking.migrate import upgrade  # noqa: E402
from booking.models import (  # noqa: E402
    Attendee,
    Case,
    Department,
    Forum,
    Meeting,
    Representative,
    RepresentativeBusy,
    Session,
    SessionSeries,
    Slot,
)
from booking.services.access.api_tokens import create_token  # noqa: E402
from booking.services.access.users import create_user  # noqa: E402
from booking.services.meetings import proposals as proposal_service  # noqa: E402
from booking.services.policies import Policies  # noqa: E402
from booking.services.scheduling.sessions import extend_sessions  # noqa: E402
from config import Settings  # noqa: E402

FORUMS = ("alfa", "beta")
DEPARTMENTS = 40
SHARED = 10
REPS_PER_DEPT = 5
BOOKED = 2_000
CAPACITY = 8


def reset(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def build_world(db: Db, today: date) -> dict[str, list[Department]]:
    forums = {}
    for slug in FORUMS:
        forum = Forum(slug=slug, name=f"Forum {slug.title()}", municipality=f"{slug} kommun")
        db.add(forum)
        forums[slug] = forum
    db.flush()
    for forum in forums.values():
        db.add(
            SessionSeries(
                forum_id=forum.id,
                anchor_date=date(2026, 12, 1),
                interval_days=7,
                start_time=dtime(8, 0),
                end_time=dtime(18, 0),
                meeting_minutes=30,
                buffer_minutes=0,
            )
        )
    by_forum: dict[str, list[Department]] = {slug: [] for slug in FORUMS}
    for i in range(DEPARTMENTS):
        members = list(forums.values()) if i < SHARED else [forums[FORUMS[i % 2]]]
        dept = Department(
            slug=f"dept-{i:02d}",
            name=f"Förvaltning {i:02d}",
            capacity_per_session=CAPACITY,
            forums=members,
        )
        dept.representatives = [
            Representative(
                name=f"Person {i:02d}-{j}", email=f"p{i}-{j}@bench.example", is_deputy=j == 4
            )
            for j in range(REPS_PER_DEPT)
        ]
        db.add(dept)
        for forum in members:
            by_forum[forum.slug].append(dept)
    db.flush()
    for forum in forums.values():
        extend_sessions(db, forum, today, 18, commit=False)
    db.commit()
    return by_forum


def book_in_bulk(db: Db, by_forum: dict[str, list[Department]], now: datetime) -> None:
    """2,000 booked cases, placed by a simple greedy loop that keeps every rule."""
    rng = random.Random(7)
    forum_ids = {f.slug: f.id for f in db.scalars(select(Forum))}
    slots_by_forum: dict[str, list[tuple[int, int, datetime, datetime]]] = {}
    for slug, forum_id in forum_ids.items():
        slots_by_forum[slug] = list(
            db.execute(
                select(Slot.id, Slot.session_id, Slot.starts_at, Slot.ends_at)
                .join(Session)
                .where(
                    Session.forum_id == forum_id,
                    Session.status == SessionStatus.SCHEDULED,
                    Slot.starts_at > now,
                )
            ).all()
        )
    taken: set[int] = set()
    rep_busy: set[tuple[int, datetime]] = set()
    usage: dict[tuple[int, int], int] = defaultdict(int)
    load: dict[int, int] = defaultdict(int)
    busy_rows: list[dict[str, object]] = []
    made = 0
    attempts = 0
    while made < BOOKED:
        attempts += 1
        slug = FORUMS[made % 2]
        depts = rng.sample(by_forum[slug], rng.randint(3, 5))
        slot_id, session_id, starts, ends = rng.choice(slots_by_forum[slug])
        if slot_id in taken or any(usage[(session_id, d.id)] >= CAPACITY for d in depts):
            continue
        chosen = []
        for dept in depts:
            free = [r for r in dept.representatives if (r.id, starts) not in rep_busy]
            if not free:
                break
            chosen.append(min(free, key=lambda r: (r.is_deputy, load[r.id])))
        if len(chosen) != len(depts):
            continue
        case = Case(
            forum_id=forum_ids[slug],
            reference=case_reference(slug, 2026, made + 1),
            org_name=f"Företag {made} AB",
            category=CaseCategory.NEW_ESTABLISHMENT,
            status=CaseStatus.BOOKED,
            received_at=now,
            departments=depts,
        )
        meeting = Meeting(
            uid=f"{uuid.uuid4()}@bench",
            slot_id=slot_id,
            starts_at=starts,
            ends_at=ends,
            attendees=[
                Attendee(representative_id=r.id, department_id=r.department_id) for r in chosen
            ],
        )
        case.meetings = [meeting]
        db.add(case)
        taken.add(slot_id)
        for dept, rep in zip(depts, chosen, strict=True):
            usage[(session_id, dept.id)] += 1
            rep_busy.add((rep.id, starts))
            load[rep.id] += 1
        made += 1
        if made % 250 == 0:
            db.flush()
    db.flush()
    for meeting_id, starts, ends, rep_id in db.execute(
        select(Meeting.id, Meeting.starts_at, Meeting.ends_at, Attendee.representative_id).join(
            Attendee
        )
    ):
        busy_rows.extend(
            {"representative_id": rep_id, "bucket": b, "meeting_id": meeting_id}
            for b in busy_buckets(starts, ends)
        )
    db.execute(insert(RepresentativeBusy), busy_rows)
    db.commit()
    print(f"booked {made} cases in bulk ({attempts} placement attempts, {len(busy_rows)} buckets)")


def received_cases(
    db: Db, by_forum: dict[str, list[Department]], count: int, now: datetime
) -> list[int]:
    rng = random.Random(11)
    forum_ids = {f.slug: f.id for f in db.scalars(select(Forum))}
    cases = []
    for i in range(count):
        slug = FORUMS[i % 2]
        case = Case(
            forum_id=forum_ids[slug],
            reference=case_reference(slug, 2027, i + 1),
            org_name=f"Ny kund {i} AB",
            category=CaseCategory.MAJOR_CHANGE,
            received_at=now,
            departments=rng.sample(by_forum[slug], rng.randint(3, 5)),
        )
        db.add(case)
        cases.append(case)
    db.commit()
    return [c.id for c in cases]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def bench_proposals(factory: object, case_ids: list[int], now: datetime) -> None:
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with factory() as db:  # type: ignore[operator]
            prof = cProfile.Profile()
            prof.enable()
            for case_id in case_ids[:50]:
                proposal_service.propose(db, case_id, now=now, limit=5)
            prof.disable()
        pstats.Stats(prof).sort_stats(os.environ["BENCH_PROFILE"]).print_stats(30)
    timings: list[float] = []
    cpu: list[float] = []
    queries = [0]

    def count(*_args: object) -> None:
        queries[0] += 1

    engine = factory.kw["bind"]  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", count)
    found = 0
    for case_id in case_ids:
        with factory() as db:  # type: ignore[operator]
            start, start_cpu = time.perf_counter(), time.process_time()
            result = proposal_service.propose(db, case_id, now=now, limit=5)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            found += bool(result.slots)
    event.remove(engine, "before_cursor_execute", count)
    print(
        f"propose(limit=5): n={len(timings)}  p50={statistics.median(timings):.1f} ms  "
        f"p99={percentile(timings, 99):.1f} ms  max={max(timings):.1f} ms  "
        f"(client CPU p50={statistics.median(cpu):.1f} ms; "
        f"{queries[0] / len(timings):.1f} queries per proposal; "
        f"cases with a proposal: {found}; load average {os.getloadavg()[0]:.1f})"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """As `make run` and the Dockerfile start it: the rest comes from gunicorn.conf.py."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "APP_ENV": "development",
        "SECRET_KEY": "bench-secret",
        "PUBLIC_BASE_URL": "http://bench.test",
    }
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


def bench_http(url: str, factory: object, case_ids: list[int], now: datetime, clients: int) -> None:
    with factory() as db:  # type: ignore[operator]
        create_user(db, "bench@bench.example", "Bench", Role.COORDINATOR.value, "bench-password-1")
        db.commit()
        _, secret = create_token(db, "bench@bench.example", "bench", now=now)
    port = free_port()
    proc = start_gunicorn(url, port, workers=4)
    queue = list(case_ids)
    lock = threading.Lock()
    stats: dict[str, int] = defaultdict(int)
    latencies: list[float] = []
    barrier = threading.Barrier(clients)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    return
                case_id = queue.pop()
            for _attempt in range(20):
                key = str(uuid.uuid4())
                start = time.perf_counter()
                conn.request(
                    "POST",
                    f"/api/v1/cases/{case_id}/booking",
                    body=json.dumps({"slot": "earliest"}),
                    headers={**headers, "Idempotency-Key": key},
                )
                response = conn.getresponse()
                response.read()
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
                    stats[str(response.status)] += 1
                if response.status != 409:
                    break

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    proc.terminate()
    proc.wait(timeout=20)
    booked = stats["201"]
    print(
        f"HTTP booking, {clients} clients, gunicorn 4 workers: {booked} bookings in "
        f"{elapsed:.1f} s = {booked / elapsed:.1f} bookings/s; responses {dict(stats)}; "
        f"request p50={statistics.median(latencies):.0f} ms p99={percentile(latencies, 99):.0f} ms"
    )


def check_no_double_booking(db: Db) -> None:
    live = Meeting.status != "cancelled"
    per_slot = db.execute(
        select(Meeting.slot_id, func.count())
        .where(live)
        .group_by(Meeting.slot_id)
        .having(func.count() > 1)
    ).all()
    overlapping = db.execute(
        select(Attendee.representative_id, Meeting.starts_at, func.count())
        .join(Meeting)
        .where(live, Attendee.active.is_(True))
        .group_by(Attendee.representative_id, Meeting.starts_at)
        .having(func.count() > 1)
    ).all()
    over_capacity = db.execute(
        select(Slot.session_id, Attendee.department_id, func.count(func.distinct(Meeting.id)))
        .join(Meeting, Meeting.slot_id == Slot.id)
        .join(Attendee, Attendee.meeting_id == Meeting.id)
        .where(Attendee.active.is_(True))
        .group_by(Slot.session_id, Attendee.department_id)
        .having(func.count(func.distinct(Meeting.id)) > CAPACITY)
    ).all()
    total = db.scalar(select(func.count()).select_from(Meeting).where(live))
    print(
        f"check: {total} live meetings; slots with two meetings: {len(per_slot)}; "
        f"representatives in two meetings at once: {len(overlapping)}; "
        f"department-sessions over capacity: {len(over_capacity)}"
    )
    if per_slot or overlapping or over_capacity:
        raise SystemExit("DOUBLE BOOKING FOUND")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--proposals", type=int, default=200)
    parser.add_argument(
        "--http-bookings", type=int, default=240, help="PostgreSQL only; 0 skips the HTTP run"
    )
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    if args.proposals < 1 or args.http_bookings < 0 or args.clients < 1:
        parser.error("--proposals and --clients must be at least 1, --http-bookings not negative")
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    now = datetime.now(UTC)
    print(f"database: {url.split('@')[-1]}  now: {now:%Y-%m-%d %H:%M} UTC")
    reset(url)
    engine = make_engine(url)
    factory = make_session_factory(engine, FixedClock(now), Policies.from_settings(Settings()))
    t0 = time.perf_counter()
    with factory() as db:
        by_forum = build_world(db, now.date())
        slots = db.scalar(select(func.count()).select_from(Slot))
        sessions = db.scalar(select(func.count()).select_from(Session))
        print(
            f"world: {len(FORUMS)} forums, {DEPARTMENTS} departments, "
            f"{DEPARTMENTS * REPS_PER_DEPT} representatives, {sessions} sessions, {slots} slots"
        )
        book_in_bulk(db, by_forum, now)
        proposal_ids = received_cases(db, by_forum, args.proposals + args.http_bookings, now)
    if engine.dialect.name == "postgresql":
        # Planner statistics, as autovacuum would gather them. Committed: ANALYZE inside a
        # transaction that is rolled back leaves the tables without statistics.
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"setup: {time.perf_counter() - t0:.1f} s")
    bench_proposals(factory, proposal_ids[: args.proposals], now)
    if engine.dialect.name != "postgresql":
        print("HTTP booking throughput: run with --database-url postgresql:///... ")
    elif args.http_bookings > 0:
        bench_http(url, factory, proposal_ids[args.proposals :], now, args.clients)
    with factory() as db:
        check_no_double_booking(db)
    engine.dispose()
    _ = Base


if __name__ == "__main__":
    main()
