"""CSRF as production runs it (the other web tests switch it off): a form posted as the
browser posts it, with the page's token, is accepted; one without it is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.domain.vocabulary import SessionStatus
from booking.models import Session as ForumSession
from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD


class _Forms(HTMLParser):
    """Every POST form of a page: its action and the inputs it would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._open: tuple[str, dict[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._open = (a.get("action", ""), {})
        elif tag == "input" and self._open is not None and a.get("name"):
            self._open[1][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._open is not None:
            self.forms.append(self._open)
            self._open = None


def _post_forms(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@pytest.fixture
def csrf_app(settings: object, clock: FixedClock, seeded: Db) -> Iterator[Flask]:
    from booking.app import create_app

    app = create_app(settings, clock=clock, test_config={"TESTING": True})  # type: ignore[arg-type]
    yield app
    app.extensions["engine"].dispose()


def _signed_in(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(True))
    assert token
    response = client.post(
        "/login",
        data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD, "csrf_token": token[1]},
    )
    assert response.status_code == 302
    return client


STAFF_PAGES = ["/admin/sessions", "/admin/forums", "/admin/routing", "/intake", "/cases/new"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_every_post_form_carries_the_token_under_the_name_the_server_checks(
    csrf_app: Flask, path: str
) -> None:
    html = _signed_in(csrf_app, "admin").get(path).get_data(as_text=True)
    forms = _post_forms(html)
    assert forms, f"{path} has no form to check"
    for action, inputs in forms:
        assert "csrf_token" in inputs, f"{path}: the form to {action} has no csrf_token"


def test_a_session_cancelled_from_its_row_is_accepted_with_the_pages_token(
    csrf_app: Flask, seeded: Db
) -> None:
    client = _signed_in(csrf_app, "admin")
    forms = _post_forms(client.get("/admin/sessions").get_data(as_text=True))
    action, inputs = next((a, i) for a, i in forms if a.endswith("/cancel"))
    session_id = int(action.split("/")[-2])
    reason_field = next(name for name in inputs if name.endswith("reason"))

    refused = client.post(action, data={reason_field: "Personaldag"})
    assert refused.status_code == 422  # no token: the page again, nothing cancelled
    seeded.expire_all()
    assert seeded.get(ForumSession, session_id).status == SessionStatus.SCHEDULED  # type: ignore[union-attr]

    accepted = client.post(action, data={**inputs, reason_field: "Personaldag"})
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[:2000]
    seeded.expire_all()
    session = seeded.scalar(select(ForumSession).where(ForumSession.id == session_id))
    assert session is not None and session.status == SessionStatus.CANCELLED
