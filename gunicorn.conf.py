"""gunicorn reads ./gunicorn.conf.py by default (``make run`` starts it from the repo root).

The access log must not contain the secret of a private ICS feed (issue 4): a path like
/feeds/departments/<token>.ics is written as /feeds/departments/<department:3>.ics (the feed it
named, set by the feeds fast path in the WSGI environ) or /feeds/departments/<redacted>.ics.
This line is the access log of fresh-feed polls under gunicorn (feeds.fast does not log them a
second time through the ``feeds.access`` logger).
"""

import re

from gunicorn.glogging import Logger

_FEED_TOKEN = re.compile(r"(/feeds/(?:departments|representatives|forums|cases)/)[^/?\s]+(\.ics)")


def redact(value: object, feed_key: str = "redacted") -> object:
    if not isinstance(value, str):
        return value
    return _FEED_TOKEN.sub(lambda m: f"{m[1]}<{feed_key}>{m[2]}", value)


# Every place gunicorn's access log format can take the request path from.
_PATH_ATOMS = ("r", "U", "{raw_uri}e", "{path_info}e", "{request_uri}e", "{referer}i", "f")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        feed_key = str(environ.get("feeds.feed_key") or "redacted")
        for key in _PATH_ATOMS:
            if key in atoms:
                atoms[key] = redact(atoms[key], feed_key)
        return atoms


logger_class = RedactingLogger
