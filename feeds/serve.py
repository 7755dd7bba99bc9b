"""The answer to a feed request, shared by the Flask routes and the WSGI fast path."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from booking.services.feeds.cache import FeedBytes, FeedState
from feeds.http import accepts_gzip, http_date, not_modified
from feeds.memory import FeedMemory

access_log = logging.getLogger("feeds.access")
CONTENT_TYPE = "text/calendar; charset=utf-8"
PRIVATE_CACHE = "private, no-cache"
PUBLIC_CACHE = "public, no-cache"
memory = FeedMemory()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    feed_key: str = ""


def _headers(state: FeedState, cache_control: str) -> list[tuple[str, str]]:
    return [
        ("ETag", state.etag),
        ("Last-Modified", http_date(state.last_modified)),
        ("Cache-Control", cache_control),
        ("Vary", "Accept-Encoding"),
        ("X-Content-Type-Options", "nosniff"),
    ]


def reply_for(
    state: FeedState,
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    accept_encoding: str | None,
    cache_control: str,
    load: Callable[[], FeedBytes | None],
    log: bool = True,
) -> Reply | None:
    """304 when the client's validators match (before touching the body), else the bytes.

    None when the feed vanished between the two reads (the caller answers 404).
    """
    if not_modified(state.etag, state.last_modified, if_none_match, if_modified_since):
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
    if accepts_gzip(accept_encoding):
        body = data.body_gzip
        headers.append(("Content-Encoding", "gzip"))
    headers += [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
    if log:
        access_log.info("feed %s -> 200 (%d bytes)", state.feed_key, len(body))
    return Reply(200, headers, body, state.feed_key)
