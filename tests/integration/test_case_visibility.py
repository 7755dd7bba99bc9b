"""Personal data only to those who may see it (issue 11): one visibility policy, every door.

The whole matrix: role (admin, coordinator, viewer, a representative invited to the case's
meeting, one from an external party invited too, a representative not invited, nobody logged
in) × where they look (API detail with a token and with the web session cookie, API list, API
history, API meeting, the web case page) × field (category, organisation, description,
contact, registry number, free text) × case (confidential or not; consent none, municipal,
external). Each field's marker must appear exactly where the rule says, and nowhere else.

The expected table (tests/visibility_table.py) is written out by hand, independently of
booking.domain.visibility, so a change to the policy has to change it too; that it is the
policy, cell by cell, is checked without a database in tests/unit/test_visibility_table.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from booking_helpers import dept_ids
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from visibility_table import FIELDS, KINDS, SCOPES, expected

from booking.clock import FixedClock
from booking.domain.visibility import ConsentScope
from booking.domain.vocabulary import MeetingStatus
from booking.ical import itip
from booking.ical.serialize import to_bytes
from booking.models import Attendee, Case, Meeting, Representative
from booking.services import audit
from booking.services.access.api_tokens import create_token
from booking.services.access.users import create_user
from booking.services.cases import registry as case_service
from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_password_hash, demo_user
from booking.services.invitations import delivery as invitations
from booking.services.invitations.outbox import OutgoingMail
from booking.services.invitations.ports import InvitationConfig

ROLES = (
    "admin",
    "coordinator",
    "viewer",
    "rep_invited",
    "rep_external_invited",
    "rep_not_invited",
    "receiver",
    "nobody",
)
ENDPOINTS = (
    "api_detail",
    "api_detail_session",
    "api_list",
    "api_history",
    "api_meeting",
    "web_case",
)
EXTRA_LOGINS = {
    "rep_external_invited": "robert.nord@polisen.example",
    "rep_not_invited": "mats.hed@mora.example",
}
PASSWORD_LOGINS = {
    "admin": DEMO_LOGINS["admin"],
    "coordinator": DEMO_LOGINS["coordinator"],
    "viewer": DEMO_LOGINS["viewer"],
    "receiver": DEMO_LOGINS["receiver"],
    "rep_invited": DEMO_LOGINS["representative"],  # Anna Lind, Stadsbyggnad (joint office)
    **EXTRA_LOGINS,
}


@dataclass
class Marked:
    case_id: int
    meeting_id: int
    markers: dict[str, list[str]]  # field → strings only that field's data contains


def _markers(tag: str) -> dict[str, list[str]]:
    return {
        "organisation": [f"Zqorg{tag} AB"],
        "description": [f"zqdescription{tag}", f"zqarea{tag}"],
        "contact": [
            f"zqcontact{tag}",
            f"zqmail{tag}@kund.example",
            f"070-99{tag}",
            f"zqorgno{tag}",
        ],
        "registry_number": [f"KS zq{tag}/1"],
        "free_text": [f"zqcancel{tag}", f"zqoverride{tag}", f"zqnote{tag}", f"zqreply{tag}"],
    }


def _make_case(db: Db, now: datetime, confidential: bool, scope: ConsentScope) -> Marked:
    tag = f"{int(confidential)}{SCOPES.index(scope)}"
    marks = _markers(tag)
    coordinator = audit.Actor.of(demo_user(db, "coordinator"))
    case = case_service.create_case(
        db,
        {
            "forum": "mora",
            "registry_number": marks["registry_number"][0],
            "org_name": marks["organisation"][0],
            "contact_name": marks["contact"][0],
            "contact_email": marks["contact"][1],
            "contact_phone": marks["contact"][2],
            "category": "major_change",
            "description": marks["description"][0],
            "responsibility_areas": [marks["description"][1]],
            "department_ids": dept_ids(db, "stadsbyggnad", "polisen"),
            "confidential": confidential,
            "consent_scope": scope.value,
        },
        coordinator,
        now=now,
    )
    # Not a valid org number, so written to the row directly: a marker only contact carries.
    case.org_number = marks["contact"][3]
    anna = db.scalar(
        select(Representative).where(Representative.email == DEMO_LOGINS["representative"])
    )
    police = db.scalar(
        select(Representative).where(Representative.email == EXTRA_LOGINS["rep_external_invited"])
    )
    assert anna is not None and police is not None
    start = now + timedelta(days=14, hours=int(tag))
    earlier = Meeting(
        case=case,
        uid=f"earlier-{tag}@forum.test",
        starts_at=start - timedelta(days=7),
        ends_at=start - timedelta(days=7, hours=-1),
        status=MeetingStatus.CANCELLED,
        cancel_reason=marks["free_text"][0],
        cancelled_at=now,
    )
    live = Meeting(
        case=case,
        uid=f"live-{tag}@forum.test",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=MeetingStatus.BOOKED,
        override_reason=marks["free_text"][1],
    )
    live.attendees = [
        Attendee(
            representative=anna,
            department=anna.department,
            reply_note=marks["free_text"][3],
        ),
        Attendee(representative=police, department=police.department),
    ]
    db.add_all([earlier, live])
    db.flush()
    audit.record(
        db,
        coordinator,
        "case",
        case.id,
        "status",
        before={"status": "received"},
        after={"status": "received"},
        case_id=case.id,
        note=marks["free_text"][2],
        at=now,
    )
    db.commit()
    return Marked(case.id, live.id, marks)


@pytest.fixture
def world(seeded: Db, clock: FixedClock) -> dict[tuple[bool, ConsentScope], Marked]:
    for role, email in EXTRA_LOGINS.items():
        user = create_user(
            seeded, email, role, "representative", DEMO_PASSWORD, password_hash=demo_password_hash()
        )
        rep = seeded.scalar(select(Representative).where(Representative.email == email))
        assert rep is not None
        rep.user_id = user.id
    seeded.commit()
    return {(c, s): _make_case(seeded, clock.now(), c, s) for c, s in KINDS}


def _token(db: Db, role: str, clock: FixedClock) -> dict[str, str]:
    if role == "nobody":
        return {}
    _, secret = create_token(db, PASSWORD_LOGINS[role], f"test {role}", now=clock.now())
    return {"Authorization": f"Bearer {secret}"}


def _login(client: FlaskClient, role: str) -> None:
    if role == "nobody":
        return
    response = client.post(
        "/login", data={"email": PASSWORD_LOGINS[role], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


Fetch = Callable[[Marked], tuple[int, str]]


def _fetcher(endpoint: str, client: FlaskClient, headers: dict[str, str]) -> Fetch:
    def api(path: str) -> tuple[int, str]:
        response = client.get(path, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    def fetch(case: Marked) -> tuple[int, str]:
        if endpoint in ("api_detail", "api_detail_session"):
            return api(f"/api/v1/cases/{case.case_id}")
        if endpoint == "api_history":
            return api(f"/api/v1/cases/{case.case_id}/history")
        if endpoint == "api_meeting":
            return api(f"/api/v1/meetings/{case.meeting_id}")
        if endpoint == "api_list":
            status, body = api("/api/v1/cases?limit=500")
            if status != 200:
                return status, body
            rows = [c for c in json.loads(body)["cases"] if c["id"] == case.case_id]
            return status, json.dumps(rows, ensure_ascii=False)
        response = client.get(f"/cases/{case.case_id}")
        return response.status_code, response.get_data(as_text=True)

    return fetch


# What each place shows at all of a case (a marker outside this set never appears there).
SHOWS: dict[str, set[str]] = {
    "api_detail": set(FIELDS),
    "api_detail_session": set(FIELDS),
    "api_list": set(FIELDS),
    "api_history": set(FIELDS),
    "api_meeting": {"free_text"},
    "web_case": set(FIELDS),
}
# Markers a place never shows even to a handler (the meeting answer has no case fields; the
# web page shows no override reason; only the web page shows reply notes).
NOT_SHOWN = {
    "api_detail": {"zqnote", "zqreply"},
    "api_detail_session": {"zqnote", "zqreply"},
    "api_list": {"zqnote", "zqreply"},
    "api_history": {"zqreply", "zqcancel", "zqoverride", "zqorgno"},
    "api_meeting": {"zqnote", "zqreply", "zqcancel"},  # the live meeting: no cancel reason
    "web_case": {"zqoverride"},
}
# Shown on the web page only to those who handle the case (the history), whatever they may see.
HANDLERS_ONLY = {"web_case": {"zqnote"}}
CATEGORY_SHOWN = ("major_change", "Förändring av befintlig verksamhet", "Major change")


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_each_field_only_where_the_policy_allows(
    client: FlaskClient,
    seeded: Db,
    clock: FixedClock,
    world: dict[tuple[bool, ConsentScope], Marked],
    role: str,
    endpoint: str,
) -> None:
    if endpoint == "api_detail_session" or endpoint == "web_case":
        _login(client, role)
        headers: dict[str, str] = {}
    else:
        headers = _token(seeded, role, clock)
    fetch = _fetcher(endpoint, client, headers)
    for (confidential, scope), case in world.items():
        status, body = fetch(case)
        allowed = expected(role, confidential, scope)
        where = (role, endpoint, confidential, scope.value)
        if role == "nobody":
            assert status == (302 if endpoint == "web_case" else 401), where
            allowed = set()
        elif role == "receiver":
            assert status == 403, where  # a receiver sees only the contacts they passed on
            allowed = set()
        elif endpoint == "web_case" and role == "rep_not_invited":
            assert status == 403, where  # the page is only for those invited or handling cases
            allowed = set()
        else:
            assert status == 200, (where, body[:300])
        for field, markers in case.markers.items():
            for marker in markers:
                hidden_here = NOT_SHOWN[endpoint]
                if role not in ("admin", "coordinator"):
                    hidden_here = hidden_here | HANDLERS_ONLY.get(endpoint, set())
                shows = field in SHOWS[endpoint] and not any(
                    marker.startswith(n) for n in hidden_here
                )
                if field not in allowed:
                    assert marker not in body, (*where, field, marker)
                elif shows:
                    assert marker in body, (*where, field, marker)
        category = any(label in body for label in CATEGORY_SHOWN)
        if endpoint != "api_meeting":
            assert category == ("category" in allowed), (*where, "category")
        if confidential and status == 200 and role not in ("admin", "coordinator"):
            assert "Zqorg" not in body, where


# ---------------------------------------------------------------- search


@pytest.mark.parametrize(
    "role",
    ["admin", "coordinator", "viewer", "rep_invited", "rep_external_invited", "rep_not_invited"],
)
def test_search_matches_only_what_the_caller_may_see(
    client: FlaskClient,
    seeded: Db,
    clock: FixedClock,
    world: dict[tuple[bool, ConsentScope], Marked],
    role: str,
) -> None:
    headers = _token(seeded, role, clock)
    # Invitations do not widen a search: a representative searches as a forum feed reads.
    as_reader = {"rep_invited": "rep_not_invited"}.get(role, role)
    for (confidential, scope), case in world.items():
        fields = expected(as_reader, confidential, scope)
        if role == "rep_external_invited":
            fields = expected("rep_external_invited", confidential, scope) - {"description"}
        reference = seeded.get(Case, case.case_id).reference  # type: ignore[union-attr]
        for query, field in (
            (case.markers["organisation"][0], "organisation"),
            (case.markers["registry_number"][0], "registry_number"),
            (reference, None),
        ):
            found = client.get("/api/v1/cases", query_string={"q": query}, headers=headers)
            total = found.get_json()["total"]
            wanted = 1 if field is None or field in fields else 0
            assert total == wanted, (role, confidential, scope.value, query, total)


def test_web_search_follows_the_same_rule(
    client: FlaskClient, world: dict[tuple[bool, ConsentScope], Marked]
) -> None:
    _login(client, "viewer")
    for kind, found in (
        ((True, ConsentScope.EXTERNAL), False),
        ((False, ConsentScope.MUNICIPAL), True),
    ):
        case = world[kind]
        query = {"q": case.markers["organisation"][0]}
        page = client.get("/cases", query_string=query).get_data(as_text=True)
        assert (f'href="/cases/{case.case_id}"' in page) == found, kind


# ---------------------------------------------------------------- consent scope


def test_consent_scope_is_recorded_with_when_and_who(
    client: FlaskClient, seeded: Db, clock: FixedClock, world: dict[Any, Marked]
) -> None:
    headers = _token(seeded, "coordinator", clock)
    case = world[(False, ConsentScope.NONE)]
    clock.set(clock.now() + timedelta(hours=3))
    changed = client.patch(
        f"/api/v1/cases/{case.case_id}", json={"consent_scope": "external"}, headers=headers
    ).get_json()
    assert changed["consent_scope"] == "external" and changed["consent_to_share"] is True
    assert changed["consent_recorded_by"] == DEMO_LOGINS["coordinator"]
    assert datetime.fromisoformat(changed["consent_recorded_at"]) == clock.now()
    # The older yes/no still works: yes is the municipal scope.
    legacy = client.patch(
        f"/api/v1/cases/{case.case_id}", json={"consent_to_share": False}, headers=headers
    ).get_json()
    assert legacy["consent_scope"] == "none"
    legacy = client.patch(
        f"/api/v1/cases/{case.case_id}", json={"consent_to_share": True}, headers=headers
    ).get_json()
    assert legacy["consent_scope"] == "municipal"
    viewer = client.get(f"/api/v1/cases/{case.case_id}", headers=_token(seeded, "viewer", clock))
    assert viewer.get_json()["consent_recorded_by"] == ""


# ---------------------------------------------------------------- invitations


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)


CONFIG = InvitationConfig(
    organizer_default="forum@mora.example", base_url="http://forum.test", secret_key="k"
)


def _mails(db: Db, clock: FixedClock, case: Marked) -> dict[str, str]:
    box = Mailbox()
    invitations.deliver_meeting(
        db, case.meeting_id, clock.now(), calendar=None, mailer=box, config=CONFIG
    )
    out: dict[str, str] = {}
    for mail in box.sent:
        ics = (mail.ics or b"").decode().replace("\r\n ", "")
        out[mail.to[0]] = "\n".join([mail.subject, mail.text, mail.html or "", ics])
    return out


@pytest.mark.parametrize(("confidential", "scope"), KINDS)
def test_invitations_show_the_case_only_where_consent_reaches(
    seeded: Db,
    clock: FixedClock,
    world: dict[tuple[bool, ConsentScope], Marked],
    confidential: bool,
    scope: ConsentScope,
) -> None:
    case = world[(confidential, scope)]
    mails = _mails(seeded, clock, case)
    municipal = mails[DEMO_LOGINS["representative"]]
    external = mails[EXTRA_LOGINS["rep_external_invited"]]
    meeting = seeded.get(Meeting, case.meeting_id)
    assert meeting is not None
    copy = (
        to_bytes(
            itip.organizer_copy(
                meeting,
                organizer_default="forum@mora.example",
                base_url="http://forum.test",
                now=clock.now(),
            )
        )
        .decode()
        .replace("\r\n ", "")
    )
    for who, text in (("municipal", municipal), ("external", external), ("caldav", copy)):
        role = "rep_external_invited" if who != "municipal" else "rep_invited"
        allowed = expected(role, confidential, scope) - {"registry_number"}
        for field in ("organisation", "description"):
            assert (case.markers[field][0] in text) == (field in allowed), (who, field)
        for marker in case.markers["contact"] + case.markers["registry_number"]:
            assert marker not in text, (who, marker)
        if confidential:
            reference = meeting.case.reference
            assert f"Forum – sekretess ({reference})" in text, who
            assert "Förändring av befintlig verksamhet" not in text, who
            assert f"http://forum.test/cases/{case.case_id}" in text, who


def test_confidential_minutes_go_as_a_link(seeded: Db, clock: FixedClock, world: Any) -> None:
    from dataclasses import replace

    from booking.domain.vocabulary import MinutesStatus
    from booking.models import Minutes, OutboxMessage
    from booking.services.followup import minutes_mail
    from config import Settings

    settings = replace(Settings(), public_base_url="http://forum.test")
    for (confidential, scope), case in world.items():
        if scope != ConsentScope.MUNICIPAL:
            continue
        meeting = seeded.get(Meeting, case.meeting_id)
        assert meeting is not None
        minutes = Minutes(
            meeting_id=meeting.id,
            version=1,
            status=MinutesStatus.APPROVED,
            present=[],
            customer_present="Kim Kund",
            statements=[{"department": "Stadsbyggnad", "text": "zqstatement"}],
            decisions="zqdecision",
            action_points=[],
            created_by="test",
        )
        seeded.add(minutes)
        seeded.flush()
        before = {m.id for m in seeded.scalars(select(OutboxMessage))}
        minutes_mail.send_minutes(seeded, minutes, clock.now(), settings)
        seeded.flush()
        sent = {
            m.payload["to"][0]: m.payload["text"]
            for m in seeded.scalars(select(OutboxMessage))
            if m.id not in before and m.kind == "email"
        }
        assert set(sent) >= {DEMO_LOGINS["representative"], EXTRA_LOGINS["rep_external_invited"]}
        for address, text in sent.items():
            org = case.markers["organisation"][0]
            if confidential:
                assert "zqdecision" not in text and "zqstatement" not in text, address
                assert org not in text and "http://forum.test/" in text, address
            else:
                assert "zqdecision" in text, address
                external = address == EXTRA_LOGINS["rep_external_invited"]
                if address != case.markers["contact"][1]:
                    assert (org in text) == (not external), address
        seeded.rollback()


def test_migration_turns_a_recorded_yes_into_the_municipal_scope(tmp_path: Any) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from booking.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url, "0006_clock_stamps")
    engine = create_engine(url)
    row = (
        "INSERT INTO cases (id, forum_id, reference, registry_number, org_name, org_number, "
        "contact_name, contact_email, contact_phone, category, description, "
        "responsibility_areas, confidential, consent_to_share, status, received_at, created_at, "
        "updated_at) VALUES (:id, 1, :ref, '', 'O', '', '', '', '', 'event', '', '[]', 0, :yes, "
        "'received', '2026-01-01', '2026-01-01', '2026-01-01')"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO forums (id, slug, name, municipality, timezone, location, "
                "organizer_email, created_at) VALUES (1, 'm', 'M', 'M', 'Europe/Stockholm', '', "
                "'', '2026-01-01')"
            )
        )
        conn.execute(
            text(row), [{"id": 1, "ref": "M-1", "yes": 1}, {"id": 2, "ref": "M-2", "yes": 0}]
        )
    upgrade(url, "0007_consent_scope")
    with engine.begin() as conn:
        scopes = conn.execute(text("SELECT id, consent_scope FROM cases ORDER BY id")).all()
    assert [tuple(r) for r in scopes] == [(1, "municipal"), (2, "none")]
    command.downgrade(alembic_config(url), "0006_clock_stamps")
    with engine.begin() as conn:
        back = conn.execute(text("SELECT id, consent_to_share FROM cases ORDER BY id")).all()
    assert [tuple(r) for r in back] == [(1, 1), (2, 0)]
    engine.dispose()
