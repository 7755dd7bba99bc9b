"""Feed paths as access logs may show them: the secret token replaced by the feed it named.

A private feed's URL is its credential (issue 4: "feed access is logged without the token").
``/feeds/departments/<token>.ics`` is written as ``/feeds/departments/~department-3.ics`` when
the feed is known, else ``/feeds/departments/~redacted.ics``. Only URL-safe characters, so a
server that quotes the path writes the same text.
"""

from __future__ import annotations

import re

# Set in a WSGI request's environ by whoever found the feed (the fast path, the Flask route),
# for gunicorn's own access log (gunicorn.conf.py).
WSGI_FEED_KEY = "feeds.feed_key"

_FEED_TOKEN = re.compile(r"(/feeds/(?:departments|representatives|forums|cases)/)[^/?\s\"]+(\.ics)")


def redact(text: str, feed_key: str | None = None) -> str:
    label = "~" + (feed_key.replace(":", "-") if feed_key else "redacted")
    return _FEED_TOKEN.sub(lambda m: f"{m[1]}{label}{m[2]}", text)
