"""Engine and session factory, the clock stamp on every flush, and the SQLite pragmas."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from booking.clock import Clock

if TYPE_CHECKING:
    from booking.services.policies import Policies


class Base(DeclarativeBase):
    pass


# The key of ``Session.info`` under which every session carries its policies.
POLICIES_KEY = "policies"

# Column markers (``mapped_column(..., info=STAMP_ON_INSERT)``). Every timestamp the service
# writes comes from the injected clock, never from the wall clock: a column default such as
# ``default=datetime.now`` would make the service and its tests (or a replayed demo) disagree
# about "now". The flush hook below fills marked columns from the session factory's clock.
STAMP_ON_INSERT: dict[str, str] = {"stamp": "insert"}  # set once, when the row is created
STAMP_ON_WRITE: dict[str, str] = {"stamp": "write"}  # set on create and on every change


def _stamped_columns(obj: object, kinds: Iterable[str]) -> list[str]:
    wanted = set(kinds)
    return [
        attr.key
        for attr in inspect(obj).mapper.column_attrs
        if any(col.info.get("stamp") in wanted for col in attr.columns)
    ]


def stamp_timestamps(db: Session, clock: Clock) -> None:
    """Fill the marked columns of new and changed rows from ``clock``. A value the service set
    itself (a backdated import, a rotated token's issue time) is kept."""
    now = clock.now()
    for obj in db.new:
        for key in _stamped_columns(obj, ("insert", "write")):
            if getattr(obj, key) is None:
                setattr(obj, key, now)
    for obj in db.dirty:
        if not db.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        for key in _stamped_columns(obj, ("write",)):
            if not state.attrs[key].history.has_changes():
                setattr(obj, key, now)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while one writer commits; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine, clock: Clock, policies: Policies) -> sessionmaker[Session]:
    """Sessions whose timestamps come from ``clock`` and which carry ``policies``, built once
    from the settings by the composition root (``Session.info["policies"]``, read by the
    services through booking.services.policies.policies_of)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False, info={POLICIES_KEY: policies})

    def _before_flush(db: Session, _context: Any, _instances: Any) -> None:
        stamp_timestamps(db, clock)

    event.listen(factory, "before_flush", _before_flush)
    return factory


def conflict_insert(db: Session, model: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``model`` that takes ON CONFLICT clauses, in the session's dialect: both
    databases know them, but SQLAlchemy offers them only on each dialect's own insert."""
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
