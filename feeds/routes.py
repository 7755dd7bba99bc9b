"""Feed routes. Thin: each hands the request to ``feeds.answer.answer``, the very function the
ASGI front (booking/server.py) answers fresh polls with, so Flask's test client exercises the
same code as a subscriber's poll through gunicorn.

    /feeds/departments/<token>.ics      a department's meetings (department audience)
    /feeds/representatives/<token>.ics  one representative's meetings
    /feeds/forums/<token>.ics           all meetings of a forum (coordinators)
    /feeds/cases/<token>.ics            the meetings of one case (the customer)
    /feeds/forums/<slug>/availability.ics  public: free and booked slots, no case data
"""

from __future__ import annotations

from flask import Response, current_app, request

from booking.services.feeds.policy import FeedConfig
from booking.web_support import get_db, now, policies
from feeds import feeds_bp
from feeds.access import WSGI_FEED_KEY
from feeds.answer import FeedRequest, answer, reader_of
from feeds.asgi import FEED_KEY, FRESH_TRIED


def feed_config() -> FeedConfig:
    """The app's feed settings: part of its policies, built once (booking.services.policies)."""
    return policies().feeds


@feeds_bp.get("/<segment>/<token>.ics")
def private_feed(segment: str, token: str) -> Response:
    return _serve()


@feeds_bp.get("/forums/<slug>/availability.ics")
def availability_feed(slug: str) -> Response:
    return _serve()


def _serve() -> Response:
    scope = request.environ.get("asgi.scope")  # set when the ASGI front passed the request on
    scope = scope if isinstance(scope, dict) else {}
    reply = answer(
        FeedRequest(
            request.path,
            request.headers.get("If-None-Match"),
            request.headers.get("If-Modified-Since"),
            request.headers.get("Accept-Encoding"),
        ),
        reader_of(current_app),
        now(),
        get_db(),
        feed_config(),
        fresh_tried=bool(scope.get(FRESH_TRIED)),
    )
    assert reply is not None  # with a session there is always an answer
    if reply.feed_key:
        # The server's access log writes the feed key where the token was (feeds.access):
        request.environ[WSGI_FEED_KEY] = reply.feed_key  # gunicorn's own log (a WSGI worker)
        scope[FEED_KEY] = reply.feed_key  # the ASGI front's log (booking/server.py)
    return Response(reply.body, reply.status, headers=reply.headers)
