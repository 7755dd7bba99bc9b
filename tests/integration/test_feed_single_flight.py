"""One rebuild per change, however many requests poll the stale feed at once (issue 16).

Eight requests, each with its own database session (as eight gunicorn threads or workers
would have), ask for the same stale feed at the same moment; the body is assembled once and
every request answers with the same ETag. On PostgreSQL the advisory lock does this across
processes; a thread lock within one process."""

from __future__ import annotations

import threading
import time
from typing import Any

import feeds_helpers as h
import pytest
from flask import Flask
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.ical import feed as ical_feed
from booking.services.feeds import build
from booking.services.feeds.request import private_feed_state
from booking.services.feeds.tokens import hash_token


def test_simultaneous_polls_of_a_stale_feed_share_one_rebuild(
    app: Flask, seeded: Db, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now()
    for slot in h.free_slots(seeded)[:3]:
        h.book(seeded, now, slot=slot)
    forum_id = h.forum(seeded).id
    token = h.token(seeded, "forum", forum_id, now)
    config = app.extensions["policies"].feeds
    factory = app.extensions["session_factory"]
    with factory() as db:
        first = private_feed_state(db, "forum", hash_token(token), now, config)
    assert first is not None
    h.book(seeded, now, slot=h.free_slots(seeded)[0])  # a change: the forum feed is stale

    assembled: list[int] = []
    real_assemble = ical_feed.assemble

    def slow_assemble(*args: Any) -> bytes:
        assembled.append(1)
        time.sleep(0.3)  # long enough that every other request arrives while this one builds
        return real_assemble(*args)

    monkeypatch.setattr(build, "assemble", slow_assemble)
    start = threading.Barrier(8)
    etags: list[str] = []
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            with factory() as db:
                start.wait()
                state = private_feed_state(db, "forum", hash_token(token), now, config)
                assert state is not None
                etags.append(state.etag)
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(assembled) == 1
    assert len(etags) == 8 and len(set(etags)) == 1 and etags[0] != first.etag
