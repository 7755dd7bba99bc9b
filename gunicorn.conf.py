"""gunicorn reads ./gunicorn.conf.py by default (``make run`` starts it from the repo root).

The access log must not contain the secret of a private ICS feed (issue 4): paths like
/feeds/departments/<token>.ics are written as /feeds/departments/<redacted>.ics.
"""

import re

from gunicorn.glogging import Logger

_FEED_TOKEN = re.compile(r"(/feeds/(?:departments|representatives|forums|cases)/)[^/?\s]+(\.ics)")


def redact(value: object) -> object:
    return _FEED_TOKEN.sub(r"\1<redacted>\2", value) if isinstance(value, str) else value


# Every place gunicorn's access log format can take the request path from.
_PATH_ATOMS = ("r", "U", "{raw_uri}e", "{path_info}e", "{request_uri}e", "{referer}i", "f")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        for key in _PATH_ATOMS:
            if key in atoms:
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger
