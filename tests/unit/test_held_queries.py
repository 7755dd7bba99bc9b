"""The shape of allocation's load, busy and usage queries (booking.services.meetings.held): on
PostgreSQL the load reads the attendee rows per representative and reaches each meeting by
primary key, in LATERAL subqueries that the planner cannot turn into a hash join over every
meeting or a scan of every attendee row; busy and usage are bounded by the window on every
database, so a long history costs nothing (issue 16)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from booking.services.meetings.held import busy_interval, held_queries, window_params


def test_postgresql_looks_each_meeting_of_the_load_up_from_its_attendee_row() -> None:
    sql = str(held_queries("postgresql").load.compile(dialect=postgresql.dialect()))
    # The given ids drive (by primary key): only their table is named in the outer FROM.
    outer_from = sql.split("FROM", 1)[1].split("JOIN LATERAL", 1)[0]
    assert outer_from.strip() == "representatives"
    assert "WHERE representatives.id IN" in sql
    # Then each one's attendee rows (OFFSET: not flattened), then each row's meeting (LIMIT 1).
    assert sql.count("JOIN LATERAL") == 2
    assert "WHERE attendees.representative_id = representatives.id" in sql and "OFFSET" in sql
    assert re.search(r"WHERE meetings\.id = anon_\d+\.meeting_id", sql) and "LIMIT" in sql


def test_sqlite_keeps_the_plain_join_for_the_load() -> None:
    sql = str(held_queries("sqlite").load.compile(dialect=sqlite.dialect()))
    assert "LATERAL" not in sql and "JOIN meetings" in sql


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_busy_reads_the_window_from_the_buckets_of_each_person(dialect: object) -> None:
    sql = str(held_queries(dialect.name).busy.compile(dialect=dialect))  # type: ignore[attr-defined]
    # One table, one range of its (representative, bucket) index: no meetings, no history.
    assert sql.split("FROM", 1)[1].split("WHERE", 1)[0].strip() == "representative_busy"
    assert "representative_busy.representative_id IN" in sql
    assert "representative_busy.bucket >= " in sql and "representative_busy.bucket < " in sql
    assert "JOIN" not in sql


def test_a_busy_row_covers_its_buckets() -> None:
    first, last = (
        datetime(2026, 12, 8, 12, 0, tzinfo=UTC),
        datetime(2026, 12, 8, 12, 55, tzinfo=UTC),
    )
    assert busy_interval(first, last) == (first, datetime(2026, 12, 8, 13, 0, tzinfo=UTC))


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_usage_starts_from_the_forums_afternoons_of_the_window(dialect: object) -> None:
    sql = str(held_queries(dialect.name).usage.compile(dialect=dialect))  # type: ignore[attr-defined]
    assert sql.split("FROM", 1)[1].split("JOIN", 1)[0].strip() == "sessions"
    assert "sessions.forum_id = " in sql and "sessions.local_date >= " in sql
    assert "sessions.local_date <= " in sql and "LATERAL" not in sql


def test_window_params_cover_the_local_days_and_the_longest_meeting() -> None:
    lo = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # Sunday 00:30 in Stockholm
    hi = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # Wednesday 00:30 in Stockholm
    params = window_params(lo, hi, 7, ZoneInfo("Europe/Stockholm"))
    assert params["forum"] == 7 and (params["lo"], params["hi"]) == (lo, hi)
    assert params["first_bucket"] == datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # on a bucket
    assert params["first_day"] == date(2026, 3, 28)
    assert params["last_day"] == date(2026, 7, 2)
