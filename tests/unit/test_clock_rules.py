"""No column reads the wall clock (docs/rules.md), checked on the model metadata alone; and the
any-date run really moves this process's wall clock. The flush hook that stamps rows from the
injected clock needs a database: tests/integration/test_clock_stamps.py."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, DateTime

import booking.models  # noqa: F401  (every table registered on Base.metadata)
from booking.db import Base
from booking.models import UTCDateTime


def _reads_the_wall_clock(column: Column[Any]) -> bool:
    python_side = column.default is not None or column.onupdate is not None
    if isinstance(column.type, DateTime | UTCDateTime) and python_side:
        return True
    server_default = str(getattr(column.server_default, "arg", "")).lower()
    return "now" in server_default or "current_timestamp" in server_default


def test_no_timestamp_column_reads_the_wall_clock() -> None:
    offenders = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if _reads_the_wall_clock(column)
    ]
    assert offenders == []


@pytest.mark.skipif(not os.environ.get("TEST_WALL_CLOCK"), reason="only in the any-date run")
def test_the_any_date_run_really_moves_the_wall_clock() -> None:
    moved_to = date.fromisoformat(os.environ["TEST_WALL_CLOCK"])
    assert moved_to <= datetime.now(UTC).date() <= moved_to + timedelta(days=1)
