"""The shape of allocation's load, busy and usage queries (booking.services.meetings.held):
on PostgreSQL each attendee row reaches its meeting by primary key in a LATERAL subquery that
the planner cannot turn into a hash join over every meeting (issue 16)."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from booking.services.meetings.held import held_queries


@pytest.mark.parametrize("name", ["load", "busy", "usage"])
def test_postgresql_looks_each_meeting_up_from_its_attendee_row(name: str) -> None:
    sql = str(getattr(held_queries("postgresql"), name).compile(dialect=postgresql.dialect()))
    assert "JOIN LATERAL" in sql and "LIMIT" in sql
    assert "WHERE meetings.id = attendees.meeting_id" in sql
    # The attendee rows drive: only they are named in the outer FROM.
    outer_from = sql.split("FROM", 1)[1].split("JOIN LATERAL", 1)[0]
    assert outer_from.strip() == "attendees"


@pytest.mark.parametrize("name", ["load", "busy", "usage"])
def test_sqlite_keeps_the_plain_join(name: str) -> None:
    sql = str(getattr(held_queries("sqlite"), name).compile(dialect=sqlite.dialect()))
    assert "LATERAL" not in sql and "JOIN meetings" in sql
