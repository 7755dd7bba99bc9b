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
from booking.services.feed_tokens import hash_token
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
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FeedFastPath:
    def __init__(self, app: Flask, downstream: WsgiApp) -> None:
        self.app = app
        self.downstream = downstream

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
        return [] if method == "HEAD" else [reply.body]

    def _reply(self, match: re.Match[str], environ: dict[str, Any]) -> Reply | None:
        kind, token = _KIND[match[1]], match[2]
        now = self.app.extensions["clock"].now()
        with self.app.extensions["engine"].connect() as conn:
            state = feed_cache.peek_private(conn, kind, hash_token(token), now)
            if state is None:  # unknown, revoked or stale: the Flask route decides
                return None
            return reply_for(
                state,
                if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
                if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE"),
                accept_encoding=environ.get("HTTP_ACCEPT_ENCODING"),
                cache_control=PRIVATE_CACHE,
                load=lambda: feed_cache.feed_bytes(conn, state.feed_key),
            )
