"""Single sign-on with the municipality's account, against a real OpenID Connect provider
(panva's oidc-provider on 127.0.0.1, tests/oidc_provider.py), on SQLite and PostgreSQL.

The provider signs with the real wall clock, so the service's injected clock starts at the
real time here (and is moved to make a token expire); these tests start another process and are
left out of the any-date run.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from caldav_servers import closed_port
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import KeySet
from oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    OidcProvider,
    authorize,
    start_provider,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.adapters.oidc import check_id_token
from booking.app import create_app
from booking.clock import FixedClock
from booking.domain.vocabulary import Role, SsoMatch
from booking.models import Attendee, AuditEvent, User
from booking.services import audit
from booking.services.access import sso_rules
from booking.services.access.api_tokens import create_token
from booking.services.access.sso import SsoRefused
from booking.services.access.users import hash_password
from booking.services.invitations.links import rsvp_link
from booking.services.policies import policies_of
from config import Settings

BASE = "http://forum.test"
CALLBACK = f"{BASE}/login/oidc/callback"
ADMIN = audit.Actor.system("test")


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    provider = start_provider(tmp_path_factory.mktemp("oidc"), [CALLBACK], [f"{BASE}/login"])
    yield provider
    provider.stop()


@pytest.fixture
def clock() -> FixedClock:
    # The provider stamps its tokens with the real time: the service's clock starts there.
    return FixedClock(datetime.fromtimestamp(int(time.time()), UTC))


@pytest.fixture
def settings(database_url: str, oidc_provider: OidcProvider) -> Settings:
    return replace(
        Settings(),
        env="test",
        database_url=database_url,
        secret_key="test-secret",
        public_base_url=BASE,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_scopes="openid email profile groups",
    )


def start(client: FlaskClient, next_path: str = "") -> str:
    """Click "Logga in med kommunens konto": the provider's authorization URL."""
    response = client.get("/login/oidc" + (f"?next={next_path}" if next_path else ""))
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def callback(client: FlaskClient, url: str) -> object:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client: FlaskClient, login: str, **kwargs: object) -> object:
    return callback(client, authorize(start(client), login, redirect_prefix=CALLBACK, **kwargs))  # type: ignore[arg-type]


def user(db: Session, email: str) -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def logged_in_as(client: FlaskClient, db: Session) -> str | None:
    with client.session_transaction() as s:
        user_id = s.get("user_id")
    found = db.get(User, user_id) if isinstance(user_id, int) else None
    return found.email if found else None


def test_login_page_offers_the_municipality_login(client: FlaskClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert "Logga in med kommunens konto" in page.text
    assert 'name="password"' in page.text  # local passwords stay on by default


def test_first_login_creates_the_user_as_receiver(client: FlaskClient, db: Session) -> None:
    response = sign_in(client, "dan")
    assert response.status_code == 302  # type: ignore[attr-defined]
    dan = user(db, "dan@example.org")
    assert dan is not None
    # Any employee may pass a contact on, and sees no case until a rule or an admin says so.
    assert dan.role == Role.RECEIVER and dan.sso_subject == "dan" and dan.password_hash == ""
    assert dan.name == "Dan Utomstående"
    assert logged_in_as(client, db) == "dan@example.org"
    assert client.get("/overview").status_code == 403
    assert client.get("/intake/mine").status_code == 200
    created = db.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == dan.id, AuditEvent.action == "create")
    ).all()
    assert len(created) == 1 and created[0].actor == "sso"


def test_groups_map_to_roles_and_the_highest_wins(
    client: FlaskClient, db: Session, clock: FixedClock
) -> None:
    for group, role in (
        ("all-staff", Role.VIEWER),
        ("dorren-in-admins", Role.ADMIN),
        ("dorren-in-samordnare", Role.COORDINATOR),
    ):
        sso_rules.add_rule(db, SsoMatch.GROUP, group, role, actor=ADMIN, now=clock.now())
    sign_in(client, "anna")
    anna = user(db, "anna.admin@mora.se")
    assert anna is not None and anna.role == Role.ADMIN
    assert client.get("/admin/sso").status_code == 200
    client.post("/logout")
    sign_in(client, "bo")
    bo = user(db, "bo.samordnare@mora.se")
    assert bo is not None and bo.role == Role.COORDINATOR
    assert client.get("/admin/sso").status_code == 403


def test_email_domain_maps_to_a_role(client: FlaskClient, db: Session, clock: FixedClock) -> None:
    sso_rules.add_rule(
        db, SsoMatch.EMAIL_DOMAIN, "@Orsa.se", Role.REPRESENTATIVE, actor=ADMIN, now=clock.now()
    )
    sign_in(client, "cia")
    cia = user(db, "cia.bygg@orsa.se")
    assert cia is not None and cia.role == Role.REPRESENTATIVE


