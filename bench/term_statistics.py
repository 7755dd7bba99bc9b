"""How long the term statistics take on a busy year: prints cases, answers and timings.

Usage: .venv/bin/python bench/term_statistics.py [DATABASE_URL] [--cases N]
(default: a temporary SQLite file; a PostgreSQL database is emptied first)
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from booking.clock import SystemClock
from booking.db import make_engine, make_session_factory
from booking.domain.terms import parse_term
from booking.domain.vocabulary import CaseCategory, CaseStatus, MeetingStatus, PartStat
from booking.migrate import upgrade
from booking.models import (
    Attendee,
    Case,
    Department,
    Forum,
    Meeting,
    Representative,
    Survey,
    SurveyAnswer,
)
from booking.services.followup import statistics
from booking.services.policies import Policies
from config import Settings

CASES = 2000  # about four years of a busy forum


def seed(url: str, cases: int) -> None:
    db = make_session_factory(make_engine(url), SystemClock(), Policies.from_settings(Settings()))()
    rng = random.Random(7)
    forum = Forum(slug="bench", name="Bench", municipality="Bench")
    db.add(forum)
    deps = [Department(slug=f"d{i}", name=f"Department {i}", forums=[forum]) for i in range(8)]
    db.add_all(deps)
    db.flush()
    reps = [Representative(department=d, name=f"Rep {d.slug}", email=f"{d.slug}@x") for d in deps]
    db.add_all(reps)
    db.flush()
    start = datetime(2024, 1, 1, 8, tzinfo=UTC)
    for n in range(cases):
        received = start + timedelta(hours=n * 17)
        chosen = rng.sample(range(8), 3)
        case = Case(
            forum_id=forum.id,
            reference=f"B-{n}",
            org_name="x",
            received_at=received,
            category=rng.choice(list(CaseCategory)),
            status=CaseStatus.CLOSED,
            departments=[deps[i] for i in chosen],
        )
        db.add(case)
        db.flush()
        at = received + timedelta(days=rng.randint(7, 40))
        status = MeetingStatus.CANCELLED if rng.random() < 0.05 else MeetingStatus.HELD
        meeting = Meeting(
            case_id=case.id,
            uid=f"b{n}",
            starts_at=at,
            ends_at=at + timedelta(hours=1),
            status=status,
        )
        db.add(meeting)
        db.flush()
        for i in chosen:
            replied = rng.random() < 0.9
            db.add(
                Attendee(
                    meeting_id=meeting.id,
                    representative_id=reps[i].id,
                    department_id=deps[i].id,
                    invited_at=received,
                    partstat=PartStat.ACCEPTED if replied else PartStat.NEEDS_ACTION,
                    replied_at=received + timedelta(hours=rng.randint(1, 96)) if replied else None,
                )
            )
        if rng.random() < 0.5:
            survey = Survey(case_id=case.id, meeting_id=meeting.id, recipient_key=f"c{n}", scale=6)
            db.add(survey)
            db.flush()
            db.add(
                SurveyAnswer(
                    survey_id=survey.id,
                    scale=6,
                    q_overall=rng.randint(2, 6),
                    q_expectations=rng.randint(2, 6),
                    q_ideal=rng.randint(1, 6),
                    bemotande=rng.randint(3, 6),
                )
            )
    db.commit()
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "database_url",
        nargs="?",
        default="",
        help="SQLite or PostgreSQL URL; PostgreSQL is EMPTIED first (default: temporary SQLite)",
    )
    parser.add_argument("--cases", type=int, default=CASES, help=f"closed cases (default {CASES})")
    args = parser.parse_args()
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'b.db'}"
    if url.startswith("postgresql"):
        with make_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    seed(url, args.cases)
    db = make_session_factory(make_engine(url), SystemClock(), Policies.from_settings(Settings()))()
    term = parse_term("2025-spring")
    timings = []
    for _ in range(5):
        db.expire_all()
        t0 = time.perf_counter()
        stats = statistics.compute(db, term)
        timings.append(time.perf_counter() - t0)
    print(
        f"{url.split(':')[0]}: {args.cases} cases in the database, term {term}: "
        f"{stats['cases']['total']} cases, {stats['nki']['respondents']} answers; "
        f"compute() median {sorted(timings)[2] * 1000:.0f} ms "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
