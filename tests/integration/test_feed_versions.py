"""On PostgreSQL a poll of an unchanged private feed is answered from the worker's memory,
kept current by LISTEN/NOTIFY (booking/adapters/feed_versions.py, migration 0015): no database
round trip, and still every change, revocation and rotation is seen by the next poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import feeds_helpers as h
import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session as Db

from booking.adapters.feed_reader import FeedReader
from booking.clock import FixedClock
from booking.db import make_engine, make_session_factory
from booking.models import Meeting
from booking.services.feeds import tokens as feed_tokens
from booking.services.meetings import events as meeting_events
from feeds.answer import reader_of


@pytest.fixture(autouse=True)
def _postgresql_only(db: Db) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; a poll on SQLite reads a local file")


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


class Reads:
    """Counts the reader's PRIVATE_STATE reads (the round trip this cache saves)."""

    def __init__(self, reader: FeedReader, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = reader._one

        def counting(prepared: Any, **params: Any) -> Any:
            if prepared is reader._state:
                self.count += 1
            return original(prepared, **params)

        monkeypatch.setattr(reader, "_one", counting)

    def during(self, action: Callable[[], Any]) -> int:
        before = self.count
        action()
        return self.count - before


@pytest.fixture
def reader(app: Flask, client: FlaskClient) -> Iterator[FeedReader]:
    found = reader_of(app)
    assert isinstance(found, FeedReader) and found.versions is not None
    yield found
    found.close()


def _live_feed(client: FlaskClient, seeded: Db, clock: FixedClock, reader: FeedReader) -> str:
    """A booked meeting's department feed, built, with the listener live."""
    h.book(seeded, clock.now())
    path = h.url(seeded, "department", h.department(seeded, "stadsbyggnad").id, clock.now())
    assert client.get(path).status_code == 200  # built (and starts this process's listener)
    assert reader.versions is not None
    wait_until(lambda: reader.versions is not None and reader.versions.live)
    return path


def _elsewhere(app: Flask, clock: FixedClock) -> Db:
    """A session like another process's: its commits reach this one only by NOTIFY."""
    engine = make_engine(str(app.extensions["engine"].url.render_as_string(hide_password=False)))
    return make_session_factory(engine, clock, app.extensions["policies"])()


def _move(db: Db, meeting_id: int, clock: FixedClock, room: str) -> None:
    meeting = db.get(Meeting, meeting_id)
    assert meeting is not None
    meeting.location = room
    meeting_events.meeting_changed(db, meeting, "updated", clock.now())
    db.commit()


def test_an_unchanged_feed_is_answered_without_a_database_read(
    client: FlaskClient,
    seeded: Db,
    clock: FixedClock,
    reader: FeedReader,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _live_feed(client, seeded, clock, reader)
    reads = Reads(reader, monkeypatch)
    etag = client.get(path).headers["ETag"]  # read once, kept
    polls: list[int] = []
    poll = lambda: polls.append(client.get(path, headers={"If-None-Match": etag}).status_code)  # noqa: E731
    assert [reads.during(poll) for _ in range(3)] == [0, 0, 0]
    assert polls == [304, 304, 304]
    full = []
    assert reads.during(lambda: full.append(client.get(path))) == 0
    assert full[0].status_code == 200 and full[0].headers["ETag"] == etag


def test_a_change_in_this_process_is_seen_by_the_very_next_poll(
    client: FlaskClient, seeded: Db, clock: FixedClock, reader: FeedReader
) -> None:
    path = _live_feed(client, seeded, clock, reader)
    etag = client.get(path).headers["ETag"]
    meeting_id = seeded.scalars(select_meeting_ids()).first()
    assert meeting_id is not None
    _move(seeded, meeting_id, clock, "Rum 7")
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert "Rum 7" in h.unfolded(response.data)


def test_a_change_committed_elsewhere_reaches_the_next_poll_after_its_notification(
    app: Flask,
    client: FlaskClient,
    seeded: Db,
    clock: FixedClock,
    reader: FeedReader,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _live_feed(client, seeded, clock, reader)
    etag = client.get(path).headers["ETag"]
    meeting_id = seeded.scalars(select_meeting_ids()).first()
    assert meeting_id is not None
    other = _elsewhere(app, clock)
    try:
        _move(other, meeting_id, clock, "Rum 8")
    finally:
        other.close()
        other.get_bind().dispose()  # type: ignore[union-attr]
    # The notification arrives within moments; until then an answer may be the old one.
    wait_until(lambda: client.get(path).headers["ETag"] != etag)
    reads = Reads(reader, monkeypatch)
    response = client.get(path)
    assert "Rum 8" in h.unfolded(response.data)
    new_etag = response.headers["ETag"]
    assert reads.during(lambda: client.get(path, headers={"If-None-Match": new_etag})) == 0


def test_a_revoked_or_rotated_token_stops_at_once(
    client: FlaskClient, seeded: Db, clock: FixedClock, reader: FeedReader
) -> None:
    path = _live_feed(client, seeded, clock, reader)
    dept_id = h.department(seeded, "stadsbyggnad").id
    assert client.get(path).status_code == 200  # kept in memory
    new_token = feed_tokens.rotate(seeded, "department", dept_id, h.SECRET, clock.now())
    assert client.get(path).status_code == 404
    new_path = feed_tokens.feed_path("department", new_token)
    assert client.get(new_path).status_code == 200
    assert client.get(new_path).status_code == 200  # kept in memory
    feed_tokens.revoke(seeded, "department", dept_id, clock.now())
    assert client.get(new_path).status_code == 404


def test_a_revocation_elsewhere_stops_the_token_when_its_notification_arrives(
    app: Flask, client: FlaskClient, seeded: Db, clock: FixedClock, reader: FeedReader
) -> None:
    path = _live_feed(client, seeded, clock, reader)
    dept_id = h.department(seeded, "stadsbyggnad").id
    assert client.get(path).status_code == 200
    other = _elsewhere(app, clock)
    try:
        feed_tokens.revoke(other, "department", dept_id, clock.now())
    finally:
        other.close()
        other.get_bind().dispose()  # type: ignore[union-attr]
    wait_until(lambda: client.get(path).status_code == 404)
    assert client.get(path).status_code == 404


def _kill_listeners(db: Db) -> int:
    killed = db.execute(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = 'LISTEN dorren_feeds'"
        )
    ).scalar_one()
    db.commit()
    return int(killed)


def test_a_lost_listener_falls_back_to_the_database_then_reconnects(
    app: Flask,
    client: FlaskClient,
    seeded: Db,
    clock: FixedClock,
    reader: FeedReader,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _live_feed(client, seeded, clock, reader)
    versions = reader.versions
    assert versions is not None
    etag = client.get(path).headers["ETag"]
    # The database refuses the listener's new connections until the gate opens.
    gate = threading.Event()
    connect = versions._connect

    def gated() -> Any:
        if not gate.is_set():
            raise psycopg.OperationalError("refused by the test")
        return connect()

    monkeypatch.setattr(versions, "_connect", gated)
    reads = Reads(reader, monkeypatch)
    assert _kill_listeners(seeded) >= 1
    wait_until(lambda: not versions.live)
    # While no listener runs, every poll reads the database, and so sees every change.
    meeting_id = seeded.scalars(select_meeting_ids()).first()
    assert meeting_id is not None
    other = _elsewhere(app, clock)
    try:
        _move(other, meeting_id, clock, "Rum 9")
    finally:
        other.close()
        other.get_bind().dispose()  # type: ignore[union-attr]
    assert reads.during(lambda: client.get(path, headers={"If-None-Match": etag})) == 1
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Rum 9" in h.unfolded(response.data)
    new_etag = response.headers["ETag"]
    assert reads.during(lambda: client.get(path, headers={"If-None-Match": new_etag})) == 1
    # The listener connects again (within its backoff) and memory serves once more.
    gate.set()
    wait_until(lambda: versions.live, seconds=40)
    assert client.get(path, headers={"If-None-Match": new_etag}).status_code == 304  # kept
    assert reads.during(lambda: client.get(path, headers={"If-None-Match": new_etag})) == 0


def select_meeting_ids() -> Any:
    from sqlalchemy import select

    return select(Meeting.id).order_by(Meeting.id)
