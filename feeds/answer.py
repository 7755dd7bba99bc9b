"""The one answer to a feed request, whichever server interface carries it.

    answer(request, reader, now)              the ASGI front, on the event loop: a fresh private
                                              feed (304 or its stored bytes) from one indexed
                                              read, else None (the database must decide)
    answer(request, reader, now, db, config)  the Flask routes (and so Flask's test client): the
                                              same first step, then the rest: a stale feed
                                              rebuilt, the public availability feed, 404

A subscription is polled by every subscriber's client, all day, and nearly every poll finds
the feed unchanged: the first step reads token hash → feed key → validators through the raw
feed reader (booking/adapters/feed_reader.py, wired in by booking/app.py), no ORM. The second
step is the service's request path (``booking.services.feeds.request``) in the request's
session. HTTP caching rules: ``feeds.http``; bytes kept per process: ``feeds.memory``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from booking.services.access.tokens import hash_token
from booking.services.feeds import request as feed_request
from booking.services.feeds.build import FeedBytes, FeedState
from booking.services.feeds.policy import FeedConfig
from feeds.http import accepts_gzip, http_date, not_modified
from feeds.memory import FeedMemory

access_log = logging.getLogger("feeds.access")
CONTENT_TYPE = "text/calendar; charset=utf-8"
PRIVATE_CACHE = "private, no-cache"
PUBLIC_CACHE = "public, no-cache"
NOT_FOUND = "Not found\n"
memory = FeedMemory()

KIND_OF_SEGMENT = {
    "departments": "department",
    "representatives": "representative",
    "forums": "forum",
    "cases": "case",
}
_PRIVATE_PATH = re.compile(r"/feeds/([^/]+)/([^/]+)\.ics")
_AVAILABILITY_PATH = re.compile(r"/feeds/forums/([^/]+)/availability\.ics")
# Tokens are 43 URL-safe base64 characters; anything else is refused before the database.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,64}")
SLUG_RE = re.compile(r"[^\x00-\x1f\x7f-\x9f/]{1,64}")


class FreshFeeds(Protocol):
    """The raw read of a fresh private feed (booking.adapters.feed_reader.FeedReader)."""

    engine: Engine

    def private(self, kind: str, token_hash: str, now: datetime) -> FeedState | None: ...

    def feed_bytes(self, feed_key: str) -> FeedBytes | None: ...


def reader_of(app: Flask) -> FreshFeeds:
    """The app's feed reader, made again when the engine was replaced (tests and the CLI may
    replace it after create_app())."""
    engine = app.extensions["engine"]
    reader: FreshFeeds | None = app.extensions.get("feed_reader")
    if reader is None or reader.engine is not engine:
        reader = app.extensions["feed_reader"] = app.extensions["feed_reader_factory"](engine)
    return reader


@dataclass(frozen=True)
class FeedRequest:
    """The parts of a GET or HEAD that decide a feed's answer."""

    path: str
    if_none_match: str | None = None
    if_modified_since: str | None = None
    accept_encoding: str | None = None


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    feed_key: str = ""


def answer(
    request: FeedRequest,
    reader: FreshFeeds,
    now: datetime,
    db: Session | None = None,
    config: FeedConfig | None = None,
    *,
    fresh_tried: bool = False,
    log: bool = True,
) -> Reply | None:
    """304, 200 with the stored bytes, or 404 (the same for an unknown and a revoked token).

    Without ``db``: only a fresh private feed is answered, else None. ``fresh_tried``: the
    caller (the ASGI front) already found no fresh feed, so the raw read is not repeated.
    ``log``: record the answer through the ``feeds.access`` logger (the ASGI front's own
    access log records its answers with the feed key)."""
    if match := _AVAILABILITY_PATH.fullmatch(request.path):
        if db is None:
            return None
        slug = match[1]
        if not SLUG_RE.fullmatch(slug):  # a slug is short and plain; NUL would reach the db
            return not_found("availability ?")
        assert config is not None
        state = feed_request.availability_state(db, slug, now, config)
        if state is None:
            return not_found(f"availability {slug!r}")
        return _reply(request, state, PUBLIC_CACHE, db, log)
    match = _PRIVATE_PATH.fullmatch(request.path)
    kind = KIND_OF_SEGMENT.get(match[1]) if match else None
    if match is None or kind is None or not TOKEN_RE.fullmatch(match[2]):
        return None if db is None else not_found(kind or "?")
    token_hash = hash_token(match[2])
    if not fresh_tried:
        fresh = reader.private(kind, token_hash, now)
        if fresh is not None:
            return reply_for(
                request, fresh, PRIVATE_CACHE, lambda: reader.feed_bytes(fresh.feed_key), log
            )
    if db is None:
        return None  # unknown, revoked or stale: the database decides
    assert config is not None
    state = feed_request.private_feed_state(db, kind, token_hash, now, config)
    if state is None:
        return not_found(kind)
    return _reply(request, state, PRIVATE_CACHE, db, log)


def _reply(
    request: FeedRequest, state: FeedState, cache_control: str, db: Session, log: bool
) -> Reply:
    # A rebuild in this request hands over the bytes it stored: no second read, no unpacking.
    load = lambda: state.built or feed_request.feed_bytes(db, state.feed_key)  # noqa: E731
    return reply_for(request, state, cache_control, load, log) or not_found(state.feed_key)


def not_found(what: str) -> Reply:
    access_log.info("feed %s: unknown or revoked -> 404", what)
    # The same answer for a token that never existed and one that was revoked.
    body = NOT_FOUND.encode()
    return Reply(404, [("Content-Type", "text/plain; charset=utf-8")], body)


def _headers(state: FeedState, cache_control: str) -> list[tuple[str, str]]:
    return [
        ("ETag", state.etag),
        ("Last-Modified", http_date(state.last_modified)),
        ("Cache-Control", cache_control),
        ("Vary", "Accept-Encoding"),
        ("X-Content-Type-Options", "nosniff"),
    ]


def reply_for(
    request: FeedRequest,
    state: FeedState,
    cache_control: str,
    load: Callable[[], FeedBytes | None],
    log: bool = True,
) -> Reply | None:
    """304 when the client's validators match (before touching the body), else the bytes.

    None when the feed vanished between the two reads (the caller answers 404).
    """
    if not_modified(
        state.etag, state.last_modified, request.if_none_match, request.if_modified_since
    ):
        if log:
            access_log.info("feed %s -> 304", state.feed_key)
        return Reply(304, _headers(state, cache_control), b"", state.feed_key)
    data = memory.get(state.feed_key, state.etag)
    if data is None:
        data = load()
        if data is None:
            return None
        memory.put(state.feed_key, data)
        # A concurrent rebuild may have replaced the body between the two reads: the bytes
        # are served with their own validators.
        state = FeedState(state.feed_key, data.etag, data.last_modified)
    headers = _headers(state, cache_control)
    body = data.body
    if accepts_gzip(request.accept_encoding):
        body = data.body_gzip
        headers.append(("Content-Encoding", "gzip"))
    headers += [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
    if log:
        access_log.info("feed %s -> 200 (%d bytes)", state.feed_key, len(body))
    return Reply(200, headers, body, state.feed_key)
