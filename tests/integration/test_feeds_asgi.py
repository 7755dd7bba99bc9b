"""The service as gunicorn serves it: the ASGI front (booking/server.py) in process, on SQLite
and PostgreSQL. Every answer must equal the Flask route's, whichever path gives it, and the
access log names the feed, never its token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import feeds_helpers as h
import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.server import ACCESS_LOGGER, asgi_front
from feeds.asgi import AsgiApp


def call(front: AsgiApp, method: str, path: str, **headers: str) -> httpx.Response:
    headers.setdefault("Accept-Encoding", "identity")  # httpx asks for gzip unless told

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=front)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://forum.test") as c:
            return await c.request(method, path, headers=headers)

    return asyncio.run(go())


@pytest.fixture
def front(app: Flask) -> AsgiApp:
    return asgi_front(app)


@pytest.fixture
def access(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    yield caplog


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]


def test_fresh_feed_answers_equal_the_flask_routes(
    front: AsgiApp, client: FlaskClient, seeded: Db, clock: FixedClock, access: Any
) -> None:
    h.book(seeded, clock.now())
    dept_id = h.department(seeded, "stadsbyggnad").id
    path = h.url(seeded, "department", dept_id, clock.now())
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    stale = call(front, "GET", path)  # built by the Flask route, logged with the feed key
    flask_answer = client.get(path)  # fresh from here on
    assert stale.content == flask_answer.data
    access.clear()

    full = call(front, "GET", path)
    assert full.status_code == 200 and full.content == flask_answer.data
    for name in ("ETag", "Last-Modified", "Content-Type", "Cache-Control", "Vary"):
        assert full.headers[name] == flask_answer.headers[name]
    etag = full.headers["ETag"]

    assert call(front, "GET", path, **{"If-None-Match": etag}).status_code == 304
    assert call(front, "GET", path, **{"If-None-Match": '"stale"'}).status_code == 200
    since = {"If-Modified-Since": full.headers["Last-Modified"]}
    assert call(front, "GET", path, **since).status_code == 304
    head = call(front, "HEAD", path)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(full.content)
    zipped = call(front, "GET", path, **{"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert int(zipped.headers["Content-Length"]) < len(full.content)
    assert zipped.content == full.content  # as unpacked by httpx

    lines = _lines(access)
    assert len(lines) == 6 and not any(token in line for line in lines)
    assert all(f"/feeds/departments/~department-{dept_id}.ics" in line for line in lines)
    assert '"GET /feeds/departments/~department-' in lines[0] and '" 200 ' in lines[0]
    assert '" 304 0 ' in lines[1]


def test_a_change_shows_at_the_next_request_through_the_front(
    front: AsgiApp, client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    h.book(seeded, clock.now())
    path = h.url(seeded, "department", h.department(seeded, "stadsbyggnad").id, clock.now())
    etag = call(front, "GET", path).headers["ETag"]
    meeting = h.book(seeded, clock.now(), slot=h.slot_on(seeded, "2026-12-22"))
    after = call(front, "GET", path, **{"If-None-Match": etag})  # stale: Flask rebuilds
    assert after.status_code == 200 and meeting.uid in h.events(h.parse_both(after.content))
    assert after.content == client.get(path).data


def test_unknown_token_public_feed_pages_and_api_through_the_front(
    front: AsgiApp, client: FlaskClient, seeded: Db, access: Any
) -> None:
    token = "DsTKCCvqfjBpGpsEna5tDlrfq4ty-jn3L8b7NzHuqdU"
    unknown = call(front, "GET", f"/feeds/departments/{token}.ics")
    assert unknown.status_code == 404 and unknown.text == "Not found\n"
    public = call(front, "GET", "/feeds/forums/mora/availability.ics")
    assert public.status_code == 200
    assert public.content == client.get("/feeds/forums/mora/availability.ics").data
    login = call(front, "GET", "/login")
    assert login.status_code == 200 and "Logga in" in login.text
    api = call(front, "POST", "/api/v1/cases")
    assert api.status_code == 401 and api.json()["error"]["code"]

    lines = _lines(access)
    assert not any(token in line for line in lines)
    assert '"GET /feeds/departments/~redacted.ics HTTP/1.1" 404' in lines[0]
    assert '"POST /api/v1/cases HTTP/1.1" 401' in lines[3]


def test_lifespan_starts_and_closes_the_engine(front: AsgiApp) -> None:
    async def go() -> list[str]:
        incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
        sent: list[str] = []

        async def receive() -> dict[str, str]:
            return next(incoming)

        async def send(message: Any) -> None:
            sent.append(message["type"])

        await front({"type": "lifespan"}, receive, send)
        return sent

    assert asyncio.run(go()) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
