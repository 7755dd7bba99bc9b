"""Link tokens are redacted from access-log lines: the rule itself and gunicorn's own logger
(no server; the ASGI front's log is checked in tests/integration/test_access_log_tokens.py)."""

from __future__ import annotations

import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from feeds.access import redact

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "cUsTomErPaGeToKeN0123456789abcdefghijklmnop"
RSVP = "RsVpLiNkToKeN0123456789abcdefghijklmnopqrs"
SURVEY = "SuRvEyToKeN0123456789abcdefghijklmnopqrstu"
FEED = "FeEdToKeN0123456789abcdefghijklmnopqrstuvw"


def test_redact_replaces_every_link_token() -> None:
    assert redact(f"/c/{CUSTOMER}") == "/c/~redacted"
    assert redact(f"/r/{RSVP}?answer=ACCEPTED") == "/r/~redacted?answer=ACCEPTED"
    assert redact(f"GET /s/{SURVEY} HTTP/1.1") == "GET /s/~redacted HTTP/1.1"
    assert redact(f"https://forum.mora.se/r/{RSVP}") == "https://forum.mora.se/r/~redacted"
    assert redact(f"/feeds/cases/{FEED}.ics") == "/feeds/cases/~redacted.ics"
    # The door in (issue 14): a request's confirmation link and the business's follow link.
    assert (
        redact(f"GET /forum/mora/boka/{RSVP} HTTP/1.1") == "GET /forum/mora/boka/~redacted HTTP/1.1"
    )
    assert redact(f"/foretag/{SURVEY}") == "/foretag/~redacted"
    assert redact("/forum/mora/boka") == "/forum/mora/boka"  # the form itself is no secret
    # Other paths are left alone.
    for path in ("/cases/12", "/api/v1/cases/c/1", "/admin/users", "/login?next=/cases", "-"):
        assert redact(path) == path


def test_gunicorns_own_access_log_redacts_link_tokens() -> None:
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    from gunicorn.config import Config

    logger = conf["RedactingLogger"](Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/c/{CUSTOMER}",
        "PATH_INFO": f"/c/{CUSTOMER}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://forum.mora.se/r/{RSVP}",
        "QUERY_STRING": "",
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(resp, SimpleNamespace(headers=[]), environ, timedelta(seconds=0))
    text = " ".join(str(v) for v in atoms.values())
    assert CUSTOMER not in text and RSVP not in text
    assert atoms["r"] == "GET /c/~redacted HTTP/1.1" and atoms["U"] == "/c/~redacted"
    assert atoms["f"] == "https://forum.mora.se/r/~redacted"
