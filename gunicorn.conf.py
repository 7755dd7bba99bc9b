"""gunicorn reads ./gunicorn.conf.py by default (``make run``, the Dockerfile and the benchmarks
start gunicorn from the directory that holds it, so they all serve the same way).

What runs: uvicorn workers (``booking.server.Worker``) serving ``wsgi:asgi_app``. The command
line adds only the address and the number of workers, e.g.
``gunicorn --bind 127.0.0.1:8000 --workers 2``.

The access log must not contain the secret of a private ICS feed (issue 4): the front writes
/feeds/departments/<token>.ics as /feeds/departments/~department-3.ics (the feed it named) or
/feeds/departments/~redacted.ics; the customer's page, RSVP and survey links (/c/<token>,
/r/<token>, /s/<token>) become /c/~redacted and so on. ``RedactingLogger`` does the same for
gunicorn's own access log, which only a WSGI worker writes (``gunicorn -k sync wsgi:app``, for
debugging).
"""

from gunicorn.glogging import Logger

from feeds.access import WSGI_FEED_KEY, redact

wsgi_app = "wsgi:asgi_app"
worker_class = "booking.server.Worker"
accesslog = "-"


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        feed_key = environ.get(WSGI_FEED_KEY)
        # Every text atom: a log format can take the path or the Referer from many of them
        # (r, U, f, {raw_uri}e, {http_referer}e, {referer}i, ...).
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value, feed_key)
        return atoms


logger_class = RedactingLogger
