"""Feed routes. Thin: look the feed up, answer 304 or the stored bytes, log without the token.

    /feeds/departments/<token>.ics      a department's meetings (department audience)
    /feeds/representatives/<token>.ics  one representative's meetings
    /feeds/forums/<token>.ics           all meetings of a forum (coordinators)
    /feeds/cases/<token>.ics            the meetings of one case (the customer)
    /feeds/forums/<slug>/availability.ics  public: free and booked slots, no case data

Fresh private feeds are usually answered by ``feeds.fast`` before Flask is reached; these
routes handle the rest (rebuilds, the public feed, 404s) with the same rules.
"""

from __future__ import annotations

import re

from flask import Response, request

from booking.services.access.tokens import hash_token
from booking.services.feeds import cache as feed_cache
from booking.services.feeds.cache import FeedConfig, FeedState
from booking.web_support import get_db, now, policies
from feeds import feeds_bp
from feeds.access import WSGI_FEED_KEY
from feeds.asgi import FEED_KEY
from feeds.serve import PRIVATE_CACHE, PUBLIC_CACHE, access_log, reply_for

KIND_OF_SEGMENT = {
    "departments": "department",
    "representatives": "representative",
    "forums": "forum",
    "cases": "case",
}
# Tokens are 43 URL-safe base64 characters; anything else is refused before the database.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,64}")
SLUG_RE = re.compile(r"[^\x00-\x1f\x7f-\x9f/]{1,64}")
NOT_FOUND = "Not found\n"


def feed_config() -> FeedConfig:
    return policies().feeds


def _not_found(what: str) -> Response:
    access_log.info("feed %s: unknown or revoked -> 404", what)
    # The same answer for a token that never existed and one that was revoked.
    return Response(NOT_FOUND, 404, content_type="text/plain; charset=utf-8")


@feeds_bp.get("/<segment>/<token>.ics")
def private_feed(segment: str, token: str) -> Response:
    kind = KIND_OF_SEGMENT.get(segment)
    if kind is None or not TOKEN_RE.fullmatch(token):
        return _not_found(kind or "?")
    state = feed_cache.private_feed_state(get_db(), kind, hash_token(token), now(), feed_config())
    if state is None:
        return _not_found(kind)
    return _respond(state, PRIVATE_CACHE)


@feeds_bp.get("/forums/<slug>/availability.ics")
def availability_feed(slug: str) -> Response:
    if not SLUG_RE.fullmatch(slug):  # a slug is short and plain; NUL would reach the database
        return _not_found("availability ?")
    state = feed_cache.availability_state(get_db(), slug, now(), feed_config())
    if state is None:
        return _not_found(f"availability {slug!r}")
    return _respond(state, PUBLIC_CACHE)


def _name_in_access_log(feed_key: str) -> None:
    """The server's access log writes the feed key where the token was (feeds.access)."""
    request.environ[WSGI_FEED_KEY] = feed_key  # gunicorn's own log (a WSGI worker)
    scope = request.environ.get("asgi.scope")  # the ASGI front's log (booking/server.py)
    if isinstance(scope, dict):
        scope[FEED_KEY] = feed_key


def _respond(state: FeedState, cache_control: str) -> Response:
    _name_in_access_log(state.feed_key)
    reply = reply_for(
        state,
        if_none_match=request.headers.get("If-None-Match"),
        if_modified_since=request.headers.get("If-Modified-Since"),
        accept_encoding=request.headers.get("Accept-Encoding"),
        cache_control=cache_control,
        load=lambda: feed_cache.feed_bytes(get_db(), state.feed_key),
    )
    if reply is None:
        return _not_found(state.feed_key)
    return Response(reply.body, reply.status, headers=reply.headers)
