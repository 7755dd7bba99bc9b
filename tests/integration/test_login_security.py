"""Logins, sessions and tokens (issue 11 part 3), on SQLite and PostgreSQL.

- simultaneous wrong passwords: at most LOGIN_MAX_FAILURES of them are checked, then the
  account is locked (the count and the lock are one conditional UPDATE in the database);
- the per-address rate limit is counted in the database: it holds across workers;
- every failed login gets the same answer after the same password-hash work;
- a session cookie is revoked by logout and by a password change;
- API tokens are listed and revoked (API, CLI, admin page), and the audit trail names them.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from argon2 import PasswordHasher
from booking_helpers import case_body, tokens
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from booking.app import create_app
from booking.clock import FixedClock
from booking.models import ApiToken, AuditEvent, LoginRateBucket, User
from booking.services.access import login, login_rate
from booking.services.access.api_tokens import create_token
from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_user
from config import Settings

# A cheap argon2 hash for the bursts (the real parameters take ~64 MiB per check); the spy
# below sleeps instead, so every check takes as long as a real one would.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
RIGHT = "the-right-password"
HASH_SECONDS = 0.05


class HashSpy:
    """Counts password-hash checks, by whose hash: the account's own, or the dummy one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()
        real = login.verify_password

        def spy(user: User, password: str) -> bool:
            with self._lock:
                self.calls.append(user.password_hash)
            if delay:
                time.sleep(delay)
            return real(user, password)

        monkeypatch.setattr(login, "verify_password", spy)

    def count(self, password_hash: str | None = None) -> int:
        return sum(1 for h in self.calls if password_hash is None or h == password_hash)


def _cheap_account(db: Db, email: str, monkeypatch: pytest.MonkeyPatch) -> User:
    monkeypatch.setattr(login, "_DUMMY_HASH", CHEAP.hash("not-a-real-password-0"))
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    user.password_hash = CHEAP.hash(RIGHT)
    db.commit()
    return user


def _burst(app: Flask, attempt: Callable[[Db], Any], n: int) -> list[Any]:
    """``n`` calls at once, each in its own thread with its own database session."""
    factory = app.extensions["session_factory"]
    start = threading.Barrier(n)

    def one(_: int) -> Any:
        with factory() as session:
            start.wait()
            return attempt(session)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


# ---------------------------------------------------------------- lockout under concurrency


def test_thirty_simultaneous_wrong_passwords_lock_the_account(
    app: Flask, seeded: Db, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: Settings = app.config["SETTINGS"]
    email = DEMO_LOGINS["coordinator"]
    user = _cheap_account(seeded, email, monkeypatch)
    spy = HashSpy(monkeypatch, delay=HASH_SECONDS)

    def attempt(password: str) -> Callable[[Db], bool]:
        def go(session: Db) -> bool:
            return login.authenticate(
                session,
                email,
                password,
                now=clock.now(),
                max_failures=settings.login_max_failures,
                lockout_minutes=settings.login_lockout_minutes,
            ).ok

        return go

    results = _burst(app, attempt("wrong-guess"), 30)
    assert not any(results)
    # Only LOGIN_MAX_FAILURES guesses were checked against the account's hash; the other 25
    # were answered after a check against the dummy hash (the same time, the same answer).
    assert spy.count(user.password_hash) == settings.login_max_failures
    assert spy.count() == 30
    seeded.expire_all()
    locked = seeded.get(User, user.id)
    assert locked is not None and locked.locked_until is not None
    assert locked.locked_until == clock.now() + timedelta(minutes=settings.login_lockout_minutes)
    events = seeded.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == user.id, AuditEvent.action == "locked")
    ).all()
    assert len(events) == 1  # one lock, audited once

    # The right password, sent while the account is locked: refused, and not even checked.
    before = spy.count(user.password_hash)
    assert _burst(app, attempt(RIGHT), 3) == [False, False, False]
    assert spy.count(user.password_hash) == before
    # After the lockout, the right password works (and clears the count).
    clock.set(clock.now() + timedelta(minutes=settings.login_lockout_minutes, seconds=1))
    assert _burst(app, attempt(RIGHT), 1) == [True]
    seeded.expire_all()
    fresh = seeded.get(User, user.id)
    assert fresh is not None and fresh.failed_logins == 0 and fresh.locked_until is None


