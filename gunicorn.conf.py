"""gunicorn reads ./gunicorn.conf.py by default (``make run``, the Dockerfile and the benchmarks
start gunicorn from the directory that holds it, so they all serve the same way).

What runs: uvicorn workers (``booking.server.Worker``) serving ``wsgi:asgi_app``. The command
line adds only the address and the number of workers, e.g.
``gunicorn --bind 127.0.0.1:8000 --workers 2``.

The access log must not contain the secret of a private ICS feed (issue 4): the front writes
/feeds/departments/<token>.ics as /feeds/departments/~department-3.ics (the feed it named) or
/feeds/departments/~redacted.ics. ``RedactingLogger`` does the same for gunicorn's own access
log, which only a WSGI worker writes (``gunicorn -k sync wsgi:app``, for debugging).
"""

from gunicorn.glogging import Logger

from feeds.access import WSGI_FEED_KEY, redact

wsgi_app = "wsgi:asgi_app"
worker_class = "booking.server.Worker"
accesslog = "-"

# Every place gunicorn's access log format can take the request path from.
_PATH_ATOMS = ("r", "U", "{raw_uri}e", "{path_info}e", "{request_uri}e", "{referer}i", "f")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        feed_key = environ.get(WSGI_FEED_KEY)
        for key in _PATH_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key], feed_key)
        return atoms


logger_class = RedactingLogger
