"""Read API on SQLite and PostgreSQL; bad input gets the error envelope, never a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session as Db


def test_forums_and_departments(client: FlaskClient, seeded: Db) -> None:
    forums = client.get("/api/v1/forums").get_json()["forums"]
    assert [f["slug"] for f in forums] == ["mora", "orsa"]
    departments = client.get("/api/v1/departments").get_json()["departments"]
    joint = next(d for d in departments if d["slug"] == "miljokontoret")
    assert joint["forums"] == ["mora", "orsa"]
    assert "email" not in joint


def test_sessions_with_slots_in_local_time_and_skipped_reasons(
    client: FlaskClient, seeded: Db
) -> None:
    body = client.get("/api/v1/forums/mora/sessions?from=2026-12-01&to=2027-06-30").get_json()
    first = body["sessions"][0]
    assert first["date"] == "2026-12-08" and first["week"] == 50
    assert [s["starts_at"] for s in first["slots"]] == [
        "2026-12-08T13:00:00+01:00",
        "2026-12-08T14:15:00+01:00",
        "2026-12-08T15:30:00+01:00",
    ]
    after_dst = next(s for s in body["sessions"] if s["date"] == "2027-03-30")
    assert after_dst["starts_at"] == "2027-03-30T13:00:00+02:00"
    reasons = {s["date"]: s["reason"] for s in body["skipped"]}
    assert reasons["2027-01-05"] == "trettondagsafton (halvdag)"
    assert reasons["2027-06-22"] == "sommaruppehåll"
    assert all(s["slots"] and not s["slots"][0]["booked"] for s in body["sessions"])


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("from=2027-13-01", "'from' must be a date"),
        ("from=2027-01-01&to=2026-01-01", "'to' must not be before 'from'"),
        ("from=2027-01-01&to=2030-01-01", "at most 800 days"),
        ("to=yesterday", "'to' must be a date"),
    ],
)
def test_bad_parameters_give_400_with_envelope(
    client: FlaskClient, seeded: Db, query: str, fragment: str
) -> None:
    response = client.get(f"/api/v1/forums/mora/sessions?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert fragment in error["message"]
    assert error["code"] == "bad_parameter"


def test_unknown_forum_and_route_give_404_envelope(client: FlaskClient, seeded: Db) -> None:
    response = client.get("/api/v1/forums/nowhere/sessions")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/nothing").get_json()["error"]["code"] == "not_found"


def test_healthz(client: FlaskClient, seeded: Db) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
