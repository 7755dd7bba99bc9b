"""The access log never holds a link token (issue 11 part 3): the customer's case page
(/c/<token>), the RSVP link (/r/<token>) and the survey (/s/<token>) are written as
/c/~redacted and so on, like feed tokens, in the ASGI front's log (here, with the app) and in
gunicorn's own (tests/unit/test_access_log_redact.py, with the redaction rule itself)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from flask import Flask

from booking.server import ACCESS_LOGGER, asgi_front

CUSTOMER = "cUsTomErPaGeToKeN0123456789abcdefghijklmnop"
RSVP = "RsVpLiNkToKeN0123456789abcdefghijklmnopqrs"
SURVEY = "SuRvEyToKeN0123456789abcdefghijklmnopqrstu"


def call(front: Any, method: str, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=front)
        async with httpx.AsyncClient(transport=transport, base_url="http://forum.test") as c:
            return await c.request(method, path, headers=headers)

    return asyncio.run(go())


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