def test_an_existing_user_is_linked_and_later_logins_follow_the_rules(
    client: FlaskClient, db: Session, clock: FixedClock
) -> None:
    """A local account with the same address is linked on the first single sign-on; a matching
    rule sets the role on every login; without one, the role an administrator gave stands."""
    db.add(
        User(
            email="bo.samordnare@mora.se",
            name="Bo",
            role=Role.VIEWER,
            password_hash=hash_password("x" * 12),
        )
    )
    db.commit()
    rule = sso_rules.add_rule(
        db, SsoMatch.GROUP, "dorren-in-samordnare", Role.COORDINATOR, actor=ADMIN, now=clock.now()
    )
    sign_in(client, "bo")
    bo = user(db, "bo.samordnare@mora.se")
    assert bo is not None and bo.sso_subject == "bo" and bo.role == Role.COORDINATOR
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == bo.id)))
    assert {"sso_link", "role"} <= actions
    client.post("/logout")
    sso_rules.remove_rule(db, rule.id, actor=ADMIN, now=clock.now())
    bo.role = Role.REPRESENTATIVE  # an administrator's choice
    db.commit()
    sign_in(client, "bo")
    bo = user(db, "bo.samordnare@mora.se")
    assert bo is not None and bo.role == Role.REPRESENTATIVE
    assert len(db.scalars(select(User)).all()) == 1


def test_an_inactive_user_is_refused_with_a_clear_message(client: FlaskClient, db: Session) -> None:
    db.add(User(email="eva.avstangd@mora.se", name="Eva", role=Role.COORDINATOR, active=False))
    db.commit()
    response = sign_in(client, "eva")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert "Ditt konto i Dörren in är avstängt" in response.text  # type: ignore[attr-defined]
    assert logged_in_as(client, db) is None
    eva = user(db, "eva.avstangd@mora.se")
    assert eva is not None and eva.sso_subject is None and not eva.active
    refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "sso_refused")).all()
    assert len(refused) == 1 and refused[0].entity_id == eva.id


def test_a_provider_naming_another_issuer_is_refused(
    settings: Settings, clock: FixedClock, oidc_provider: OidcProvider, tmp_path: Path
) -> None:
    """The configured issuer must be the one the provider names (and its tokens carry)."""
    other = start_provider(tmp_path, [CALLBACK], [], issuer_name="https://login.example/other")
    try:
        app = create_app(
            replace(settings, oidc_issuer=other.url),
            clock=clock,
            test_config={"TESTING": True, "WTF_CSRF_ENABLED": False},
        )
        response = app.test_client().get("/login/oidc")
        assert response.status_code == 401
        assert "kunde inte godtas" in response.text
        app.extensions["engine"].dispose()
    finally:
        other.stop()


