"""Allocation benchmark: proposal latency, and booking throughput under concurrency.

    .venv/bin/python bench/allocation.py                                  # SQLite, proposals only
    .venv/bin/python bench/allocation.py --database-url postgresql:///test   # + HTTP bookings
    .venv/bin/python bench/allocation.py --scale 1,10,50 --http-bookings 0   # growth

Data (bench/world.py), per copy: 2 forums, 40 departments (10 shared by both forums), 200
representatives, 18 months of weekly sessions (08:00-18:00, 30-minute meetings), 2,000 booked
cases; ``--scale K`` builds K copies and commits ANALYZE. Prints p50/p99 of ``propose()`` for
received cases; on PostgreSQL it then starts gunicorn on 127.0.0.1 and lets 16 concurrent
clients book cases through the HTTP API ("earliest", retrying after a 409), and checks that
nothing was double-booked. Every scale gets a new database (a temporary SQLite file, or
bench_<pid>_<n> created on the PostgreSQL server named and dropped afterwards).
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
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session as Db

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import world  # noqa: E402

from booking.clock import FixedClock  # noqa: E402
from booking.db import make_engine, make_session_factory  # noqa: E402
from booking.domain.cases import case_reference  # noqa: E402
from booking.domain.vocabulary import CaseCategory, Role  # noqa: E402
from booking.migrate import upgrade  # noqa: E402
from booking.models import (  # noqa: E402
    Attendee,
    Case,
    Department,
    Forum,
    Meeting,
    Session,
    Slot,
)
from booking.services.access.api_tokens import create_token  # noqa: E402
from booking.services.access.users import create_user  # noqa: E402
from booking.services.meetings import proposals as proposal_service  # noqa: E402
from booking.services.policies import Policies  # noqa: E402
from config import Settings  # noqa: E402


def received_cases(
    db: Db, by_forum: dict[str, list[Department]], count: int, now: datetime
) -> list[int]:
    rng = random.Random(11)
    forum_ids = {f.slug: f.id for f in db.scalars(select(Forum))}
    cases = []
    for i in range(count):
        slug = world.FORUMS[i % 2]
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
        .having(func.count(func.distinct(Meeting.id)) > world.CAPACITY)
    ).all()
    total = db.scalar(select(func.count()).select_from(Meeting).where(live))
    print(
        f"check: {total} live meetings; slots with two meetings: {len(per_slot)}; "
        f"representatives in two meetings at once: {len(overlapping)}; "
        f"department-sessions over capacity: {len(over_capacity)}"
    )
    if per_slot or overlapping or over_capacity:
        raise SystemExit("DOUBLE BOOKING FOUND")


def run(url: str, scale: int, args: argparse.Namespace) -> None:
    """One fresh database at one scale: build, proposals, (PostgreSQL) HTTP bookings, check."""
    now = datetime.now(UTC)
    print(f"--- scale {scale}×  database: {url.split('@')[-1]}  now: {now:%Y-%m-%d %H:%M} UTC")
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine, FixedClock(now), Policies.from_settings(Settings()))
    t0 = time.perf_counter()
    with factory() as db:
        by_forum = world.build(db, engine, scale, now, statistics=not args.no_analyze)
        slots = db.scalar(select(func.count()).select_from(Slot))
        sessions = db.scalar(select(func.count()).select_from(Session))
        cases = db.scalar(select(func.count()).select_from(Case))
        print(
            f"world: {len(world.FORUMS) * scale} forums, {world.DEPARTMENTS * scale} departments, "
            f"{world.DEPARTMENTS * world.REPS_PER_DEPT * scale} representatives, {sessions} "
            f"sessions, {slots} slots, {cases} booked cases"
            + ("" if args.no_analyze else "; ANALYZE committed")
        )
        proposal_ids = received_cases(db, by_forum, args.proposals + args.http_bookings, now)
    print(f"setup: {time.perf_counter() - t0:.1f} s")
    bench_proposals(factory, proposal_ids[: args.proposals], now)
    if engine.dialect.name != "postgresql":
        print("HTTP booking throughput: run with --database-url postgresql:///... ")
    elif args.http_bookings > 0:
        bench_http(url, factory, proposal_ids[args.proposals :], now, args.clients)
    with factory() as db:
        check_no_double_booking(db)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server such as postgresql:///test: a database bench_<pid>_<n> is "
        "created there for each scale and dropped (default: a temporary SQLite file)",
    )
    parser.add_argument("--proposals", type=int, default=200)
    parser.add_argument(
        "--http-bookings", type=int, default=240, help="PostgreSQL only; 0 skips the HTTP run"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--scale",
        type=world.parse_scales,
        default=[1],
        help="copies of the world, one run each, e.g. 1,10,50 (default 1)",
    )
    parser.add_argument("--no-analyze", action="store_true", help="no ANALYZE after the build")
    args = parser.parse_args()
    if args.proposals < 1 or args.http_bookings < 0 or args.clients < 1:
        parser.error("--proposals and --clients must be at least 1, --http-bookings not negative")
    for scale in args.scale:
        with world.fresh_database(args.database_url) as url:
            run(url, scale, args)
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
