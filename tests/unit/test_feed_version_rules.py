"""The rules of the per-worker feed versions (booking/adapters/feed_versions.py), on a fake
listening connection: what arrives on it, and whether it is alive, is in the test's hands."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq

from booking.adapters.feed_versions import FeedVersions


@dataclass
class _Notify:
    extra: bytes


class FakePgConn:
    def __init__(self) -> None:
        self.arrived: deque[_Notify] = deque()
        self.status = pq.ConnStatus.OK
        self.lost = False

    def consume_input(self) -> None:
        if self.lost:
            raise psycopg.OperationalError("server closed the connection")

    def notifies(self) -> _Notify | None:
        return self.arrived.popleft() if self.arrived else None

    def send(self, payload: str) -> None:
        self.arrived.append(_Notify(payload.encode()))


@dataclass
class FakeConn:
    pgconn: FakePgConn


def listening(max_entries: int = 100) -> tuple[FeedVersions, FakePgConn]:
    """Versions whose listener is connected to the fake (no thread, no database)."""
    versions = FeedVersions("", max_entries)
    pgconn = FakePgConn()
    versions._pid = os.getpid()  # as if the listener thread of this process had started
    versions._conn = FakeConn(pgconn)  # type: ignore[assignment]
    return versions, pgconn


def row(key: str, etag: str = '"a"') -> tuple[Any, ...]:
    return (key, etag, None, False, None)


def test_a_read_that_raced_a_notification_is_not_kept() -> None:
    versions, pgconn = listening()
    kept, ticket = versions.lookup("h1")
    assert kept is None and ticket is not None
    # The database read returns the old row while a change commits and is notified.
    pgconn.send("department:3")
    versions.put("h1", row("department:3"), ticket)
    assert versions.lookup("h1")[0] is None
    # A read that nothing raced is kept.
    _, ticket = versions.lookup("h1")
    assert ticket is not None
    versions.put("h1", row("department:3", '"b"'), ticket)
    assert versions.lookup("h1")[0] == row("department:3", '"b"')


def test_a_notification_drops_only_its_feeds_rows() -> None:
    versions, pgconn = listening()
    for token_hash, key in (("h1", "department:3"), ("h2", "department:3"), ("h3", "case:7")):
        _, ticket = versions.lookup(token_hash)
        assert ticket is not None
        versions.put(token_hash, row(key), ticket)
    pgconn.send("department:3")
    assert versions.lookup("h1")[0] is None and versions.lookup("h2")[0] is None
    assert versions.lookup("h3")[0] == row("case:7")
    pgconn.send("*")  # TRUNCATE
    assert versions.lookup("h3")[0] is None


def test_nothing_is_kept_or_used_without_a_live_listener() -> None:
    versions, pgconn = listening()
    _, ticket = versions.lookup("h1")
    assert ticket is not None
    versions.put("h1", row("forum:1"), ticket)
    pgconn.lost = True
    assert versions.lookup("h1") == (None, None)  # dropped, and no ticket to keep a read
    assert not versions.live
    versions.put("h1", row("forum:1"), ticket)
    assert versions.lookup("h1") == (None, None)


def test_the_least_recently_used_row_goes_first() -> None:
    versions, _ = listening(max_entries=2)
    for token_hash in ("h1", "h2"):
        _, ticket = versions.lookup(token_hash)
        assert ticket is not None
        versions.put(token_hash, row(f"case:{token_hash}"), ticket)
    assert versions.lookup("h1")[0] is not None  # h1 used: h2 is now the oldest
    _, ticket = versions.lookup("h3")
    assert ticket is not None
    versions.put("h3", row("case:h3"), ticket)
    assert versions.lookup("h2")[0] is None
    assert versions.lookup("h1")[0] is not None and versions.lookup("h3")[0] is not None


def test_a_commit_waits_for_its_marker_and_forgets_everything_when_it_is_late() -> None:
    versions, pgconn = listening()
    marker = versions.sync_marker()
    assert marker is not None
    payload, number = marker
    pgconn.send("case:1")
    pgconn.send(payload)
    versions.wait_synced(number, timeout=1.0)  # returns as soon as the marker arrived
    _, ticket = versions.lookup("h1")
    assert ticket is not None
    versions.put("h1", row("case:2"), ticket)
    late = versions.sync_marker()
    assert late is not None
    versions.wait_synced(late[1], timeout=0.01)  # never arrives
    assert versions.lookup("h1")[0] is None
