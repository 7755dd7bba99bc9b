"""Shared fixtures.

Integration tests run once per backend: SQLite always, PostgreSQL when TEST_DATABASE_URL is set
(.ci/run sets it to a fresh database). Each backend is migrated once per run with Alembic (so the
migrations are tested too); every test then starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import booking.models  # noqa: F401
from booking.app import close_app, create_app
from booking.clock import FixedClock
from booking.db import Base, make_engine
from booking.migrate import upgrade
from config import Settings

# The any-date run (``make test-any-date``): TEST_WALL_CLOCK=YYYY-MM-DD moves this process's
# wall clock (datetime.now, date.today, time.time) to that day for the whole run, while every
# test keeps its fixed injected clock. A timestamp taken from the wall clock instead of the
# injected one then differs from what the test expects, whatever the real date is.
# (libfaketime was tried first: under it Python's time.sleep fails with EINVAL on this libc.)
_WALL_CLOCK = os.environ.get("TEST_WALL_CLOCK", "")


def pytest_configure(config: pytest.Config) -> None:
    if _WALL_CLOCK:
        import time_machine

        day = date.fromisoformat(_WALL_CLOCK)
        traveller = time_machine.travel(datetime.combine(day, time(10), tzinfo=UTC), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


# Fixtures that start a real server or browser in another process (CalDAV, IMAP, SMTP,
# gunicorn, Chromium, the icscheck parsers). Tests using one are marked ``external``; the
# any-date run leaves them out: those processes keep their own clocks.
EXTERNAL_FIXTURES = frozenset(
    {"smtp_sink", "xandikos", "radicale", "cyrus", "server", "browser", "oidc_provider"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if EXTERNAL_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.external)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Any]:
    """One SMTP sink for the whole run (it lives in this process, on a socket it was handed);
    each test gets it emptied through ``smtp_sink`` (tests/caldav_servers.py)."""
    from caldav_servers import SmtpSink

    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])

# Monday 30 November 2026, 09:00 in Stockholm.
DEFAULT_NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        _reset_postgres(url)
    upgrade(url)
    return url


def _empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return replace(
        Settings(),
        env="test",
        database_url=database_url,
        secret_key="test-secret",
        public_base_url="http://forum.test",
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Flask]:
    application = create_app(
        settings, clock=clock, test_config={"TESTING": True, "WTF_CSRF_ENABLED": False}
    )
    engine: Engine = application.extensions["engine"]
    _empty_all_tables(engine)
    yield application
    close_app(application)  # the feed change listener too, not left to the GC


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    session: Session = app.extensions["session_factory"]()
    yield session
    session.close()


@pytest.fixture
def seeded(db: Session, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory) -> Session:
    """The demo data, as ``seed_demo`` writes it at the test's clock. Seeded once per database
    and moment, then copied in by SQL for every further test (a copy is several times faster
    than seeding 18 months of afternoons and hashing a password again)."""
    from booking.services.demo import seed_demo

    engine = db.get_bind()
    assert isinstance(engine, Engine)
    key = (str(engine.url), clock.now(), 18)
    template = _SEED_TEMPLATES.get(key)
    if template is None:
        assert seed_demo(db, clock.now().date(), 18)
        template = f"seed_{len(_SEED_TEMPLATES)}"
        _save_template(engine, template, tmp_path_factory)
        _SEED_TEMPLATES[key] = template
    else:
        _load_template(engine, template, tmp_path_factory)
    return db


# (database url, clock, horizon) → the name of a copy of the seeded tables: an attached SQLite
# file, or a PostgreSQL schema.
_SEED_TEMPLATES: dict[tuple[str, datetime, int], str] = {}


def _table_names() -> list[str]:
    return [t.name for t in Base.metadata.sorted_tables]


def _sqlite_copy(engine: Engine, path: Path, statement: str) -> None:
    """Run ``statement`` (with ``{table}``) for every table, parents first, on a raw SQLite
    connection with the template file attached as ``tmpl`` (ATTACH cannot run inside a
    transaction, so not through the ORM's connection)."""
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("ATTACH DATABASE ? AS tmpl", (str(path),))
        for table in _table_names():
            raw.cursor().execute(statement.format(table=table))
        raw.commit()
        raw.cursor().execute("DETACH DATABASE tmpl")
    finally:
        raw.close()


def _save_template(engine: Engine, name: str, folder: pytest.TempPathFactory) -> None:
    path = folder.getbasetemp() / f"{name}.sqlite3"
    if engine.dialect.name != "postgresql":
        _sqlite_copy(engine, path, "CREATE TABLE tmpl.{table} AS SELECT * FROM main.{table}")
        return
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
        for table in _table_names():
            conn.execute(text(f"CREATE TABLE {name}.{table} AS TABLE public.{table}"))


def _load_template(engine: Engine, name: str, folder: pytest.TempPathFactory) -> None:
    """Copy the template's rows into the emptied tables, parents first."""
    path = folder.getbasetemp() / f"{name}.sqlite3"
    if engine.dialect.name != "postgresql":
        _sqlite_copy(engine, path, "INSERT INTO main.{table} SELECT * FROM tmpl.{table}")
        return
    with engine.begin() as conn:
        for table in _table_names():
            conn.execute(text(f"INSERT INTO public.{table} SELECT * FROM {name}.{table}"))
        # The ids continue after the copied rows, as after a real seed.
        for table in Base.metadata.sorted_tables:
            for column in table.primary_key.columns:
                if column.autoincrement is True or (
                    column.autoincrement == "auto" and column.type.python_type is int
                ):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                            f"'{column.name}'), coalesce(max({column.name}), 0) + 1, false) "
                            f"FROM {table.name}"
                        )
                    )
