"""Wakes the worker when work is queued (PostgreSQL LISTEN/NOTIFY), instead of at its next poll.

Each enqueue sends ``NOTIFY dorren_outbox`` in the booking's transaction
(booking.services.invitations.outbox.wake_workers); PostgreSQL delivers it at the commit. The
worker waits on its own autocommit connection with ``LISTEN``: a notification ends the wait at
once, no notification lets the wait run its full poll interval, so the poll still catches
anything (work that fell due later, a lost connection). The connection is opened at the
first wait and, when it breaks, re-opened at the next; between waits it runs no query, so a
notification that arrives mid-round waits on the socket and ends the next wait at once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import psycopg
from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)


def libpq_dsn(database_url: str | URL) -> str:
    """The SQLAlchemy URL (postgresql+psycopg://...) as a libpq connection string."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class OutboxWakeup:
    def __init__(self, database_url: str | URL, channel: str) -> None:
        self._dsn = libpq_dsn(database_url)
        self._channel = channel
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._dsn, autocommit=True)
            self._conn.execute(f"LISTEN {self._channel}")
        return self._conn

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for work; True when a notification arrived."""
        try:
            for _ in self._connection().notifies(timeout=seconds, stop_after=1):
                return True
            return False
        except psycopg.Error as exc:
            log.warning("outbox wake-up connection lost (%s); polling until it is back", exc)
            self.close()
            time.sleep(seconds)
            return False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
