"""How gunicorn runs the service: uvicorn workers serving an ASGI front over the Flask app.

Why not gunicorn's default sync worker: it parses HTTP in Python and closes the connection
after every response, so even an empty application under it answers only about a tenth of
the requests per second nginx does. Feed polls are the service's most frequent request (every
subscriber's calendar client, all day), and issue 4 asks for them at static-file speed. A
uvicorn worker parses with httptools on uvloop and keeps connections alive.

The front, outermost first:
  1. one access log line per request, in gunicorn's format, the feed token replaced by the
     feed key and every other link token (/c/, /r/, /s/) by ``~redacted``
     (``feeds.access.redact``, on the request line and the Referer);
  2. lifespan: the engine's connections are closed when a worker stops;
  3. feed requests: ``feeds.answer.answer``, the one function that answers a feed request,
     called on the event loop without a database session (``feeds.asgi``): a fresh private
     feed is answered there (304 or the stored bytes, one indexed read through the raw feed
     reader, booking/adapters/feed_reader.py; on PostgreSQL usually none, the worker's feed
     versions kept current by LISTEN/NOTIFY, booking/adapters/feed_versions.py);
  4. everything else: the Flask application in a thread pool (a2wsgi), including the feed
     requests step 3 could not answer (a stale feed to rebuild, the public availability feed,
     an unknown token): the feed routes call the same ``answer`` with the request's session.
     Flask's test client enters here, so the tests run the same feed code as production.

gunicorn.conf.py names ``Worker`` and ``wsgi:asgi_app``, so ``make run``, the Dockerfile and
the benchmark start the same thing.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from types import FrameType
from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask
from uvicorn_worker import UvicornWorker

from feeds.access import redact
from feeds.asgi import FEED_KEY, AsgiApp, FeedsASGI, Receive, Scope, Send

ACCESS_LOGGER = "dorren_in.access"
access_log = logging.getLogger(ACCESS_LOGGER)
WSGI_THREADS = 10  # Flask requests in flight per worker process


def asgi_front(app: Flask) -> AsgiApp:
    flask_asgi: AsgiApp = WSGIMiddleware(app.wsgi_app, workers=WSGI_THREADS)  # type: ignore[arg-type,assignment]
    return AccessLog(Lifespan(app, FeedsASGI(app, flask_asgi)))


class Lifespan:
    def __init__(self, app: Flask, downstream: AsgiApp) -> None:
        self.app = app
        self.downstream = downstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.downstream(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                reader = self.app.extensions.get("feed_reader")
                if reader is not None:  # its connections, and the feed change listener
                    reader.close()
                self.app.extensions["engine"].dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return


class _Clock:
    """The log's timestamp, formatted once per second (strftime costs more than the rest)."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def text(self, now: float) -> str:
        second = int(now)
        if second != self._second:
            self._second, self._text = (
                second,
                time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(second)),
            )
        return self._text


class AccessLog:
    """``host - - [time] "request" status bytes "referer" "user agent" duration_ms``."""

    def __init__(self, downstream: AsgiApp) -> None:
        self.downstream = downstream
        self.clock = _Clock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.downstream(scope, receive, send)
            return
        started = time.time()
        sent = {"status": 0, "bytes": 0}

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.downstream(scope, receive, recording_send)
        finally:
            self._write(scope, sent["status"] or 500, sent["bytes"], started)

    def _write(self, scope: Scope, status: int, size: int, started: float) -> None:
        headers = dict(scope["headers"])
        path = scope["path"]
        if scope["query_string"]:
            path += "?" + scope["query_string"].decode("latin-1")
        client = scope.get("client")
        access_log.info(
            '%s - - [%s] "%s %s HTTP/%s" %d %d "%s" "%s" %.1fms',
            client[0] if client else "-",
            self.clock.text(started),
            scope["method"],
            redact(path, scope.get(FEED_KEY)),
            scope["http_version"],
            status,
            size,
            redact(headers.get(b"referer", b"-").decode("latin-1")),
            headers.get(b"user-agent", b"-").decode("latin-1"),
            (time.time() - started) * 1000,
        )


class Worker(UvicornWorker):  # type: ignore[misc]  # uvicorn-worker ships no types
    """uvicorn's gunicorn worker with httptools and uvloop, uvicorn's own access log off (it
    would print the feed token), and the front's access log sent where gunicorn's goes."""

    CONFIG_KWARGS = {
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "server_header": False,
        "lifespan": "on",
    }

    def init_signals(self) -> None:
        super().init_signals()
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again for the
        # handler it found: gunicorn's default one would kill the process, and gunicorn would
        # log "Worker was sent SIGTERM!" as an error at every restart. Exit cleanly instead.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _exit_cleanly)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handlers = self.log.access_log.handlers  # empty unless gunicorn's accesslog is set
        access_log.handlers = list(handlers)
        access_log.setLevel(logging.INFO if handlers else logging.CRITICAL + 1)
        access_log.propagate = False


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(0)
