"""Alembic environment: the URL comes from the caller (flask forum migrate) or DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import booking.models  # noqa: F401  (registers every table on Base.metadata)
from booking.db import Base, make_engine
from config import load_settings

target_metadata = Base.metadata


def _url() -> str:
    url = context.config.attributes.get("database_url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    return url or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _migrate_sqlite(conn: Connection) -> None:
    """On SQLite a batch migration copies a table and drops the old one; with foreign keys on,
    that drop would cascade (dropping `cases` deletes every meeting). So the keys are off while
    migrating (the pragma works only outside a transaction) and checked afterwards."""
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.commit()
    try:
        _migrate(conn)
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"The migration left broken foreign keys: {broken[:5]}")
    finally:
        conn.rollback()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _migrate_sqlite(conn)
        else:
            _migrate(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