def _token(provider: OidcProvider, client_id: str, secret: str, login: str) -> tuple[str, str]:
    """A real ID token from the provider for ``client_id`` (the code flow by hand), and its
    nonce."""
    metadata = provider.metadata()
    verifier, nonce = "v" * 50, f"nonce-{client_id}"
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    url = (
        requests.Request(
            "GET",
            str(metadata["authorization_endpoint"]),
            params={
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": CALLBACK,
                "scope": "openid email groups",
                "state": "s",
                "nonce": nonce,
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            },
        )
        .prepare()
        .url
    )
    back = authorize(str(url), login, redirect_prefix=CALLBACK)
    code = parse_qs(urlsplit(back).query)["code"][0]
    answer = requests.post(
        str(metadata["token_endpoint"]),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id_token"]), nonce


def test_id_token_checks_issuer_audience_nonce_and_expiry(
    oidc_provider: OidcProvider, clock: FixedClock
) -> None:
    keys = KeySet.import_key_set(
        requests.get(str(oidc_provider.metadata()["jwks_uri"]), timeout=10).json()
    )
    raw, nonce = _token(oidc_provider, CLIENT_ID, CLIENT_SECRET, "anna")
    ok = {"keys": keys, "issuer": oidc_provider.issuer, "client_id": CLIENT_ID, "nonce": nonce}
    claims = check_id_token(raw, now=clock.now(), **ok)  # type: ignore[arg-type]
    assert claims["sub"] == "anna" and "dorren-in-admins" in claims["groups"]

    def refused(raw_token: str, **changes: object) -> str:
        with pytest.raises(SsoRefused) as caught:
            check_id_token(raw_token, **{**ok, "now": clock.now(), **changes})  # type: ignore[arg-type]
        return caught.value.reason

    assert refused(raw, issuer="https://login.microsoftonline.com/x/v2.0") == "wrong_issuer"
    assert refused(raw, nonce="another") == "nonce_mismatch"
    assert refused(raw, now=clock.now() + timedelta(hours=2)) == "expired"
    assert refused(raw, now=clock.now() - timedelta(hours=1)) == "not_yet_valid"
    other_raw, other_nonce = _token(oidc_provider, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, "anna")
    assert refused(other_raw, nonce=other_nonce) == "wrong_audience"  # for another application
    head, _, signature = raw.split(".")
    assert refused(f"{head}.{other_raw.split('.')[1]}.{signature}") == "bad_signature"


def test_a_code_for_another_application_is_refused(
    client: FlaskClient, db: Session, oidc_provider: OidcProvider
) -> None:
    """A code the provider gave another client, slipped into our callback with our state."""
    url = start(client)
    query = parse_qs(urlsplit(url).query)
    foreign = url.replace(f"client_id={CLIENT_ID}", f"client_id={OTHER_CLIENT_ID}")
    assert foreign != url and query["state"]
    back = authorize(foreign, "anna", redirect_prefix=CALLBACK)
    response = callback(client, back)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert user(db, "anna.admin@mora.se") is None


def test_an_expired_token_is_refused(client: FlaskClient, db: Session, clock: FixedClock) -> None:
    back = authorize(start(client), "dan", redirect_prefix=CALLBACK)
    clock.set(clock.now() + timedelta(hours=2))  # the ID token lives an hour
    response = callback(client, back)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert user(db, "dan@example.org") is None and logged_in_as(client, db) is None


def test_state_and_nonce_must_be_this_sign_ins(
    client: FlaskClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    first = authorize(start(client), "dan", redirect_prefix=CALLBACK)
    second = authorize(start(client), "dan", redirect_prefix=CALLBACK)  # a second tab
    stale = callback(client, first)
    assert stale.status_code == 400  # type: ignore[attr-defined]
    assert "startades i en annan flik" in stale.text  # type: ignore[attr-defined]
    # The sign-in under way was used up by that attempt: the second answer is refused too.
    assert callback(client, second).status_code == 400  # type: ignore[attr-defined]
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 400

    back = authorize(start(client), "dan", redirect_prefix=CALLBACK)
    with client.session_transaction() as s:
        s["oidc"] = {**s["oidc"], "nonce": "not-the-one-sent"}
    with caplog.at_level(logging.WARNING):
        response = callback(client, back)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "nonce_mismatch" in caplog.text
    assert user(db, "dan@example.org") is None and logged_in_as(client, db) is None


def test_logout_ends_the_session_and_the_provider_session(
    client: FlaskClient, db: Session, oidc_provider: OidcProvider
) -> None:
    with requests.Session() as http:
        _logout_ends_both(client, db, oidc_provider, http)


def _logout_ends_both(
    client: FlaskClient, db: Session, oidc_provider: OidcProvider, http: requests.Session
) -> None:
    callback(client, authorize(start(client), "dan", redirect_prefix=CALLBACK, http=http))
    dan = user(db, "dan@example.org")
    assert dan is not None
    generation = dan.session_generation
    with client.session_transaction() as s:
        copied = dict(s)
    response = client.post("/logout")
    end = str(oidc_provider.metadata()["end_session_endpoint"])
    location = response.headers["Location"]
    assert response.status_code == 302 and location.startswith(end)
    assert parse_qs(urlsplit(location).query) == {
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": [f"{BASE}/login"],
    }
    dan = user(db, "dan@example.org")
    assert dan is not None and dan.session_generation == generation + 1
    with client.session_transaction() as s:  # a copy of the old cookie no longer works
        s.update(copied)
    assert client.get("/overview").status_code == 302

    # At the provider: confirm the logout; it sends the browser back to our login page.
    page = http.get(location, timeout=10)
    assert page.status_code == 200
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    action = re.search(r'action="([^"]+)"', page.text)
    assert action, page.text
    done = http.post(
        urljoin(page.url, action.group(1)),
        data={**form, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code in (302, 303) and done.headers["Location"] == f"{BASE}/login"
    # The provider's session is over: signing in again asks for the password.
    again = http.get(start(client), allow_redirects=True, timeout=10)
    assert 'name="login"' in again.text


@pytest.fixture
def passwords_off(settings: Settings) -> Settings:
    return replace(settings, local_passwords=False)


def test_passwords_off_refuses_password_logins_but_links_and_tokens_work(
    passwords_off: Settings, clock: FixedClock, db: Session
) -> None:
    from invitation_data import book_meeting, make_world

    app: Flask = create_app(
        passwords_off, clock=clock, test_config={"TESTING": True, "WTF_CSRF_ENABLED": False}
    )
    client = app.test_client()
    try:
        db.add(
            User(
                email="samordnare@mora.example",
                name="Sam",
                role=Role.COORDINATOR,
                password_hash=hash_password("forum-demo-2026"),
            )
        )
        db.commit()
        page = client.get("/login")
        assert 'name="password"' not in page.text and "Logga in med kommunens konto" in page.text
        refused = client.post(
            "/login", data={"email": "samordnare@mora.example", "password": "forum-demo-2026"}
        )
        assert refused.status_code == 403 and "Inloggning med lösenord är avstängd" in refused.text
        assert logged_in_as(client, db) is None

        # A representative's personal RSVP link keeps working: SSO never replaces it.
        world = make_world(db, start=clock.now().date() + timedelta(days=21))
        meeting = book_meeting(db, world, clock.now())
        attendee = db.scalar(select(Attendee).where(Attendee.meeting_id == meeting.id))
        assert attendee is not None
        link = rsvp_link(attendee, policies_of(db).invitations)
        db.commit()
        rsvp = client.get(link.removeprefix(BASE))
        assert rsvp.status_code == 200 and "Ja, jag kommer" in rsvp.text
        answered = client.post(link.removeprefix(BASE), data={"answer": "accept"})
        assert answered.status_code == 200 and "1 av 3 har svarat" in answered.text

        # And API tokens too.
        _, secret = create_token(db, "samordnare@mora.example", "diariet", now=clock.now())
        api = client.get("/api/v1/forums", headers={"Authorization": f"Bearer {secret}"})
        assert api.status_code == 200, api.text

        # Single sign-on still lets staff in.
        assert sign_in(client, "dan").status_code == 302  # type: ignore[attr-defined]
        assert logged_in_as(client, db) == "dan@example.org"
    finally:
        app.extensions["engine"].dispose()


def test_the_admin_page_adds_and_removes_rules(client: FlaskClient, db: Session) -> None:
    db.add_all(
        [
            User(
                email="admin@kommun.se",
                name="Admin",
                role=Role.ADMIN,
                password_hash=hash_password("admin-password-1"),
            ),
            User(
                email="sam@kommun.se",
                name="Sam",
                role=Role.COORDINATOR,
                password_hash=hash_password("coord-password-1"),
            ),
        ]
    )
    db.commit()
    client.post("/login", data={"email": "sam@kommun.se", "password": "coord-password-1"})
    assert client.get("/admin/sso").status_code == 403
    client.post("/logout")
    client.post("/login", data={"email": "admin@kommun.se", "password": "admin-password-1"})
    page = client.get("/admin/sso")
    assert page.status_code == 200 and CALLBACK in page.text and "Inga regler" in page.text

    added = client.post(
        "/admin/sso", data={"kind": "group", "value": " Bygglov ", "role": "coordinator"}
    )
    assert added.status_code == 302
    assert (
        client.post(
            "/admin/sso", data={"kind": "email_domain", "value": "@Mora.SE", "role": "viewer"}
        ).status_code
        == 302
    )
    rules = sso_rules.list_rules(db)
    assert [(r.kind, r.value, r.role) for r in rules] == [
        (SsoMatch.EMAIL_DOMAIN, "mora.se", Role.VIEWER),
        (SsoMatch.GROUP, "Bygglov", Role.COORDINATOR),
    ]
    twice = client.post("/admin/sso", data={"kind": "group", "value": "Bygglov", "role": "admin"})
    assert twice.status_code == 409 and "Det finns redan en regel för Bygglov" in twice.text
    bad = client.post(
        "/admin/sso", data={"kind": "email_domain", "value": "inte en domän", "role": "viewer"}
    )
    assert bad.status_code == 422 and "är ingen e-postdomän" in bad.text
    empty = client.post("/admin/sso", data={"kind": "group", "value": "", "role": "viewer"})
    assert empty.status_code == 422 and "Skriv gruppen" in empty.text
    assert len(sso_rules.list_rules(db)) == 2  # nothing half-written

    removed = client.post(f"/admin/sso/{rules[1].id}/remove")
    assert removed.status_code == 302
    assert [r.value for r in sso_rules.list_rules(db)] == ["mora.se"]
    assert client.post("/admin/sso/999999/remove").status_code == 404
    trail = db.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "sso_role_rule")
    ).all()
    assert sorted(trail) == ["create", "create", "delete"]


def test_the_check_command_finds_the_identity_provider(
    settings: Settings, clock: FixedClock, oidc_provider: OidcProvider
) -> None:
    with closed_port() as nothing:
        unreachable = f"http://127.0.0.1:{nothing.getsockname()[1]}"
        for issuer, found in ((oidc_provider.issuer, "ok"), (unreachable, "FAILED")):
            app = create_app(replace(settings, oidc_issuer=issuer), clock=clock)
            result = app.test_cli_runner().invoke(args=["forum", "check"])
            app.extensions["engine"].dispose()
            line = next(line for line in result.output.splitlines() if line.startswith("sso"))
            assert line.split()[1] == found, line
