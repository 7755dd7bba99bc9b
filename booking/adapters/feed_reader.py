"""The raw feed reader: a fresh private feed's validators and bytes without the ORM.

A subscription poll costs one indexed row read. ``FeedReader`` runs the request path's two
statements (``booking.services.feeds.request``: ``PRIVATE_STATE`` and ``BYTES_BY_KEY``),
compiled once for the engine's dialect, with the columns' own result processors (UTC datetimes,
booleans), on one read-only DB-API connection per thread and process, in autocommit (each read
sees the latest commit; nothing to roll back). The freshness rule is the service's
(``fresh_state``). Wired in by booking/app.py; used by ``feeds.answer``.

On PostgreSQL the reader may be given ``FeedVersions`` (booking/adapters/feed_versions.py): the
rows it read, kept current by LISTEN/NOTIFY, so a poll of an unchanged feed makes no round trip.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from booking.adapters.feed_versions import FeedVersions, Row
from booking.services.feeds.build import FeedBytes, FeedState
from booking.services.feeds.request import BYTES_BY_KEY, PRIVATE_STATE, fresh_state

_Prepared = tuple[str, list[str] | None, list[Any]]


class FeedReader:
    def __init__(self, engine: Engine, versions: FeedVersions | None = None) -> None:
        self.engine = engine
        self.versions = versions
        self._state = self._prepare(PRIVATE_STATE)
        self._bytes = self._prepare(BYTES_BY_KEY)
        self._local = threading.local()
        self._opened: list[Any] = []
        # Closed explicitly when this object goes (an app in the tests), never left to the GC.
        weakref.finalize(self, _close_all, self._opened, versions)

    def private(self, kind: str, token_hash: str, now: datetime) -> FeedState | None:
        """Like ``peek_private``: None when unknown, revoked, another kind or stale."""
        row = self._state_row(token_hash)
        return None if row is None else fresh_state(kind, row, now)

    def _state_row(self, token_hash: str) -> Row | None:
        """The ``PRIVATE_STATE`` row: kept in memory when the versions listener knows it is
        current, else read (and kept when nothing changed meanwhile)."""
        versions = self.versions
        if versions is None:
            return self._one(self._state, token_hash=token_hash)  # type: ignore[no-any-return]
        row, ticket = versions.lookup(token_hash)
        if row is not None:
            return row
        row = self._one(self._state, token_hash=token_hash)
        if row is not None and ticket is not None:
            versions.put(token_hash, row, ticket)
        return row  # type: ignore[no-any-return]

    def after_commit(self) -> None:
        """Called after each commit of this process: wait until the listener has applied the
        commit's notifications, so this process never answers from a row its own commit
        changed (``FeedVersions.sync``). Never fails the caller."""
        if self.versions is not None:
            self.versions.sync()

    def feed_bytes(self, feed_key: str) -> FeedBytes | None:
        row = self._one(self._bytes, feed_key=feed_key)
        return None if row is None else FeedBytes.from_gzip(*row)

    def close(self) -> None:
        _close_all(self._opened, self.versions)
        self._local = threading.local()

    def _connection(self) -> Any:
        raw = getattr(self._local, "raw", None)
        if raw is None or self._local.pid != os.getpid():  # new thread, or forked worker
            raw = self.engine.raw_connection()
            if self.engine.dialect.name == "postgresql":
                raw.rollback()  # idle, so autocommit may be switched on
                raw.dbapi_connection.autocommit = True  # type: ignore[union-attr]
            raw.detach()  # ours for the life of the thread, never back into the pool
            self._local.raw, self._local.pid = raw, os.getpid()
            self._opened.append(raw)
        return raw

    def _drop(self) -> None:
        raw = getattr(self._local, "raw", None)
        self._local.raw = None
        if raw is not None:
            _close_all([raw], None)
            with contextlib.suppress(ValueError):
                self._opened.remove(raw)

    def _prepare(self, stmt: Any) -> _Prepared:
        dialect = self.engine.dialect
        compiled = stmt.compile(dialect=dialect)
        names = list(compiled.positiontup) if compiled.positional else None
        procs = [
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in stmt.selected_columns
        ]
        return str(compiled), names, procs

    def _one(self, prepared: _Prepared, **params: Any) -> Any:
        sql, names, procs = prepared
        args: Any = tuple(params[n] for n in names) if names is not None else params
        for attempt in (1, 2):
            try:
                cursor = self._connection().cursor()
                cursor.execute(sql, args)
                row = cursor.fetchone()
                cursor.close()
                break
            except Exception:  # a dropped server connection: reconnect once
                self._drop()
                if attempt == 2:
                    raise
        if row is None:
            return None
        return tuple(p(v) if p is not None else v for p, v in zip(procs, row, strict=True))


def _close_all(connections: list[Any], versions: FeedVersions | None) -> None:
    if versions is not None:
        versions.close()
    for raw in connections:
        with contextlib.suppress(Exception):
            raw.close()
    connections.clear()
