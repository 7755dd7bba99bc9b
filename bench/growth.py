"""Growth table: how feed rebuilds and proposals grow with the size of the database (issue 16).

    .venv/bin/python bench/growth.py --scale 1,10,50                       # SQLite
    .venv/bin/python bench/growth.py --scale 1,10,50 --database postgresql:///test

For every scale K a fresh database (a temporary SQLite file, or a database bench_<pid>_<n>
created on the named PostgreSQL server and dropped afterwards) gets K copies of the world of
bench/world.py (1× = 2 forums, 200 representatives, 2,000 cases; 50× = 100 forums, 10,000
representatives, 100,000 cases) and a committed ANALYZE (``--no-analyze``: none). Then, in
copy 0, measured in-process through the Flask test client as a calendar's poll would be:

  * the first request of one representative's feed after one of its meetings changed,
  * the same for one department's feed (the busiest one, shared by both forums),
  * ``propose()`` for received cases (p50),

and prints one row per measure, one column per scale, the ratio largest/smallest scale, the
targets and the machine's load average at start and end. Bounded: a few dozen requests per
measure; building 50× takes about a minute on SQLite and a few on PostgreSQL.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import world  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from booking.app import close_app, create_app  # noqa: E402
from booking.clock import FixedClock  # noqa: E402
from booking.domain.cases import case_reference  # noqa: E402
from booking.domain.vocabulary import CaseCategory  # noqa: E402
from booking.migrate import upgrade  # noqa: E402
from booking.models import Attendee, Case, Department, Forum, Meeting, Representative  # noqa: E402
from booking.services.feeds import tokens as feed_tokens  # noqa: E402
from booking.services.meetings import events as meeting_events  # noqa: E402
from booking.services.meetings import proposals as proposal_service  # noqa: E402
from config import Settings  # noqa: E402

SECRET = "bench-secret-not-for-production"
# (measure, target at the largest scale in ms or None, growth target largest/smallest)
TARGETS = {
    "representative feed after a change": 10.0,
    "department feed after a change": 15.0,
    "propose() p50": 15.0,
}
FLAT = 1.5


@dataclass
class Column:
    scale: int
    figures: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    setup_s: float = 0.0
    cases: int = 0


def busiest(db, model, column, top: int) -> int:  # type: ignore[no-untyped-def]
    """The id (in copy 0) with the most live attendee rows."""
    return int(
        db.execute(
            select(column, func.count())
            .where(column <= top)
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(1)
        ).one()[0]
    )


def feed_after_change(
    app, kind: str, ident: int, runs: int, now: datetime
) -> tuple[list[float], int]:  # type: ignore[no-untyped-def]
    """Milliseconds of the first request after one of the feed's meetings changed (the feed
    itself built once before), and the number of events in it."""
    factory = app.extensions["session_factory"]
    with factory() as db:
        token = feed_tokens.create(db, kind, ident, SECRET, now)
        column = Attendee.representative_id if kind == "representative" else Attendee.department_id
        meeting_ids = list(db.scalars(select(Attendee.meeting_id).where(column == ident)))
    path = feed_tokens.feed_path(kind, token)
    client = app.test_client()
    body = client.get(path).data
    events = body.count(b"BEGIN:VEVENT")
    times = []
    with factory() as db:
        for i in range(runs):
            meeting = db.get(Meeting, meeting_ids[(i * 37) % len(meeting_ids)])
            assert meeting is not None
            meeting.location = f"Sammanträdesrum {kind} {i}"
            meeting_events.meeting_changed(db, meeting, "updated", now)
            db.commit()
            t0 = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            unfolded = response.data.replace(b"\r\n ", b"")
            assert response.status_code == 200
            assert f"Sammanträdesrum {kind} {i}".encode() in unfolded, "the change is missing"
    return times, events


def proposals(app, by_forum: dict[str, list[Department]], count: int, now: datetime) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds of propose(limit=5) for ``count`` new received cases of copy 0."""
    factory = app.extensions["session_factory"]
    forum_ids = {}
    with factory() as db:
        forum_ids = {
            f.slug: f.id for f in db.scalars(select(Forum).where(Forum.slug.in_(world.FORUMS)))
        }
        dept_ids = {slug: [d.id for d in depts] for slug, depts in by_forum.items()}
        case_ids = []
        for i in range(count):
            slug = world.FORUMS[i % 2]
            ids = dept_ids[slug][i % 7 :: 7][:4]
            case = Case(
                forum_id=forum_ids[slug],
                reference=case_reference(slug, 2027, i + 1),
                org_name=f"Ny kund {i} AB",
                category=CaseCategory.MAJOR_CHANGE,
                received_at=now,
                departments=list(db.scalars(select(Department).where(Department.id.in_(ids)))),
            )
            db.add(case)
            db.flush()
            case_ids.append(case.id)
        db.commit()
    times = []
    for case_id in case_ids:
        with factory() as db:
            t0 = time.perf_counter()
            result = proposal_service.propose(db, case_id, now=now, limit=5)
            times.append((time.perf_counter() - t0) * 1000)
            assert result.slots, f"no proposal for case {case_id}"
    return times


