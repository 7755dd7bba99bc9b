"""Each worker's knowledge of the private feeds' current versions, kept by PostgreSQL NOTIFY.

A poll of a fresh private feed needs one row (``PRIVATE_STATE``: token hash → feed key,
ETag, Last-Modified, stale, valid until). On PostgreSQL reading it is a network round trip,
made on the worker's event loop. ``FeedVersions`` keeps the rows this process has read, per
token hash, and drops a feed's rows when PostgreSQL says the feed changed: triggers on
``feed_tokens`` and ``feed_bodies`` (migration 0015) send ``NOTIFY dorren_feeds, '<feed key>'``
for every written row ('*' on TRUNCATE), delivered at the writer's commit, in commit order.

The rules that keep it correct:
1. Nothing is used or stored unless the listener is connected and listening. Before that (at
   start, after a lost connection) every poll reads the database, as without this cache; a new
   connection starts from an empty cache (notifications may have been missed meanwhile).
2. Every notification raises a generation. A row read from the database is stored only if the
   generation is still the one taken before the read: a change that committed while the read
   ran is never hidden behind an old row.
3. Before answering from memory the socket is drained (a non-blocking read), so a change whose
   notification has reached this process is always seen; the listener thread also applies
   notifications as they arrive. A change committed in another process is therefore seen as
   soon as PostgreSQL delivers its notification (well under a millisecond on one host).
4. A commit in this process waits (``sync``) until its own notifications have arrived: a
   marker NOTIFY sent after the commit arrives after them. So a process sees its own changes at
   once (a revoked token is refused by the very next poll, the tests see each change).
5. Only the row is kept, never a decision: the freshness rule that depends on the clock
   (``fresh_state``) runs on every poll. Bounded: least recently used rows go first.

One listening connection per worker process, opened by a daemon thread at the first poll of
the process (so a forked worker opens its own), re-opened with backoff when lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import socket
import threading
import time
from collections import OrderedDict
from typing import Any

import psycopg
from psycopg import pq

log = logging.getLogger(__name__)

# The channel migration 0015 notifies on (frozen there).
CHANNEL = "dorren_feeds"
EVERYTHING = "*"
SYNC = "sync:"
MAX_ENTRIES = 50_000
SYNC_TIMEOUT = 1.0
_TICK = 1.0  # the listener thread looks at its stop flag at least this often
_MAX_BACKOFF = 30.0
# Connections inherited through fork: never closed in the child (libpq would end the
# parent's session on the shared socket), never collected.
_INHERITED: list[Any] = []

Row = tuple[Any, ...]


class FeedVersions:
    """``PRIVATE_STATE`` rows by token hash, kept current by LISTEN (see the module's rules)."""

    def __init__(self, dsn: str, max_entries: int = MAX_ENTRIES) -> None:
        self._dsn = dsn
        self._max = max_entries
        self._pid = 0  # no listener in any process yet: started by the first lookup
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._synced_cond = threading.Condition(self._lock)
        self._rows: OrderedDict[str, Row] = OrderedDict()
        self._by_key: dict[str, set[str]] = {}
        self._generation = 0
        self._conn: psycopg.Connection[Any] | None = None
        self._stop = threading.Event()
        # This process's markers: its pid and a random part (pids repeat on other hosts).
        self._name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._sync_sent = 0
        self._sync_seen = 0
        self._send_lock = threading.Lock()
        self._sender: psycopg.Connection[Any] | None = None

    # ------------------------------------------------------------ used by the feed reader

    @property
    def live(self) -> bool:
        """Connected and listening: rows are kept and used."""
        return self._conn is not None

    def lookup(self, token_hash: str) -> tuple[Row | None, int | None]:
        """(the kept row or None, the ticket to store a row read now, None when not live)."""
        if self._pid != os.getpid():
            self._start()
        with self._lock:
            if self._conn is None or not self._drain():
                return None, None
            row = self._rows.get(token_hash)
            if row is not None:
                self._rows.move_to_end(token_hash)
            return row, self._generation

    def put(self, token_hash: str, row: Row, ticket: int) -> None:
        """Keep ``row`` (its first column is the feed key) unless anything changed since the
        ticket was taken."""
        with self._lock:
            if self._conn is None or not self._drain() or ticket != self._generation:
                return
            self._discard(token_hash)
            self._rows[token_hash] = row
            self._by_key.setdefault(row[0], set()).add(token_hash)
            while len(self._rows) > self._max:
                self._discard(next(iter(self._rows)))

    def sync(self, timeout: float = SYNC_TIMEOUT) -> None:
        """After a commit of this process: wait until its notifications have been applied.

        A marker NOTIFY sent now, after the commit, arrives after them (commit order). Sent on
        a connection of its own, opened at the first commit while the listener is live. If
        the marker cannot be sent or comes late, everything kept is forgotten instead."""
        marker = self.sync_marker()
        if marker is None:
            return
        payload, number = marker
        with self._send_lock:
            try:
                if self._sender is None or self._sender.closed:
                    self._sender = psycopg.connect(self._dsn, autocommit=True, connect_timeout=5)
                self._sender.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
            except psycopg.Error as exc:
                log.warning("feed change marker not sent (%s); forgetting kept versions", exc)
                if self._sender is not None:
                    self._sender.close()
                    self._sender = None
                self.forget_all()
                return
        self.wait_synced(number, timeout)

    def sync_marker(self) -> tuple[str, int] | None:
        """A marker to NOTIFY after a commit of this process (``wait_synced`` then waits for
        it); None when not live (nothing is kept, so nothing can be out of date)."""
        with self._lock:
            if self._conn is None or self._pid != os.getpid():
                return None
            self._sync_sent += 1
            return f"{SYNC}{self._name}:{self._sync_sent}", self._sync_sent

    def wait_synced(self, number: int, timeout: float = SYNC_TIMEOUT) -> None:
        """Wait until marker ``number`` arrived, so every notification of a commit made before
        it has been applied; on timeout, forget everything instead."""
        deadline = time.monotonic() + timeout
        with self._synced_cond:
            while self._sync_seen < number:
                if self._conn is None or not self._drain():
                    return  # not live: nothing is used until a new connection starts empty
                if self._sync_seen >= number:
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("feed change marker late; forgetting every kept feed version")
                    self._forget_all()
                    return
                self._synced_cond.wait(min(left, 0.005))

    def forget_all(self) -> None:
        with self._lock:
            self._forget_all()

    def close(self) -> None:
        """Stop the listener: its thread, woken at once, closes the connection."""
        self._stop.set()
        with self._lock:
            conn, self._conn = self._conn, None
            self._forget_all()
        if conn is not None and self._pid == os.getpid():
            _wake(conn)
        with self._send_lock:
            if self._sender is not None and self._pid == os.getpid():
                self._sender.close()
            self._sender = None

    # ------------------------------------------------------------ the listener

    def _start(self) -> None:
        pid = os.getpid()
        if self._pid not in (0, pid):
            # A forked child (it starts with one thread): the parent's lock, rows and
            # connection are not its own.
            _INHERITED.extend(c for c in (self._conn, self._sender) if c is not None)
            self._reset()  # with a marker name of its own
            self._pid = 0
        with self._lock:
            if self._pid == pid:
                return
            self._pid = pid
        thread = threading.Thread(target=self._run, name="feed-versions", daemon=True)
        thread.start()

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except psycopg.Error as exc:
                log.warning("feed change listener: cannot connect (%s); polls read the db", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            backoff = 0.5
            with self._lock:
                if self._stop.is_set():
                    conn.close()
                    return
                self._forget_all()  # notifications may have been missed while not listening
                self._conn = conn
            try:
                self._listen(conn)
            finally:
                with self._lock:
                    if self._conn is conn:
                        self._conn = None
                        self._forget_all()
                conn.close()
            if not self._stop.is_set():
                log.warning("feed change listener lost its connection; polls read the db")

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(
            self._dsn,
            autocommit=True,
            connect_timeout=5,
            # A server that vanished without a word (network) is noticed within a minute.
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
        try:
            conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error:
            conn.close()
            raise
        return conn

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        """Apply notifications as they arrive, until the connection is lost or stopped."""
        fd = conn.pgconn.socket
        while not self._stop.is_set():
            try:
                select.select([fd], [], [], _TICK)
            except (OSError, ValueError):
                return
            with self._lock:
                if self._conn is not conn or not self._drain():
                    return

    # ------------------------------------------------------------ under the lock

    def _drain(self) -> bool:
        """Apply what has arrived (never blocks); False, forgetting everything, when the
        connection is lost."""
        conn = self._conn
        assert conn is not None
        pgconn = conn.pgconn
        try:
            pgconn.consume_input()
            if pgconn.status != pq.ConnStatus.OK:
                raise psycopg.OperationalError("connection lost")
            while (notify := pgconn.notifies()) is not None:
                self._apply(notify.extra.decode())
        except psycopg.Error:
            self._conn = None  # the listener thread closes it and connects again
            self._forget_all()
            return False
        return True

    def _apply(self, payload: str) -> None:
        if payload.startswith(SYNC):
            name, _, number = payload[len(SYNC) :].partition(":")
            if name == self._name and number.isdigit():
                self._sync_seen = max(self._sync_seen, int(number))
                self._synced_cond.notify_all()
            return
        self._generation += 1
        if payload == EVERYTHING:
            self._rows.clear()
            self._by_key.clear()
            return
        for token_hash in self._by_key.pop(payload, ()):
            self._rows.pop(token_hash, None)

    def _discard(self, token_hash: str) -> None:
        row = self._rows.pop(token_hash, None)
        if row is not None:
            hashes = self._by_key.get(row[0])
            if hashes is not None:
                hashes.discard(token_hash)
                if not hashes:
                    del self._by_key[row[0]]

    def _forget_all(self) -> None:
        self._generation += 1
        self._rows.clear()
        self._by_key.clear()


def _wake(conn: psycopg.Connection[Any]) -> None:
    """End the listener thread's wait on this connection's socket now: shut the socket down
    (through a duplicate descriptor; the thread itself closes the connection)."""
    with contextlib.suppress(OSError, psycopg.Error):
        duplicate = socket.socket(fileno=os.dup(conn.pgconn.socket))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()
