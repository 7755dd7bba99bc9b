"""Feed requests in the ASGI front (booking/server.py): fresh private feed polls answered on
the event loop, by ``feeds.answer.answer`` without a database session.

The one read it needs is an indexed select on a connection this process keeps open (the raw
feed reader): tens of microseconds on SQLite; on PostgreSQL the row usually comes from the
worker's memory, kept current by LISTEN/NOTIFY (booking/adapters/feed_versions.py), else it is
a round trip. That is cheaper than handing the request to a thread, so it runs inline.
Everything else goes to ``downstream`` (the Flask application, in a thread pool), whose feed
routes call the same ``answer`` with the request's session; ``FRESH_TRIED`` in the scope
tells them the raw read was already done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from flask import Flask

from feeds.answer import FeedRequest, answer, reader_of

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Set in the scope of a request whose feed is known: the access log names the feed by it.
FEED_KEY = "dorren_in.feed_key"
# Set in the scope when the front found no fresh feed: the Flask route skips that read.
FRESH_TRIED = "dorren_in.feed_fresh_tried"
_WANTED = {b"if-none-match", b"if-modified-since", b"accept-encoding"}


def _request(scope: Scope) -> FeedRequest:
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED:  # ASGI servers give header names in lower case
            found[name] = value.decode("latin-1")
    return FeedRequest(
        scope["path"],
        found.get(b"if-none-match"),
        found.get(b"if-modified-since"),
        found.get(b"accept-encoding"),
    )


class FeedsASGI:
    def __init__(self, app: Flask, downstream: AsgiApp) -> None:
        self.app = app
        self.downstream = downstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"].startswith("/feeds/")
        ):
            # The server's access log records the poll (with the feed key, never the token).
            now = self.app.extensions["clock"].now()
            reply = answer(_request(scope), reader_of(self.app), now, log=False)
            if reply is not None:
                scope[FEED_KEY] = reply.feed_key
                headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
                await send(
                    {"type": "http.response.start", "status": reply.status, "headers": headers}
                )
                full = scope["method"] == "GET" and reply.status == 200
                await send({"type": "http.response.body", "body": reply.body if full else b""})
                return
            scope[FRESH_TRIED] = True
        await self.downstream(scope, receive, send)
