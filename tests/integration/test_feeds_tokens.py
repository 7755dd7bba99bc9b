"""Feed tokens: unguessable, hashed, revocable, rotatable; 404 with no hint; logs without tokens."""

from __future__ import annotations

import logging
import re

import feeds_helpers as h
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.models.feeds import FeedToken
from booking.services.access.api_tokens import create_token
from booking.services.demo import DEMO_LOGINS
from booking.services.errors import Conflict, NotFound
from booking.services.feeds import tokens as feed_tokens


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_log() -> _Collect:
    handler = _Collect()
    logger = logging.getLogger("feeds.access")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_token_is_long_random_and_stored_hashed(seeded: Db, clock: FixedClock) -> None:
    dept = h.department(seeded, "stadsbyggnad")
    token = feed_tokens.create(seeded, "department", dept.id, h.SECRET, clock.now())
    other = feed_tokens.create(
        seeded, "department", h.department(seeded, "polisen").id, h.SECRET, clock.now()
    )
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token) and token != other  # 256 bits
    row = seeded.scalar(select(FeedToken).where(FeedToken.feed_key == f"department:{dept.id}"))
    assert row is not None and row.token_hash == feed_tokens.hash_token(token)
    dumped = " ".join(str(v) for v in row.__dict__.values())
    assert token not in dumped
    assert feed_tokens.current_token(seeded, "department", dept.id, h.SECRET) == token
    # Another secret key cannot derive it (a database dump alone gives nothing).
    assert feed_tokens.current_token(seeded, "department", dept.id, "other-secret") is None
    with pytest.raises(Conflict):
        feed_tokens.create(seeded, "department", dept.id, h.SECRET, clock.now())


def test_revoked_rotated_unknown_and_wrong_kind_tokens_get_the_same_404(
    client: FlaskClient, seeded: Db, clock: FixedClock, access_log: _Collect
) -> None:
    now = clock.now()
    dept = h.department(seeded, "stadsbyggnad")
    token = feed_tokens.create(seeded, "department", dept.id, h.SECRET, now)
    path = feed_tokens.feed_path("department", token)
    assert client.get(path).status_code == 200

    unknown = client.get(feed_tokens.feed_path("department", "A" * 43))
    wrong_kind = client.get(feed_tokens.feed_path("representative", token))
    garbage = client.get("/feeds/departments/x.ics")
    feed_tokens.revoke(seeded, "department", dept.id, now)
    revoked = client.get(path)
    for response in (unknown, wrong_kind, garbage, revoked):
        assert response.status_code == 404
        assert response.data == unknown.data and response.headers.get("ETag") is None
    with pytest.raises(NotFound):
        feed_tokens.ensure(seeded, "department", dept.id, h.SECRET, now)

    new = feed_tokens.rotate(seeded, "department", dept.id, h.SECRET, now)
    assert new != token
    assert client.get(path).status_code == 404
    assert client.get(feed_tokens.feed_path("department", new)).status_code == 200
    newer = feed_tokens.rotate(seeded, "department", dept.id, h.SECRET, now)
    assert client.get(feed_tokens.feed_path("department", new)).status_code == 404
    assert client.get(feed_tokens.feed_path("department", newer)).status_code == 200

    assert access_log.lines, "feed access is logged"
    assert any(f"department:{dept.id}" in line for line in access_log.lines)
    for secret in (token, new, newer):
        assert not any(secret in line for line in access_log.lines)


def test_cli_feed_token_commands(app: Flask, seeded: Db) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["forum", "feed-token", "create", "department", "stadsbyggnad"])
    assert created.exit_code == 0, created.output
    url = re.search(r"http://forum\.test/feeds/departments/([\w-]+)\.ics", created.output)
    assert url and "webcal://forum.test/feeds/departments/" in created.output
    again = runner.invoke(args=["forum", "feed-token", "create", "department", "stadsbyggnad"])
    assert again.exit_code != 0 and "rotate" in again.output

    listed = runner.invoke(args=["forum", "feed-token", "list"])
    assert "Stadsbyggnadsförvaltningen Mora Orsa" in listed.output and "active" in listed.output
    assert url.group(1) not in listed.output
    shown = runner.invoke(args=["forum", "feed-token", "list", "--show-links"])
    assert url.group(1) in shown.output

    rotated = runner.invoke(args=["forum", "feed-token", "rotate", "department", "stadsbyggnad"])
    assert rotated.exit_code == 0 and url.group(1) not in rotated.output
    revoked = runner.invoke(args=["forum", "feed-token", "revoke", "department", "stadsbyggnad"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert "revoked" in runner.invoke(args=["forum", "feed-token", "list"]).output
    missing = runner.invoke(args=["forum", "feed-token", "create", "department", "nope"])
    assert missing.exit_code != 0 and "No department 'nope'" in missing.output


def _bearer(db: Db, role: str, clock: FixedClock) -> dict[str, str]:
    _, secret = create_token(db, DEMO_LOGINS[role], f"test {role}", now=clock.now())
    return {"Authorization": f"Bearer {secret}"}


def test_api_feed_tokens_admin_only(client: FlaskClient, seeded: Db, clock: FixedClock) -> None:
    admin = _bearer(seeded, "admin", clock)
    coordinator = _bearer(seeded, "coordinator", clock)
    body = {"kind": "representative", "ref": "anna.lind@moraorsa.example"}
    assert client.post("/api/v1/feed-tokens", json=body).status_code == 401
    denied = client.post("/api/v1/feed-tokens", json=body, headers=coordinator)
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "forbidden"

    created = client.post("/api/v1/feed-tokens", json=body, headers=admin)
    assert created.status_code == 201
    link = created.get_json()["url"]
    assert link.startswith("http://forum.test/feeds/representatives/")
    path = link.removeprefix("http://forum.test")
    assert client.get(path).status_code == 200
    assert client.post("/api/v1/feed-tokens", json=body, headers=admin).status_code == 409

    listed = client.get("/api/v1/feed-tokens?kind=representative", headers=admin).get_json()
    assert [t["label"] for t in listed["feed_tokens"]] == ["Anna Lind"]
    assert path.split("/")[-1].removesuffix(".ics") not in str(listed)

    rep_id = listed["feed_tokens"][0]["subject_id"]
    rotated = client.post(f"/api/v1/feed-tokens/representative/{rep_id}/rotate", headers=admin)
    assert rotated.status_code == 200 and client.get(path).status_code == 404
    new_path = rotated.get_json()["url"].removeprefix("http://forum.test")
    gone = client.delete(f"/api/v1/feed-tokens/representative/{rep_id}", headers=admin)
    assert gone.status_code == 204 and client.get(new_path).status_code == 404
    again = client.delete(f"/api/v1/feed-tokens/representative/{rep_id}", headers=admin)
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "not_found"
    bad = client.post("/api/v1/feed-tokens", json={"kind": "x", "ref": "1"}, headers=admin)
    assert bad.status_code == 422