def measure(server: str, scale: int, args: argparse.Namespace, now: datetime) -> Column:
    column = Column(scale)
    with world.fresh_database(server) as url:
        upgrade(url)
        settings = replace(Settings(), database_url=url, secret_key=SECRET)
        app = create_app(settings, clock=FixedClock(now))
        engine = app.extensions["engine"]
        t0 = time.perf_counter()
        with app.extensions["session_factory"]() as db:
            by_forum = world.build(db, engine, scale, now, statistics=not args.no_analyze)
        column.setup_s = time.perf_counter() - t0
        with app.extensions["session_factory"]() as db:
            column.cases = db.scalar(select(func.count()).select_from(Case)) or 0
            top_rep = db.scalar(select(func.max(Representative.id))) or 0
            top_dept = db.scalar(select(func.max(Department.id))) or 0
            rep_id = busiest(db, Attendee, Attendee.representative_id, top_rep // scale)
            dept_id = busiest(db, Attendee, Attendee.department_id, top_dept // scale)
        for kind, ident, name in (
            ("representative", rep_id, "representative feed after a change"),
            ("department", dept_id, "department feed after a change"),
        ):
            times, events = feed_after_change(app, kind, ident, args.runs, now)
            column.figures[name] = statistics.median(times)
            column.notes[name] = f"{events} events"
        times = proposals(app, by_forum, args.proposals, now)
        column.figures["propose() p50"] = statistics.median(times)
        close_app(app)
    return column


def table(database: str, columns: list[Column], analysed: bool) -> str:
    scales = [c.scale for c in columns]
    head = "| measure (median ms) | " + " | ".join(f"{s}×" for s in scales)
    head += f" | {scales[-1]}× / {scales[0]}× | target |"
    lines = [
        f"{database}, {'ANALYZE committed' if analysed else 'never analysed'}:",
        "",
        head,
        "|---|" + "---:|" * (len(scales) + 2),
    ]
    for name, target in TARGETS.items():
        values = [c.figures[name] for c in columns]
        ratio = values[-1] / values[0]
        events = columns[-1].notes.get(name, "")
        label = f"{name} ({events})" if events else name
        ok = values[-1] <= target and (len(values) == 1 or ratio <= FLAT)
        lines.append(
            f"| {label} | "
            + " | ".join(f"{v:.1f}" for v in values)
            + f" | {ratio:.2f} | ≤ {target:.0f} ms, ≤ {FLAT}×: {'met' if ok else 'MISSED'} |"
        )
    lines.append(
        "| cases in the database | " + " | ".join(f"{c.cases:,}" for c in columns) + " | | |"
    )
    lines.append(
        "| build + ANALYZE, s | " + " | ".join(f"{c.setup_s:.0f}" for c in columns) + " | | |"
    )
    return "\n".join(lines)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )
    parser.add_argument(
        "--scale",
        type=world.parse_scales,
        default=[1, 10],
        help="copies of the world, e.g. 1,10,50",
    )
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite (default) or a PostgreSQL server URL such as postgresql:///test "
        "(a database bench_<pid>_<n> is created there and dropped)",
    )
    parser.add_argument("--no-analyze", action="store_true", help="no ANALYZE after the build")
    parser.add_argument("--runs", type=int, default=15, help="changes per feed (default 15)")
    parser.add_argument("--proposals", type=int, default=30, help="proposals timed (default 30)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.proposals < 1:
        parser.error("--runs and --proposals must be at least 1")
    now = datetime.now(UTC).replace(microsecond=0)
    logging.getLogger("feeds.access").setLevel(logging.WARNING)  # one line per request
    start_load = load()
    columns = []
    for scale in sorted(args.scale):
        column = measure(args.database, scale, args, now)
        print(
            f"{scale}×: {column.cases:,} cases, built in {column.setup_s:.1f} s; "
            + "; ".join(f"{k} {v:.1f} ms" for k, v in column.figures.items()),
            flush=True,
        )
        columns.append(column)
    database = "PostgreSQL" if args.database.startswith("postgresql") else "SQLite"
    print()
    print(table(database, columns, not args.no_analyze))
    print(
        f"\nload average (1, 5, 15 min) at start {start_load}, at end {load()}; "
        f"{os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
