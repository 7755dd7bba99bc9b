"""The shape of allocation's load, busy and usage queries (booking.services.meetings.held):
on PostgreSQL the attendee rows are read per representative or department, and each reaches
its meeting by primary key, in LATERAL subqueries that the planner cannot turn into a hash join
over every meeting or a scan of every attendee row (issue 16)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from booking.services.meetings.held import held_queries


@pytest.mark.parametrize(
    ("name", "owner", "column"),
    [
        ("load", "representatives", "representative_id"),
        ("busy", "representatives", "representative_id"),
        ("usage", "departments", "department_id"),
    ],
)
def test_postgresql_looks_each_meeting_up_from_its_attendee_row(
    name: str, owner: str, column: str
) -> None:
    sql = str(getattr(held_queries("postgresql"), name).compile(dialect=postgresql.dialect()))
    # The given ids drive (by primary key): only their table is named in the outer FROM.
    outer_from = sql.split("FROM", 1)[1].split("JOIN LATERAL", 1)[0]
    assert outer_from.strip() == owner
    assert f"WHERE {owner}.id IN" in sql
    # Then each one's attendee rows (OFFSET: not flattened), then each row's meeting (LIMIT 1).
    assert sql.count("JOIN LATERAL") == 2
    assert f"WHERE attendees.{column} = {owner}.id" in sql and "OFFSET" in sql
    assert re.search(r"WHERE meetings\.id = anon_\d+\.meeting_id", sql) and "LIMIT" in sql


@pytest.mark.parametrize("name", ["load", "busy", "usage"])
def test_sqlite_keeps_the_plain_join(name: str) -> None:
    sql = str(getattr(held_queries("sqlite"), name).compile(dialect=sqlite.dialect()))
    assert "LATERAL" not in sql and "JOIN meetings" in sql
