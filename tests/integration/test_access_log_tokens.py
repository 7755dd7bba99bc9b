"""The access log never holds a link token (issue 11 part 3): the customer's case page
(/c/<token>), the RSVP link (/r/<token>) and the survey (/s/<token>) are written as
/c/~redacted and so on, like feed tokens, in the ASGI front's log and in gunicorn's own."""

from __future__ import annotations

import asyncio
import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from flask import Flask

from booking.server import ACCESS_LOGGER, asgi_front
from feeds.access import redact

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "cUsTomErPaGeToKeN0123456789abcdefghijklmnop"
RSVP = "RsVpLiNkToKeN0123456789abcdefghijklmnopqrs"
SURVEY = "SuRvEyToKeN0123456789abcdefghijklmnopqrstu"
FEED = "FeEdToKeN0123456789abcdefghijklmnopqrstuvw"


def call(front: Any, method: str, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=front)
        async with httpx.AsyncClient(transport=transport, base_url="http://forum.test") as c:
            return await c.request(method, path, headers=headers)

    return asyncio.run(go())


def test_redact_replaces_every_link_token() -> None:
    assert redact(f"/c/{CUSTOMER}") == "/c/~redacted"
    assert redact(f"/r/{RSVP}?answer=ACCEPTED") == "/r/~redacted?answer=ACCEPTED"
    assert redact(f"GET /s/{SURVEY} HTTP/1.1") == "GET /s/~redacted HTTP/1.1"
    assert redact(f"https://forum.mora.se/r/{RSVP}") == "https://forum.mora.se/r/~redacted"
    assert redact(f"/feeds/cases/{FEED}.ics") == "/feeds/cases/~redacted.ics"
    # Other paths are left alone.
    for path in ("/cases/12", "/api/v1/cases/c/1", "/admin/users", "/login?next=/cases", "-"):
        assert redact(path) == path


def test_the_front_logs_no_link_token(
    app: Flask, caplog: pytest.LogCaptureFixture, seeded: Any
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    front = asgi_front(app)
    call(front, "GET", f"/c/{CUSTOMER}")
    call(front, "GET", f"/r/{RSVP}", Referer=f"http://forum.test/c/{CUSTOMER}")
    call(front, "POST", f"/r/{RSVP}?answer=DECLINED")
    call(front, "GET", f"/s/{SURVEY}", Referer=f"http://mail.example/r/{RSVP}")
    lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) == 4
    for token in (CUSTOMER, RSVP, SURVEY):
        assert not any(token in line for line in lines), token
    assert '"GET /c/~redacted HTTP/1.1" 404' in lines[0]
    assert (
        '"GET /r/~redacted HTTP/1.1"' in lines[1] and '"http://forum.test/c/~redacted"' in lines[1]
    )
    assert '"POST /r/~redacted?answer=DECLINED HTTP/1.1"' in lines[2]
    assert '"GET /s/~redacted HTTP/1.1"' in lines[3] and "mail.example/r/~redacted" in lines[3]


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
