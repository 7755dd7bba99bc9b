"""Log in and out, lockout, rate limit, language, security headers, error pages."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, page_text, text_of

from booking.clock import FixedClock
from booking.models import AuditEvent, User
from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD


def _post_login(client: FlaskClient, email: str, password: str, next_: str = "") -> object:
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": email, "password": password})


def test_login_page_is_swedish_by_default(client: FlaskClient, seeded: Db) -> None:
    text = page_text(client, "/login")
    assert "Logga in" in text and "E-postadress" in text and "Lösenord" in text


def test_login_sets_exactly_the_user_id_and_logout_clears_it(
    client: FlaskClient, seeded: Db
) -> None:
    user = seeded.scalar(select(User).where(User.email == DEMO_LOGINS["coordinator"]))
    assert user is not None
    response = client.post(
        "/login", data={"email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response.location.endswith("/overview")
    with client.session_transaction() as session:
        assert session["user_id"] == user.id
    assert client.post("/logout").status_code == 302
    with client.session_transaction() as session:
        assert "user_id" not in session
    assert client.get("/overview").status_code == 302


def test_logout_needs_post(login_as: LoginAs) -> None:
    client = login_as("coordinator")
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Det går inte att göra på den här sidan" in text_of(response.get_data(as_text=True))


def test_wrong_password_says_what_to_fix_without_telling_which_was_wrong(
    client: FlaskClient, seeded: Db
) -> None:
    for email in (DEMO_LOGINS["coordinator"], "nobody@mora.example"):
        response = client.post("/login", data={"email": email, "password": "wrong-password"})
        assert response.status_code == 401
        text = text_of(response.get_data(as_text=True))
        assert "Fel e-postadress eller lösenord" in text


def test_empty_login_form_names_the_fields(client: FlaskClient, seeded: Db) -> None:
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    text = text_of(response.get_data(as_text=True))
    assert "Ange din e-postadress." in text and "Ange ditt lösenord." in text


def test_lockout_after_repeated_failures_then_open_again(
    app: Flask, client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    settings = app.config["SETTINGS"]
    email = DEMO_LOGINS["coordinator"]
    for _ in range(settings.login_max_failures):
        assert client.post("/login", data={"email": email, "password": "nope"}).status_code == 401
    # Locked: even the right password is refused, with the same answer as a wrong one (the
    # answer must not tell that the address has an account).
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 401
    text = text_of(response.get_data(as_text=True))
    assert "Fel e-postadress eller lösenord" in text and "Kontot är låst" not in text
    seeded.expire_all()
    user = seeded.scalar(select(User).where(User.email == email))
    assert user is not None and user.locked_until is not None
    assert seeded.scalar(
        select(AuditEvent).where(AuditEvent.entity_id == user.id, AuditEvent.action == "locked")
    )
    clock.set(clock.now() + timedelta(minutes=settings.login_lockout_minutes, seconds=1))
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_rate_limit_per_address(app: Flask, client: FlaskClient, seeded: Db) -> None:
    app.config["LOGIN_RATE_LIMIT"] = (3, 60.0)
    for _ in range(3):
        response = client.post("/login", data={"email": "x@y.example", "password": "wrong"})
        assert response.status_code == 401
    response = client.post(
        "/login", data={"email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 429
    assert "För många försök" in text_of(response.get_data(as_text=True))


def test_next_parameter_only_redirects_within_the_site(client: FlaskClient, seeded: Db) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = _post_login(client, DEMO_LOGINS["coordinator"], DEMO_PASSWORD, target)
        assert response.location == "/overview"  # type: ignore[attr-defined]
        client.post("/logout")
    response = _post_login(client, DEMO_LOGINS["coordinator"], DEMO_PASSWORD, "/admin/sessions")
    assert response.location == "/admin/sessions"  # type: ignore[attr-defined]


def test_pages_ask_for_login_and_come_back(client: FlaskClient, seeded: Db) -> None:
    response = client.get("/admin/sessions")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/admin/sessions")


def test_english_is_selectable_and_remembered(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    assert "tisdag 1 december 2026, v. 49" in page_text(client, "/overview")
    response = client.post("/language", data={"locale": "en", "next": "/overview"})
    assert response.status_code == 302 and response.location == "/overview"
    text = page_text(client, "/overview")
    assert "Tuesday 1 December 2026, week 49" in text and "Forum afternoons" in text
    user = seeded.scalar(select(User).where(User.email == DEMO_LOGINS["coordinator"]))
    seeded.refresh(user)
    assert user is not None and user.locale == "en"
    # A fresh browser session picks the saved language up at login.
    client.post("/logout")
    with client.session_transaction() as session:
        session.clear()
    login_as("coordinator")
    assert "Forum afternoons" in page_text(client, "/overview")


def test_security_headers_on_pages(client: FlaskClient, seeded: Db) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_session_cookie_flags(client: FlaskClient, seeded: Db) -> None:
    response = client.post(
        "/login", data={"email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(settings: object, clock: FixedClock) -> None:
    from dataclasses import replace

    from booking.app import create_app

    app = create_app(replace(settings, env="production"), clock=clock)  # type: ignore[type-var]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-dorren"
    response = app.test_client().get("/login")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    app.extensions["engine"].dispose()


def test_error_pages_in_the_users_language(client: FlaskClient, seeded: Db) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Sidan finns inte" in text_of(response.get_data(as_text=True))
    client.post("/language", data={"locale": "en"})
    response = client.get("/no-such-page")
    assert "The page could not be found" in text_of(response.get_data(as_text=True))


def test_api_keeps_its_json_errors(client: FlaskClient, seeded: Db) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_csrf_is_checked_when_enabled(settings: object, clock: FixedClock, seeded: Db) -> None:
    from booking.app import create_app

    app = create_app(settings, clock=clock, test_config={"TESTING": True})  # type: ignore[arg-type]
    client = app.test_client()
    response = client.post(
        "/login", data={"email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 400  # no token: refused, with a page, not a 500
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    app.extensions["engine"].dispose()
