"""The benchmarks' shared world: a fresh database, the base world, K copies of it, ANALYZE.

One copy ("1×") is what bench/allocation.py always measured: 2 forums, 40 departments (10 shared
by both forums), 200 representatives, 18 months of weekly sessions (08:00-18:00, 30-minute
meetings) and 2,000 booked cases with their attendees and busy buckets. ``replicate`` then
copies those rows K-1 times inside the database (INSERT … SELECT with every id and foreign key
shifted, every unique text suffixed), so 50× (100 forums, 10,000 representatives, 100,000
cases) takes seconds, not the hour the booking service would need. Copies are separate forums
with their own departments: the measured feeds and proposals keep their size while the tables
around them grow, which is what a growth table must show.

Used by bench/allocation.py, bench/feeds.py, bench/pages.py (``--scale``) and bench/growth.py.
Not a script of its own.
"""

from __future__ import annotations

import itertools
import os
import random
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import (
    Column,
    Integer,
    String,
    cast,
    create_engine,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session as Db

from booking.db import Base, conflict_insert
from booking.domain.allocation import busy_buckets
from booking.domain.cases import case_reference
from booking.domain.vocabulary import CaseCategory, CaseStatus, MeetingStatus, SessionStatus
from booking.models import (
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
from booking.services.scheduling.sessions import extend_sessions

FORUMS = ("alfa", "beta")
DEPARTMENTS = 40
SHARED = 10
REPS_PER_DEPT = 5
BOOKED = 2_000
CAPACITY = 8

# The rows of one world, parents before children. Everything else (users, feeds, outbox, audit)
# is left as it is: a copy's rows point at the same users as the original's.
WORLD_TABLES = (
    "forums",
    "session_series",
    "pause_periods",
    "departments",
    "department_forums",
    "representatives",
    "absences",
    "sessions",
    "slots",
    "cases",
    "case_departments",
    "meetings",
    "attendees",
    "representative_busy",
)


def parse_scales(value: str) -> list[int]:
    """``"1,10,50"`` → [1, 10, 50] (argparse type of every bench's ``--scale``)."""
    try:
        scales = [int(part) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise ValueError(f"--scale takes whole numbers separated by commas, not {value!r}") from exc
    if not scales or min(scales) < 1:
        raise ValueError("--scale takes whole numbers of at least 1")
    return scales


_counter = itertools.count()


@contextmanager
def fresh_database(server: str = "") -> Iterator[str]:
    """A new, empty database, dropped afterwards; yields its URL.

    ``server`` empty or ``sqlite`` gives a file in a temporary folder. A PostgreSQL URL
    (``postgresql:///test``) names the server only: a database ``bench_<pid>_<n>`` is created
    beside the one named and dropped at the end, so nothing the test suite uses is touched.
    """
    if not server or server == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="bench-"))
        try:
            yield f"sqlite:///{folder / 'bench.sqlite3'}"
        finally:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
        return
    url = make_url(server)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"a SQLite or PostgreSQL URL, not {server!r}")
    name = f"bench_{os.getpid()}_{next(_counter)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_world(db: Db, today: date) -> dict[str, list[Department]]:
    """The forums, departments, representatives and 18 months of sessions of one copy."""
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


def book_in_bulk(db: Db, by_forum: dict[str, list[Department]], now: datetime) -> int:
    """2,000 booked cases, placed by a simple greedy loop that keeps every rule; returns the
    number of busy buckets written."""
    rng = random.Random(7)
    forum_ids = {f.slug: f.id for f in db.scalars(select(Forum))}
    slots_by_forum: dict[str, list[tuple[int, int, datetime, datetime]]] = {}
    for slug, forum_id in forum_ids.items():
        slots_by_forum[slug] = [
            tuple(row)  # type: ignore[misc]
            for row in db.execute(
                select(Slot.id, Slot.session_id, Slot.starts_at, Slot.ends_at)
                .join(Session)
                .where(
                    Session.forum_id == forum_id,
                    Session.status == SessionStatus.SCHEDULED,
                    Slot.starts_at > now,
                )
            )
        ]
    taken: set[int] = set()
    rep_busy: set[tuple[int, datetime]] = set()
    usage: dict[tuple[int, int], int] = defaultdict(int)
    load: dict[int, int] = defaultdict(int)
    made = 0
    while made < BOOKED:
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
    written = hold_buckets(db)
    db.commit()
    return written


