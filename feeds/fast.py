"""WSGI fast path for fresh private feeds: one indexed select, no Flask request machinery.

A feed subscription is polled by every subscriber's client, all day; nearly every poll finds
the feed unchanged. This middleware answers those polls (304, or the stored bytes) straight from
the token hash → feed key → validators row. Anything else — an unknown or revoked token, a stale
feed that must be rebuilt, the public availability feed — goes on to the Flask routes, which
apply the same rules (``feeds.serve``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from booking.services import feed_cache
from booking.services.tokens import hash_token
from feeds.files import BodyFiles
from feeds.serve import PRIVATE_CACHE, Reply, reply_for

_PRIVATE = re.compile(
    r"/feeds/(departments|representatives|forums|cases)/([A-Za-z0-9_-]{32,64})\.ics"
)
_KIND = {
    "departments": "department",
    "representatives": "representative",
    "forums": "forum",
    "cases": "case",
}
_STATUS = {200: "200 OK", 304: "304 Not Modified"}
files = BodyFiles()
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FeedFastPath:
    def __init__(self, app: Flask, downstream: WsgiApp) -> None:
        self.app = app
        self.downstream = downstream
        self._lookup: feed_cache.FastLookup | None = None

    @property
    def lookup(self) -> feed_cache.FastLookup:
        # Built lazily: tests and the CLI may replace the engine after create_app().
        engine = self.app.extensions["engine"]
        if self._lookup is None or self._lookup.engine is not engine:
            self._lookup = feed_cache.FastLookup(engine)
        return self._lookup

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        match = (
            _PRIVATE.fullmatch(environ.get("PATH_INFO", "")) if method in {"GET", "HEAD"} else None
        )
        reply = self._reply(match, environ) if match else None
        if reply is None:
            return self.downstream(environ, start_response)
        start_response(_STATUS[reply.status], reply.headers)
        if method == "HEAD" or reply.status != 200:
            return []
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None and environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
            # gunicorn sends a wrapped file with sendfile(2): no copy through Python.
            handle = files.open(reply.feed_key, reply.etag, reply.gzipped, reply.body)
            if handle is not None:
                result: Iterable[bytes] = wrapper(handle, 256 * 1024)
                return result
        return [reply.body]

    def _reply(self, match: re.Match[str], environ: dict[str, Any]) -> Reply | None:
        kind, token = _KIND[match[1]], match[2]
        lookup = self.lookup
        state = lookup.private(kind, hash_token(token), self.app.extensions["clock"].now())
        if state is None:  # unknown, revoked or stale: the Flask route decides
            return None
        # Under gunicorn the access log line is the record (gunicorn.conf.py writes the feed key
        # where the token was); elsewhere the feeds.access logger records the poll.
        under_gunicorn = "gunicorn.socket" in environ
        if under_gunicorn:
            environ["feeds.feed_key"] = state.feed_key
        return reply_for(
            state,
            if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
            if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE"),
            accept_encoding=environ.get("HTTP_ACCEPT_ENCODING"),
            cache_control=PRIVATE_CACHE,
            load=lambda: lookup.feed_bytes(state.feed_key),
            log=not under_gunicorn,
        )
