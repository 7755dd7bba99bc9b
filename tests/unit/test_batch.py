"""booking.services.batch: several SELECTs as one statement, each part's rows handed back as if
it had run alone (issue 16: every statement is a round trip on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, func, select

from booking.models.base import UTCDateTime
from booking.services.batch import Batch

_META = MetaData()
_EVENTS = Table(
    "events",
    _META,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8)),
    Column("day", Date),
    Column("at", UTCDateTime()),
)


def test_each_part_gets_its_own_rows_with_its_own_types() -> None:
    engine = create_engine("sqlite://")
    _META.create_all(engine)
    at = datetime(2026, 12, 8, 12, 30, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            _EVENTS.insert(),
            [
                {"id": 1, "kind": "a", "day": date(2026, 12, 8), "at": at},
                {"id": 2, "kind": "b", "day": date(2026, 12, 9), "at": at},
                {"id": 3, "kind": "b", "day": date(2026, 12, 10), "at": at},
            ],
        )
        batch = Batch(
            # An ORDER BY inside a part is dropped (SQLite allows none inside a UNION).
            select(_EVENTS.c.id, _EVENTS.c.at).order_by(_EVENTS.c.id),
            select(_EVENTS.c.kind, func.count()).group_by(_EVENTS.c.kind),
            select(_EVENTS.c.day).where(_EVENTS.c.id > 1),
            select(_EVENTS.c.id).where(_EVENTS.c.id > 99),
        )
        stamped, counted, days, none = batch.run(conn, {})
    assert sorted(stamped) == [(1, at), (2, at), (3, at)]
    assert all(row[1].tzinfo is not None for row in stamped)  # UTCDateTime's result processor
    assert sorted(counted) == [("a", 1), ("b", 2)]
    assert sorted(days) == [(date(2026, 12, 9),), (date(2026, 12, 10),)]
    assert none == []
    sql = str(batch.statement.compile(engine))
    assert sql.count("UNION ALL") == 3 and "ORDER BY" not in sql
