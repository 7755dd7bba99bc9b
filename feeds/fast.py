"""Fast path for fresh private feeds: one indexed select, no Flask request machinery.

A feed subscription is polled by every subscriber's client, all day; nearly every poll finds
the feed unchanged. ``FastFeeds`` answers those polls (304, or the stored bytes) straight from
the token hash → feed key → validators row, for either server interface: ``feeds.asgi`` (the
service as gunicorn runs it) and ``FeedFastPath`` below (WSGI: the test client, other WSGI
servers). Anything else — an unknown or revoked token, a stale feed that must be rebuilt, the
public availability feed — goes on to the Flask routes, which apply the same rules
(``feeds.serve``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from booking.services.access.tokens import hash_token
from booking.services.feeds import cache as feed_cache
from feeds.access import WSGI_FEED_KEY
from feeds.serve import PRIVATE_CACHE, Reply, reply_for

PRIVATE_PATH = re.compile(
    r"/feeds/(departments|representatives|forums|cases)/([A-Za-z0-9_-]{32,64})\.ics"
)
_KIND = {
    "departments": "department",
    "representatives": "representative",
    "forums": "forum",
    "cases": "case",
}
_STATUS = {200: "200 OK", 304: "304 Not Modified"}
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class FeedRequest:
    """The parts of a GET or HEAD that decide a feed's answer."""

    path: str
    if_none_match: str | None = None
    if_modified_since: str | None = None
    accept_encoding: str | None = None


class FastFeeds:
    """Answers a fresh private feed, or None to let the Flask routes decide."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lookup: feed_cache.FastLookup | None = None

    @property
    def lookup(self) -> feed_cache.FastLookup:
        # Built lazily: tests and the CLI may replace the engine after create_app().
        engine = self.app.extensions["engine"]
        if self._lookup is None or self._lookup.engine is not engine:
            self._lookup = feed_cache.FastLookup(engine)
        return self._lookup

    def answer(self, request: FeedRequest, *, log: bool) -> Reply | None:
        """``log``: record the poll through the ``feeds.access`` logger (when the server's own
        access log does not already record it with the feed key)."""
        match = PRIVATE_PATH.fullmatch(request.path)
        if match is None:
            return None
        kind, token = _KIND[match[1]], match[2]
        lookup = self.lookup
        state = lookup.private(kind, hash_token(token), self.app.extensions["clock"].now())
        if state is None:  # unknown, revoked or stale: the Flask route decides
            return None
        return reply_for(
            state,
            if_none_match=request.if_none_match,
            if_modified_since=request.if_modified_since,
            accept_encoding=request.accept_encoding,
            cache_control=PRIVATE_CACHE,
            load=lambda: lookup.feed_bytes(state.feed_key),
            log=log,
        )


def without_fast_path(wsgi_app: WsgiApp) -> WsgiApp:
    """The WSGI application behind ``FeedFastPath``: for a front (``feeds.asgi``) that has
    already tried the fast path, so a stale or unknown feed is not looked up twice."""
    return wsgi_app.downstream if isinstance(wsgi_app, FeedFastPath) else wsgi_app


class FeedFastPath:
    """WSGI middleware in front of Flask: the fast path for WSGI servers."""

    def __init__(self, app: Flask, downstream: WsgiApp) -> None:
        self.feeds = FastFeeds(app)
        self.downstream = downstream

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        reply = None
        if method in {"GET", "HEAD"}:
            # Under gunicorn the access log line is the record (gunicorn.conf.py writes the feed
            # key where the token was); elsewhere the feeds.access logger records the poll.
            under_gunicorn = "gunicorn.socket" in environ
            reply = self.feeds.answer(
                FeedRequest(
                    environ.get("PATH_INFO", ""),
                    environ.get("HTTP_IF_NONE_MATCH"),
                    environ.get("HTTP_IF_MODIFIED_SINCE"),
                    environ.get("HTTP_ACCEPT_ENCODING"),
                ),
                log=not under_gunicorn,
            )
            if reply is not None and under_gunicorn:
                environ[WSGI_FEED_KEY] = reply.feed_key
        if reply is None:
            return self.downstream(environ, start_response)
        start_response(_STATUS[reply.status], reply.headers)
        if method == "HEAD" or reply.status != 200:
            return []
        return [reply.body]
