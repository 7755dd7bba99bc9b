"""The migrated schema is the schema the models declare: every index, constraint and column of
the models exists after `alembic upgrade head`, on SQLite and PostgreSQL, and nothing else."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import booking.models
import booking.models.feeds
import booking.models.followup
import booking.models.invitations
import booking.models.security  # noqa: F401  (every model module registers its tables)
from booking.db import Base, make_engine


def test_migrations_and_models_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_scale_indexes_exist(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        inspector = inspect(engine)
        indexes = {
            (table, tuple(ix["column_names"]))
            for table in ("attendees", "case_departments", "meetings")
            for ix in inspector.get_indexes(table)
        }
    finally:
        engine.dispose()
    assert {
        ("case_departments", ("department_id", "case_id")),
        ("attendees", ("representative_id", "meeting_id")),
        ("attendees", ("department_id", "meeting_id")),
        ("meetings", ("convener_id",)),
    } <= indexes