def hold_buckets(db: Db) -> int:
    """The busy buckets of every active attendee of a meeting not cancelled, as a booking
    writes them (``meetings.attendees.hold_time``): proposals read busy times from them. A
    person booked twice at one time (bulk data is not checked) keeps the first."""
    rows = [
        {"representative_id": rep_id, "bucket": b, "meeting_id": meeting_id}
        for meeting_id, starts, ends, rep_id in db.execute(
            select(Meeting.id, Meeting.starts_at, Meeting.ends_at, Attendee.representative_id)
            .join(Attendee)
            .where(Meeting.status != MeetingStatus.CANCELLED, Attendee.active.is_(True))
            .order_by(Meeting.id)
        )
        for b in busy_buckets(starts, ends)
    ]
    for start in range(0, len(rows), 20_000):
        db.execute(
            conflict_insert(db, RepresentativeBusy).on_conflict_do_nothing(),
            rows[start : start + 20_000],
        )
    return len(rows)


def _unique_text(table_column: Column[object]) -> bool:
    if not isinstance(table_column.type, String):
        return False
    if table_column.unique:
        return True
    return any(
        len(c.columns) == 1 and table_column.name in c.columns
        for c in table_column.table.constraints
        if c.__class__.__name__ == "UniqueConstraint"
    )


def replicate(engine: Engine, copies: int, tables: Sequence[str] = WORLD_TABLES) -> None:
    """Add ``copies`` copies of the rows now in ``tables``, inside the database.

    Copy k shifts every integer id by k × (the table's largest id) and every foreign key into a
    copied table likewise; unique texts (slugs, references, UIDs, e-mail addresses) get
    ``~k``. A foreign key into a table not copied (a user) keeps its value.
    """
    if copies < 1:
        return
    meta = Base.metadata
    copied = [meta.tables[name] for name in tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql" and conn.scalar(
            text("SELECT current_setting('is_superuser') = 'on'")
        ):
            # The copies are consistent by construction: skip the foreign-key triggers, which
            # would otherwise check millions of rows one by one at 50×.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        top = {
            t.name: conn.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0
            for t in copied
            if "id" in t.c
        }
        for table in copied:
            if "id" in table.c:
                base = table.c.id <= top[table.name]
            else:  # an association table: its rows that point at the original parents
                fk = next(iter(table.foreign_keys))
                base = fk.parent <= top[fk.column.table.name]
            # One statement per table: the original rows joined with the numbers 1..copies.
            k = union_all(
                *(select(literal(n, Integer).label("k")) for n in range(1, copies + 1))
            ).subquery("copies")
            shifted = []
            for col in table.columns:
                targets = [fk.column.table.name for fk in col.foreign_keys]
                if col.name == "id" and isinstance(col.type, Integer):
                    shifted.append(col + k.c.k * top[table.name])
                elif targets and targets[0] in top:
                    shifted.append(col + k.c.k * top[targets[0]])
                elif _unique_text(col):
                    shifted.append(col + literal("~") + cast(k.c.k, String))
                else:
                    shifted.append(col)
            conn.execute(
                insert(table).from_select(
                    [c.name for c in table.columns],
                    select(*shifted).select_from(table).join(k, true()).where(base),
                )
            )
        if engine.dialect.name == "postgresql":  # the next id after the copies
            for table in copied:
                if "id" in table.c:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )


def analyze(engine: Engine) -> None:
    """Planner statistics, COMMITTED (ANALYZE inside a transaction that is rolled back leaves
    the tables without them), as autovacuum would gather them on PostgreSQL."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def forget_statistics(engine: Engine) -> None:
    """The never-analysed database: no planner statistics at all (``--no-analyze``).

    ``booking.migrate.upgrade`` runs ANALYZE on the still empty tables; on PostgreSQL those
    statistics ("0 rows") are what a database right after migrating and filling would have
    before autovacuum comes round, so they stay, and autovacuum is kept off the world's tables.
    SQLite's sqlite_stat1 is emptied."""
    if engine.dialect.name == "postgresql":  # and autovacuum must not gather them mid-run
        with engine.begin() as conn:
            for name in WORLD_TABLES:
                conn.execute(text(f"ALTER TABLE {name} SET (autovacuum_enabled = false)"))
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            if conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name='sqlite_stat1'")):
                conn.execute(text("DELETE FROM sqlite_stat1"))


def build(
    db: Db, engine: Engine, scale: int, now: datetime, *, statistics: bool = True
) -> dict[str, list[Department]]:
    """The base world in ``db`` (an empty, migrated database), then ``scale - 1`` copies and,
    unless ``statistics`` is false, a committed ANALYZE. Returns copy 0's departments."""
    by_forum = build_world(db, now.date())
    book_in_bulk(db, by_forum, now)
    replicate(engine, scale - 1)
    if statistics:
        analyze(engine)
    else:
        forget_statistics(engine)
    return by_forum


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(
        description="The benchmarks' shared world (a module, not a benchmark): "
        "see bench/growth.py, or --scale of bench/allocation.py, bench/feeds.py, bench/pages.py.",
    ).parse_args()
