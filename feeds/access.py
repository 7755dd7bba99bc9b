"""Paths as access logs may show them: every secret link token replaced.

A private feed's URL is its credential (issue 4: "feed access is logged without the token").
``/feeds/departments/<token>.ics`` is written as ``/feeds/departments/~department-3.ics`` when
the feed is known, else ``/feeds/departments/~redacted.ics``. The other token links are
credentials too (issue 11): the customer's case page ``/c/<token>``, the RSVP link
``/r/<token>`` and the survey ``/s/<token>`` are written as ``/c/~redacted`` and so on, in the
request line and in the Referer. Only URL-safe characters, so a server that quotes the path
writes the same text.
"""

from __future__ import annotations

import re

# Set in a WSGI request's environ by the Flask feed routes when they found the feed,
# for gunicorn's own access log (gunicorn.conf.py).
WSGI_FEED_KEY = "feeds.feed_key"

_FEED_TOKEN = re.compile(r"(/feeds/(?:departments|representatives|forums|cases)/)[^/?\s\"]+(\.ics)")


# /c/, /r/ and /s/ at the start of a path: alone, in a request line ("GET /c/..."), or after
# the host of a full URL (a Referer).
_LINK_TOKEN = re.compile(r"((?:^|[\s\"]|//[^/\s\"?#]*)/[crs]/)[^/?#\s\"]+")
# The door in (issue 14): a request's confirmation link and the business's follow link.
_DOOR_TOKEN = re.compile(r"(/forum/[^/?#\s\"]+/boka/|/foretag/)[^/?#\s\"]+")


def redact(text: str, feed_key: str | None = None) -> str:
    label = "~" + (feed_key.replace(":", "-") if feed_key else "redacted")
    text = _FEED_TOKEN.sub(lambda m: f"{m[1]}{label}{m[2]}", text)
    text = _DOOR_TOKEN.sub(lambda m: f"{m[1]}~redacted", text)
    return _LINK_TOKEN.sub(lambda m: f"{m[1]}~redacted", text)
