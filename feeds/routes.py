"""Feed routes. Thin: look the feed up, answer 304 or the stored bytes, log without the token.

/feeds/departments/<token>.ics      a department's meetings (department audience)
/feeds/representatives/<token>.ics  one representative's meetings
/feeds/forums/<token>.ics           all meetings of a forum (coordinators)
/feeds/cases/<token>.ics            the meetings of one case (the customer)
/feeds/forums/<slug>/availability.ics  public: free and booked slots, no case data
"""

from __future__ import annotations

import logging
import re

from flask import Response, current_app, request

from booking.services import feed_cache
from booking.services.feed_cache import FeedConfig, FeedState
from booking.services.feed_tokens import hash_token
from booking.web_support import get_db, now, settings
from feeds import feeds_bp
from feeds.http import accepts_gzip, http_date, not_modified
from feeds.memory import FeedMemory

access_log = logging.getLogger("feeds.access")
KIND_OF_SEGMENT = {
    "departments": "department",
    "representatives": "representative",
    "forums": "forum",
    "cases": "case",
}
# Tokens are 43 URL-safe base64 characters; anything else is refused before the database.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,64}")
CONTENT_TYPE = "text/calendar; charset=utf-8"
memory = FeedMemory()


def _config() -> FeedConfig:
    config: FeedConfig | None = current_app.extensions.get("feed_config")
    if config is None:
        config = current_app.extensions["feed_config"] = FeedConfig.from_settings(settings())
    return config


def _not_found(kind: str) -> Response:
    access_log.info("feed %s: unknown or revoked token -> 404", kind)
    # The same answer for a token that never existed and one that was revoked.
    return Response("Not found\n", 404, content_type="text/plain; charset=utf-8")


@feeds_bp.get("/<segment>/<token>.ics")
def private_feed(segment: str, token: str) -> Response:
    kind = KIND_OF_SEGMENT.get(segment)
    if kind is None:
        return Response("Not found\n", 404, content_type="text/plain; charset=utf-8")
    if not TOKEN_RE.fullmatch(token):
        return _not_found(kind)
    state = feed_cache.private_feed_state(get_db(), kind, hash_token(token), now(), _config())
    if state is None:
        return _not_found(kind)
    return _respond(state, cache_control="private, no-cache")


@feeds_bp.get("/forums/<slug>/availability.ics")
def availability_feed(slug: str) -> Response:
    state = feed_cache.availability_state(get_db(), slug, now(), _config())
    if state is None:
        access_log.info("availability feed %r: unknown forum -> 404", slug)
        return Response("Not found\n", 404, content_type="text/plain; charset=utf-8")
    return _respond(state, cache_control="public, no-cache")


def _respond(state: FeedState, *, cache_control: str) -> Response:
    if not_modified(
        state.etag,
        state.last_modified,
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
    ):
        access_log.info("feed %s -> 304", state.feed_key)
        return Response(status=304, headers=_headers(state, cache_control))
    data = memory.get(state.feed_key, state.etag)
    if data is None:
        data = feed_cache.feed_bytes(get_db(), state.feed_key)
        if data is None:
            return _not_found(state.feed_key.split(":")[0])
        memory.put(state.feed_key, data)
        # A concurrent rebuild may have replaced the body between the two reads: the bytes
        # are served with their own validators.
        state = FeedState(state.feed_key, data.etag, data.last_modified)
    headers = _headers(state, cache_control)
    body = data.body
    if accepts_gzip(request.headers.get("Accept-Encoding")):
        body = data.body_gzip
        headers["Content-Encoding"] = "gzip"
    access_log.info("feed %s -> 200 (%d bytes)", state.feed_key, len(body))
    return Response(body, 200, headers=headers, content_type=CONTENT_TYPE)


def _headers(state: FeedState, cache_control: str) -> dict[str, str]:
    return {
        "ETag": state.etag,
        "Last-Modified": http_date(state.last_modified),
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
