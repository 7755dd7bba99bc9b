"""The shape of allocation's load, busy and usage queries (booking.services.meetings.held):
on PostgreSQL the load reaches each meeting from its attendee row by primary key in a LATERAL
subquery that the planner cannot turn into a hash join over every meeting; busy and usage are
bounded by the window on every database, so a long history costs nothing (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from booking.services.meetings.held import MAX_LENGTH, held_queries, window_params


def test_postgresql_looks_each_meeting_of_the_load_up_from_its_attendee_row() -> None:
    sql = str(held_queries("postgresql").load.compile(dialect=postgresql.dialect()))
    assert "JOIN LATERAL" in sql and "LIMIT" in sql
    assert "WHERE meetings.id = attendees.meeting_id" in sql
    # The attendee rows drive: only they are named in the outer FROM.
    outer_from = sql.split("FROM", 1)[1].split("JOIN LATERAL", 1)[0]
    assert outer_from.strip() == "attendees"


def test_sqlite_keeps_the_plain_join_for_the_load() -> None:
    sql = str(held_queries("sqlite").load.compile(dialect=sqlite.dialect()))
    assert "LATERAL" not in sql and "JOIN meetings" in sql


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_busy_reads_only_meetings_that_start_in_reach_of_the_window(dialect: object) -> None:
    sql = str(held_queries(dialect.name).busy.compile(dialect=dialect))  # type: ignore[attr-defined]
    # Both bounds of meetings.starts_at, so the index gives a range, never every meeting.
    assert "meetings.starts_at < " in sql and "meetings.starts_at > " in sql
    assert "LATERAL" not in sql


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
    assert params["earliest"] == lo - MAX_LENGTH
    assert params["first_day"] == date(2026, 3, 28)
    assert params["last_day"] == date(2026, 7, 2)