def test_a_burst_with_the_right_password_among_wrong_ones_checks_few_guesses(
    app: Flask, seeded: Db, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the order, the account's hash is checked at most LOGIN_MAX_FAILURES times
    before the right password; the right one logs in only if it was among those."""
    settings: Settings = app.config["SETTINGS"]
    email = DEMO_LOGINS["coordinator"]
    user = _cheap_account(seeded, email, monkeypatch)
    spy = HashSpy(monkeypatch, delay=HASH_SECONDS)
    passwords = ["wrong-guess"] * 29 + [RIGHT]
    index = iter(range(30))
    lock = threading.Lock()

    def attempt(session: Db) -> tuple[str, bool]:
        with lock:
            password = passwords[next(index)]
        ok = login.authenticate(
            session,
            email,
            password,
            now=clock.now(),
            max_failures=settings.login_max_failures,
            lockout_minutes=settings.login_lockout_minutes,
        ).ok
        return password, ok

    results = _burst(app, attempt, 30)
    real_checks = spy.count(user.password_hash)
    right_ok = [ok for password, ok in results if password == RIGHT]
    assert not any(ok for password, ok in results if password != RIGHT)
    if right_ok == [True]:
        # It was counted among the first LOGIN_MAX_FAILURES; a success resets the count, so
        # the guesses after it may be checked again, up to the limit once more.
        assert real_checks <= 2 * settings.login_max_failures
    else:
        assert real_checks == settings.login_max_failures


# ---------------------------------------------------------------- the same answer, the same work


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _error_text(response: Any, email: str) -> str:
    return text_of(response.get_data(as_text=True)).replace(email, "<email>")


def test_every_failed_login_gets_the_same_answer_after_a_hash_check(
    app: Flask, client: FlaskClient, seeded: Db, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["LOGIN_RATE_LIMIT"] = (1000, 300.0)
    locked = demo_user(seeded, "coordinator")
    locked.locked_until = clock.now() + timedelta(minutes=10)
    inactive = demo_user(seeded, "viewer")
    inactive.active = False
    seeded.commit()
    spy = HashSpy(monkeypatch)
    cases = {
        "unknown address": ("nobody@mora.example", DEMO_PASSWORD),
        "wrong password": (DEMO_LOGINS["admin"], "wrong-password"),
        "locked account, right password": (locked.email, DEMO_PASSWORD),
        "inactive user, right password": (inactive.email, DEMO_PASSWORD),
    }
    answers = {}
    for name, (email, password) in cases.items():
        checks = spy.count()
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 401, name
        assert spy.count() == checks + 1, f"{name}: no password hash check"
        answers[name] = _error_text(response, email)
    assert len(set(answers.values())) == 1, answers
    text = answers["locked account, right password"]
    assert "Fel e-postadress eller lösenord" in text and "Kontot är låst" not in text


def test_a_locked_account_answers_as_slowly_as_a_wrong_password(
    app: Flask, client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    """The real argon2 parameters: a locked account or an unknown address may not answer
    measurably faster than a wrong password (before: ~2 ms against ~170 ms here)."""
    app.config["LOGIN_RATE_LIMIT"] = (1000, 300.0)
    locked = demo_user(seeded, "coordinator")
    locked.locked_until = clock.now() + timedelta(minutes=10)
    seeded.commit()

    def median_seconds(email: str, password: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            assert client.post("/login", data={"email": email, "password": password}).status_code
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    wrong = median_seconds(DEMO_LOGINS["admin"], "wrong-password")
    for email in (locked.email, "nobody@mora.example"):
        # Generous for a busy machine: the hash check dominates both (before: ratio ~0.015).
        assert median_seconds(email, DEMO_PASSWORD) > 0.25 * wrong


# ---------------------------------------------------------------- the rate limit, shared


def test_the_rate_limit_holds_across_workers(
    app: Flask, settings: Settings, clock: FixedClock, seeded: Db
) -> None:
    """Two app instances (two gunicorn workers, or two nodes) share one count."""
    other = create_app(
        settings, clock=clock, test_config={"TESTING": True, "WTF_CSRF_ENABLED": False}
    )
    try:
        workers = [app.test_client(), other.test_client()]
        for application in (app, other):
            application.config["LOGIN_RATE_LIMIT"] = (3, 60.0)
        for i in range(3):
            response = workers[i % 2].post(
                "/login", data={"email": "x@y.example", "password": "wrong"}
            )
            assert response.status_code == 401
        response = workers[1].post(
            "/login", data={"email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD}
        )
        assert response.status_code == 429  # the fourth attempt, whichever worker it reaches
        # No address is stored, only its hash; after the window the address may try again.
        keys = seeded.scalars(select(LoginRateBucket.key)).all()
        assert keys and "127.0.0.1" not in keys
        clock.set(clock.now() + timedelta(seconds=61 + 6))
        response = workers[0].post(
            "/login", data={"email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302
    finally:
        other.extensions["engine"].dispose()


def test_simultaneous_attempts_are_each_counted_once(app: Flask, clock: FixedClock) -> None:
    verdicts = _burst(
        app,
        lambda session: login_rate.register_attempt(
            session, "192.0.2.7", now=clock.now(), limit=10, window_seconds=300
        ),
        25,
    )
    assert sum(v.allowed for v in verdicts) == 10
    assert all(v.retry_after > 0 for v in verdicts if not v.allowed)


def test_old_buckets_are_deleted(app: Flask, db: Db, clock: FixedClock) -> None:
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        login_rate.register_attempt(db, address, now=clock.now(), limit=10, window_seconds=300)
    assert db.scalar(select(func.count()).select_from(LoginRateBucket)) == 3
    later = clock.now() + timedelta(seconds=300 + 31)
    verdict = login_rate.register_attempt(db, "192.0.2.1", now=later, limit=10, window_seconds=300)
    assert verdict.allowed
    # Every address's expired bucket is gone, only the new attempt's remains.
    assert db.scalar(select(func.count()).select_from(LoginRateBucket)) == 1


# ---------------------------------------------------------------- revocable sessions


def _copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _log_in(client: FlaskClient, role: str) -> None:
    response = client.post("/login", data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_a_copied_session_cookie_stops_working_at_logout(
    app: Flask, client: FlaskClient, seeded: Db
) -> None:
    _log_in(client, "coordinator")
    thief = _copy_of(app, client)
    assert thief.get("/overview").status_code == 200
    assert thief.get("/api/v1/me").status_code == 200
    assert client.post("/logout").status_code == 302
    assert thief.get("/overview").status_code == 302  # to the login page
    assert thief.get("/api/v1/me").status_code == 401
    # A new login works, and its cookie is good until the next logout.
    _log_in(client, "coordinator")
    assert client.get("/overview").status_code == 200


def test_a_password_change_ends_the_users_other_sessions(
    app: Flask, client: FlaskClient, seeded: Db
) -> None:
    coordinator = demo_user(seeded, "coordinator")
    victim = app.test_client()
    _log_in(victim, "coordinator")
    stolen = _copy_of(app, victim)
    _log_in(client, "admin")
    form = {
        "name": coordinator.name,
        "email": coordinator.email,
        "role": "coordinator",
        "active": "y",
        "password": "a-brand-new-password",
    }
    response = client.post(f"/admin/users/{coordinator.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    for browser in (victim, stolen):
        assert browser.get("/overview").status_code == 302
        assert browser.get("/api/v1/me").status_code == 401
    # The administrator's own password change keeps the session it was made in.
    admin = demo_user(seeded, "admin")
    admin_copy = _copy_of(app, client)
    own = {**form, "name": admin.name, "email": admin.email, "role": "admin"}
    assert client.post(f"/admin/users/{admin.id}", data=own).status_code == 302
    assert client.get("/overview").status_code == 200
    assert admin_copy.get("/overview").status_code == 302


# ---------------------------------------------------------------- API tokens


def test_api_tokens_are_listed_and_revoked_and_the_trail_names_them(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    auth = tokens(seeded, clock)
    ids = {t.name: t.id for t in seeded.scalars(select(ApiToken))}
    mine = client.get("/api/v1/tokens", headers=auth["coordinator"]).get_json()["tokens"]
    assert [t["name"] for t in mine] == ["test coordinator"]  # one's own only
    assert "token_hash" not in mine[0] and mine[0]["active"] is True
    everyone = client.get("/api/v1/tokens", headers=auth["admin"]).get_json()["tokens"]
    assert len(everyone) == len(DEMO_LOGINS)

    # A change through the API names the token in the audit trail.
    created = client.post("/api/v1/cases", json=case_body(seeded), headers=auth["coordinator"])
    assert created.status_code == 201
    event = seeded.scalar(select(AuditEvent).where(AuditEvent.entity_type == "case"))
    assert event is not None and event.actor == DEMO_LOGINS["coordinator"]
    assert event.actor_token_id == ids["test coordinator"]
    assert event.actor_token_name == "test coordinator"

    # Someone else's token: 404, as if it did not exist; one's own: revoked, then 401.
    admin_token = ids["test admin"]
    refused = client.delete(f"/api/v1/tokens/{admin_token}", headers=auth["coordinator"])
    assert refused.status_code == 404
    own = ids["test coordinator"]
    assert client.delete(f"/api/v1/tokens/{own}", headers=auth["coordinator"]).status_code == 204
    assert client.get("/api/v1/me", headers=auth["coordinator"]).status_code == 401
    # An administrator revokes anyone's.
    viewer_token = ids["test viewer"]
    revoked = client.delete(f"/api/v1/tokens/{viewer_token}", headers=auth["admin"])
    assert revoked.status_code == 204
    assert client.get("/api/v1/me", headers=auth["viewer"]).status_code == 401

    trail = seeded.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "api_token").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in trail].count("create") == len(DEMO_LOGINS)
    revocations = [e for e in trail if e.action == "revoke"]
    assert [(e.entity_id, e.actor_token_id) for e in revocations] == [
        (own, own),
        (viewer_token, ids["test admin"]),
    ]
    assert revocations[1].actor == DEMO_LOGINS["admin"] and "test viewer" in revocations[1].note


def test_tokens_from_the_command_line(app: Flask, client: FlaskClient, seeded: Db) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["forum", "create-token", "--email", DEMO_LOGINS["coordinator"], "--name", "diariet"]
    )
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    listed = runner.invoke(args=["forum", "list-tokens"])
    assert listed.exit_code == 0 and "diariet" in listed.output and "active" in listed.output
    assert secret not in listed.output
    token = seeded.scalar(select(ApiToken).where(ApiToken.name == "diariet"))
    assert token is not None
    revoked = runner.invoke(args=["forum", "revoke-token", str(token.id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 401
    assert "revoked" in runner.invoke(args=["forum", "list-tokens"]).output
    missing = runner.invoke(args=["forum", "revoke-token", "99999"])
    assert missing.exit_code != 0 and "No API token" in missing.output
    actions = seeded.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity_type == "api_token", AuditEvent.entity_id == token.id
        )
    ).all()
    assert sorted(actions) == ["create", "revoke"]


def test_the_admin_page_lists_and_revokes_tokens(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    token, secret = create_token(seeded, DEMO_LOGINS["coordinator"], "diariet", now=clock.now())
    _log_in(client, "coordinator")
    assert client.get("/admin/tokens").status_code == 403  # administrators only
    client.post("/logout")
    _log_in(client, "admin")
    page = text_of(client.get("/admin/tokens").get_data(as_text=True))
    assert "API-nycklar" in page and "diariet" in page and DEMO_LOGINS["coordinator"] in page
    assert secret not in page
    response = client.post(f"/admin/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )
    assert "återkallad" in text_of(client.get("/admin/tokens").get_data(as_text=True))
    event = seeded.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "api_token", AuditEvent.action == "revoke"
        )
    )
    assert event is not None and event.actor == DEMO_LOGINS["admin"]
    assert client.post("/admin/tokens/99999/revoke").status_code == 404
