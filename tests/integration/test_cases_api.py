"""The cases and booking API on SQLite and PostgreSQL: roles, envelope, idempotency, bad input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from booking_helpers import case_body, dept_ids, fingerprint, tokens
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Select, select
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.models import ApiToken, Forum, Meeting, Session, Slot


@pytest.fixture
def auth(seeded: Db, clock: FixedClock) -> dict[str, dict[str, str]]:
    return tokens(seeded, clock)


def create(client: FlaskClient, auth: dict[str, dict[str, str]], body: dict[str, Any]) -> Any:
    response = client.post("/api/v1/cases", json=body, headers=auth["coordinator"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_full_flow_case_proposals_book_reschedule_cancel_history(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    coordinator = auth["coordinator"]
    case = create(client, auth, case_body(seeded))
    assert case["reference"] == "MORA-2026-0001" and case["status"] == "received"
    assert case["allowed_transitions"] == ["booked", "cancelled"]

    proposals = client.get(
        f"/api/v1/cases/{case['id']}/proposals?limit=2", headers=auth["viewer"]
    ).get_json()
    assert len(proposals["proposals"]) == 2 and proposals["blockers"] == []
    first = proposals["proposals"][0]
    assert first["starts_at"] == "2026-12-08T13:00:00+01:00"
    assert {a["department"]["slug"] for a in first["assignments"]} == {
        "stadsbyggnad",
        "miljokontoret",
    }

    booked = client.post(
        f"/api/v1/cases/{case['id']}/booking", json={"slot": "earliest"}, headers=coordinator
    )
    assert booked.status_code == 201, booked.get_json()
    meeting = booked.get_json()
    assert meeting["slot_id"] == first["slot_id"] and meeting["sequence"] == 0
    assert meeting["uid"].endswith("@forum.test")

    later = proposals["proposals"][1]["slot_id"]
    moved = client.post(
        f"/api/v1/meetings/{meeting['id']}/reschedule", json={"slot": later}, headers=coordinator
    ).get_json()
    assert moved["uid"] == meeting["uid"] and moved["sequence"] == 1
    assert moved["slot_id"] == later

    cancelled = client.post(
        f"/api/v1/meetings/{meeting['id']}/cancel",
        json={"reason": "Kunden skjuter upp"},
        headers=coordinator,
    ).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["slot_id"] is None
    assert cancelled["sequence"] == 2

    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=coordinator).get_json()
    actions = [(e["entity_type"], e["action"]) for e in history["events"]]
    assert actions == [
        ("case", "create"),
        ("case", "status"),
        ("meeting", "book"),
        ("meeting", "reschedule"),
        ("case", "status"),
        ("meeting", "cancel"),
    ]
    reschedule = history["events"][3]
    assert reschedule["actor"] == "samordnare@mora.example"
    assert reschedule["before"]["slot_id"] == first["slot_id"]
    assert reschedule["after"]["slot_id"] == later


def test_roles_and_authentication(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    bad = client.get("/api/v1/cases", headers={"Authorization": "Bearer dit_nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"
    assert bad.headers["WWW-Authenticate"].startswith("Bearer")
    for role in ("representative", "viewer"):
        denied = client.post("/api/v1/cases", json=case_body(seeded), headers=auth[role])
        assert denied.status_code == 403
        assert "read" in denied.get_json()["error"]["message"]
        assert client.get("/api/v1/cases", headers=auth[role]).status_code == 200
    assert (
        client.post("/api/v1/cases", json=case_body(seeded), headers=auth["admin"]).status_code
        == 201
    )
    me = client.get("/api/v1/me", headers=auth["viewer"]).get_json()
    assert me["role"] == "viewer" and me["can_write"] is False


def test_web_session_authenticates(client: FlaskClient, seeded: Db) -> None:
    from booking.services.demo import demo_user

    user = demo_user(seeded, "coordinator")
    with client.session_transaction() as session:
        session["user_id"] = user.id
    assert client.get("/api/v1/me").get_json()["email"] == "samordnare@mora.example"
    assert client.post("/api/v1/cases", json=case_body(seeded)).status_code == 201


def test_confidential_case_is_redacted_for_readers(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    case = create(client, auth, case_body(seeded, confidential=True))
    seen = client.get(f"/api/v1/cases/{case['id']}", headers=auth["representative"]).get_json()
    assert seen["redacted"] and seen["org_name"] == "Sekretess" and seen["contact_email"] == ""
    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=auth["viewer"]).get_json()
    assert history["events"][0]["after"]["org_name"] == "***"
    full = client.get(f"/api/v1/cases/{case['id']}", headers=auth["coordinator"]).get_json()
    assert full["org_name"] == "Café Siljan AB"


def test_list_filter_and_update(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    a = create(client, auth, case_body(seeded, org_name="Bageriet i Mora"))
    create(client, auth, case_body(seeded, "brandkar", category="event", org_name="Vasaloppet"))
    found = client.get("/api/v1/cases?category=event", headers=auth["viewer"]).get_json()
    assert [c["org_name"] for c in found["cases"]] == ["Vasaloppet"] and found["total"] == 1
    found = client.get("/api/v1/cases?q=bager", headers=auth["viewer"]).get_json()
    assert [c["id"] for c in found["cases"]] == [a["id"]]
    patched = client.patch(
        f"/api/v1/cases/{a['id']}",
        json={"registry_number": "KS 2026/123", "contact_phone": "0250-100 00"},
        headers=auth["coordinator"],
    ).get_json()
    assert patched["registry_number"] == "KS 2026/123"
    history = client.get(f"/api/v1/cases/{a['id']}/history", headers=auth["coordinator"]).get_json()
    update = history["events"][-1]
    assert update["action"] == "update"
    assert update["before"] == {"contact_phone": "070-123 45 67", "registry_number": ""}
    # A viewer sees the registry number of an open case shared with consent, not the phone.
    history = client.get(f"/api/v1/cases/{a['id']}/history", headers=auth["viewer"]).get_json()
    assert history["events"][-1]["before"] == {"contact_phone": "***", "registry_number": ""}


def test_transitions(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]], clock: FixedClock
) -> None:
    coordinator = auth["coordinator"]
    case = create(client, auth, case_body(seeded))
    url = f"/api/v1/cases/{case['id']}/transition"
    illegal = client.post(url, json={"status": "held"}, headers=coordinator)
    assert illegal.status_code == 409
    assert "from received it can go to booked, cancelled" in illegal.get_json()["error"]["message"]
    booked = client.post(f"/api/v1/cases/{case['id']}/booking", json={}, headers=coordinator)
    ends_at = datetime.fromisoformat(booked.get_json()["ends_at"])
    confirmed = client.post(url, json={"status": "confirmed"}, headers=coordinator)
    assert confirmed.status_code == 200
    # Held only once the meeting has ended (the clock stands before it).
    early = client.post(url, json={"status": "held"}, headers=coordinator)
    assert early.status_code == 409
    assert early.get_json()["error"]["reason"] == "meeting_not_over"
    clock.set(ends_at)
    for status in ("held", "follow_up", "closed"):
        response = client.post(url, json={"status": status}, headers=coordinator)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status
    assert response.get_json()["meetings"][0]["status"] == "held"
    assert client.post(url, json={"status": "cancelled"}, headers=coordinator).status_code == 409


def test_cancelling_a_case_cancels_its_meeting(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    coordinator = auth["coordinator"]
    case = create(client, auth, case_body(seeded))
    client.post(f"/api/v1/cases/{case['id']}/booking", json={}, headers=coordinator)
    done = client.post(
        f"/api/v1/cases/{case['id']}/transition",
        json={"status": "cancelled", "note": "Kunden drog tillbaka"},
        headers=coordinator,
    ).get_json()
    assert done["status"] == "cancelled"
    assert done["meetings"][0]["status"] == "cancelled"
    assert done["meetings"][0]["cancel_reason"] == "Kunden drog tillbaka"


def test_idempotency_key(client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]) -> None:
    headers = {**auth["coordinator"], "Idempotency-Key": "abc-1"}
    body = case_body(seeded)
    first = client.post("/api/v1/cases", json=body, headers=headers)
    again = client.post("/api/v1/cases", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = client.get("/api/v1/cases", headers=headers).get_json()
    assert listed["total"] == 1
    other = client.post("/api/v1/cases", json={**body, "org_name": "X"}, headers=headers)
    assert other.status_code == 422 and "different request" in other.get_json()["error"]["message"]

    case_id = first.get_json()["id"]
    book_headers = {**auth["coordinator"], "Idempotency-Key": "book-1"}
    url = f"/api/v1/cases/{case_id}/booking"
    b1 = client.post(url, json={"slot": "earliest"}, headers=book_headers)
    b2 = client.post(url, json={"slot": "earliest"}, headers=book_headers)
    assert b1.status_code == b2.status_code == 201
    assert b1.get_json()["id"] == b2.get_json()["id"]
    assert len(seeded.scalars(select(Meeting)).all()) == 1


BAD_CASE_BODIES = [
    ({"org_name": ""}, "org_name"),
    ({"org_number": "556036-0794"}, "check digit"),
    ({"org_number": "12345"}, "organisation number"),
    ({"department_ids": []}, "department_ids"),
    ({"department_ids": [99999]}, "No department"),
    ({"category": "party"}, "category"),
    ({"forum": "nowhere"}, "No forum"),
    ({"contact_email": "not-an-address"}, "e-mail"),
    ({"confidential": "maybe"}, "confidential"),
    ({"received_at": "2026-11-01T10:00:00"}, "offset"),
    ({"unknown": 1}, "unknown"),
]


@pytest.mark.parametrize(("change", "fragment"), BAD_CASE_BODIES)
def test_bad_case_input_is_422_and_changes_nothing(
    client: FlaskClient,
    seeded: Db,
    auth: dict[str, dict[str, str]],
    change: dict[str, Any],
    fragment: str,
) -> None:
    before = fingerprint(seeded)
    response = client.post(
        "/api/v1/cases", json=case_body(seeded) | change, headers=auth["coordinator"]
    )
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert fragment.lower() in (error["message"] + str(error["details"])).lower()
    assert fingerprint(seeded) == before


def test_bad_input_for_every_endpoint_is_4xx_and_changes_nothing(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]], clock: FixedClock
) -> None:
    h = auth["coordinator"]
    case = create(client, auth, case_body(seeded))
    third = seeded.scalars(mora_slots().order_by(Slot.starts_at)).all()[2]
    meeting = client.post(
        f"/api/v1/cases/{case['id']}/booking", json={"slot": third.id}, headers=h
    ).get_json()
    other = create(client, auth, case_body(seeded, "brandkar"))
    past_slot = seeded.scalar(mora_slots().order_by(Slot.starts_at))
    assert past_slot is not None
    clock.set(past_slot.starts_at.replace(hour=20))  # the first afternoon is now over
    cancelled_session_slot = _cancel_a_session(client, seeded, h)
    brand = dept_ids(seeded, "brandkar")[0]
    before = fingerprint(seeded)
    cases_: list[tuple[str, str, Any, int, str]] = [
        ("GET", "/api/v1/cases/99999", None, 404, "No case"),
        ("GET", "/api/v1/cases?limit=0", None, 422, "limit"),
        ("GET", "/api/v1/cases?status=nope", None, 422, "status"),
        ("GET", "/api/v1/cases?department_id=abc", None, 422, "department_id"),
        ("PATCH", "/api/v1/cases/99999", {"org_name": "X"}, 404, "No case"),
        ("PATCH", f"/api/v1/cases/{case['id']}", {"org_name": 5}, 422, "org_name"),
        ("PATCH", f"/api/v1/cases/{case['id']}", [1, 2], 400, "JSON object"),
        (
            "PATCH",
            f"/api/v1/cases/{case['id']}",
            {"department_ids": [99999]},
            422,
            "No department",
        ),
        ("GET", "/api/v1/cases/99999/proposals", None, 404, "No case"),
        ("GET", f"/api/v1/cases/{case['id']}/proposals?limit=99", None, 422, "limit"),
        ("POST", "/api/v1/cases/99999/booking", {}, 404, "No case"),
        ("POST", f"/api/v1/cases/{other['id']}/booking", {"slot": "soon"}, 422, "slot"),
        ("POST", f"/api/v1/cases/{other['id']}/booking", {"slot": 999999}, 422, "No slot"),
        ("POST", f"/api/v1/cases/{other['id']}/booking", {"slot": past_slot.id}, 422, "past"),
        (
            "POST",
            f"/api/v1/cases/{other['id']}/booking",
            {"slot": cancelled_session_slot},
            409,
            "cancelled",
        ),
        (
            "POST",
            f"/api/v1/cases/{other['id']}/booking",
            {"representatives": [{"department_id": brand, "representative_id": 99999}]},
            422,
            "representative",
        ),
        ("POST", f"/api/v1/cases/{case['id']}/booking", {}, 409, "reschedule"),
        ("POST", f"/api/v1/cases/{case['id']}/transition", {"status": "flying"}, 422, "status"),
        ("POST", f"/api/v1/cases/{case['id']}/transition", {"status": "closed"}, 409, "cannot go"),
        ("POST", "/api/v1/meetings/99999/reschedule", {"slot": "earliest"}, 404, "No meeting"),
        ("POST", f"/api/v1/meetings/{meeting['id']}/reschedule", {"slot": -3}, 422, "slot id"),
        (
            "POST",
            f"/api/v1/meetings/{meeting['id']}/reschedule",
            {"slot": past_slot.id},
            422,
            "past",
        ),
        ("POST", f"/api/v1/meetings/{meeting['id']}/cancel", {"reason": "   "}, 422, "reason"),
        ("POST", f"/api/v1/meetings/{meeting['id']}/cancel", {}, 422, "reason"),
        ("POST", "/api/v1/meetings/99999/cancel", {"reason": "x"}, 404, "No meeting"),
        ("GET", "/api/v1/meetings/99999", None, 404, "No meeting"),
        ("GET", "/api/v1/cases/99999/history", None, 404, "No case"),
        ("GET", "/api/v1/cases/abc", None, 404, ""),
    ]
    for method, url, body, status, fragment in cases_:
        response = client.open(url, method=method, json=body, headers=h)
        payload = response.get_json()
        assert response.status_code == status, (method, url, payload)
        assert set(payload) == {"error"} and payload["error"]["message"], (method, url)
        text = payload["error"]["message"] + str(payload["error"]["details"])
        assert fragment.lower() in text.lower(), (method, url, payload)
        assert fingerprint(seeded) == before, (method, url)


def mora_slots() -> Select[tuple[Slot]]:
    return select(Slot).join(Session).join(Forum).where(Forum.slug == "mora")


def _cancel_a_session(client: FlaskClient, db: Db, headers: dict[str, str]) -> int:
    from booking.services.audit import Actor
    from booking.services.scheduling.sessions import cancel_session

    slot = db.scalars(mora_slots().order_by(Slot.starts_at.desc())).first()
    assert slot is not None
    slot_id, session_id = slot.id, slot.session_id
    cancel_session(db, session_id, "Personaldag", Actor.system("test"))
    # Cancelling a session removes its slots; keep one slot row to point at (a stale id).
    db.add(Slot(id=slot_id, session_id=session_id, starts_at=slot.starts_at, ends_at=slot.ends_at))
    db.commit()
    return slot_id


def test_case_without_departments_cannot_be_booked(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    from booking.models import CaseDepartment

    case = create(client, auth, case_body(seeded))
    seeded.execute(CaseDepartment.__table__.delete())
    seeded.commit()
    before = fingerprint(seeded)
    for method, url in (
        ("GET", f"/api/v1/cases/{case['id']}/proposals"),
        ("POST", f"/api/v1/cases/{case['id']}/booking"),
    ):
        response = client.open(
            url, method=method, json={} if method == "POST" else None, headers=auth["coordinator"]
        )
        assert response.status_code == 422
        assert "no required departments" in response.get_json()["error"]["message"]
    assert fingerprint(seeded) == before


def test_create_token_command_prints_a_working_token(
    app: Flask, client: FlaskClient, seeded: Db
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["forum", "create-token", "--email", "samordnare@mora.example", "--name", "diariet"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("dit_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json()["role"] == "coordinator"
    stored = seeded.scalars(select(ApiToken.token_hash)).all()
    assert secret not in stored and len(stored) == 1
    unknown = runner.invoke(
        args=["forum", "create-token", "--email", "nobody@x.example", "--name", "x"]
    )
    assert unknown.exit_code != 0 and "No user" in unknown.output


def test_every_error_names_a_stable_reason(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    """``reason`` says what exactly went wrong, for programs (and the web UI's translations);
    the message is for people and may be reworded."""
    h = auth["coordinator"]
    first = create(client, auth, case_body(seeded))
    second = create(client, auth, case_body(seeded, "brandkar"))
    slot = seeded.scalars(mora_slots().order_by(Slot.starts_at)).all()[2]
    meeting = client.post(
        f"/api/v1/cases/{first['id']}/booking", json={"slot": slot.id}, headers=h
    ).get_json()
    expected = [
        ("POST", f"/api/v1/cases/{second['id']}/booking", {"slot": slot.id}, 409, "slot_taken"),
        (
            "POST",
            f"/api/v1/cases/{first['id']}/transition",
            {"status": "held"},
            409,
            "meeting_not_over",
        ),
        (
            "POST",
            f"/api/v1/cases/{first['id']}/transition",
            {"status": "closed"},
            409,
            "status_transition",
        ),
        (
            "POST",
            f"/api/v1/meetings/{meeting['id']}/reschedule",
            {"slot": slot.id},
            409,
            "same_slot",
        ),
        ("GET", "/api/v1/cases/99999", None, 404, "not_found"),
        ("GET", "/api/v1/cases?limit=0", None, 422, "invalid"),  # the edge: reason = code
    ]
    for method, url, body, status, reason in expected:
        response = client.open(url, method=method, json=body, headers=h)
        error = response.get_json()["error"]
        assert (response.status_code, error["reason"]) == (status, reason), (url, error)


def test_departments_of_a_booked_case_change_without_cancelling(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    h = auth["coordinator"]
    case = create(client, auth, case_body(seeded))
    meeting = client.post(f"/api/v1/cases/{case['id']}/booking", json={}, headers=h).get_json()
    patched = client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"department_ids": dept_ids(seeded, "stadsbyggnad", "brandkar")},
        headers=h,
    )
    assert patched.status_code == 200, patched.get_json()
    seeded.expire_all()
    found = seeded.get(Meeting, meeting["id"])
    assert found is not None and found.status.value == "booked"
    active = {a.department.slug for a in found.attendees if a.active}
    assert active == {"stadsbyggnad", "brandkar"}
    assert found.sequence == meeting["sequence"] + 1
